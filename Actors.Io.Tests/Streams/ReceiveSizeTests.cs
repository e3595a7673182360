using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Received messages are bounded by <c>max-received-message-size</c> and add up to exactly what was sent.</summary>
public sealed class ReceiveSizeTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.max-received-message-size = 1 KiB\nactors-io.tcp.receive-budget-per-event = 16 KiB")
{
    [Theory]
    [MemberData(nameof(TcpAndUnix))]
    public void Received_chunks_never_exceed_max_received_message_size_and_add_up_exactly(string transport)
    {
        EndPoint server = Bind(transport);
        (Socket client, _) = Accept(server);
        byte[] sent = Pattern(100 * 1024);
        Assert.Equal(sent.Length, client.Send(sent));

        var received = new MemoryStream();
        int chunks = 0;
        while (received.Length < sent.Length)
        {
            var chunk = ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
            Assert.InRange(chunk.Data.Count, 1, 1024);
            received.Write(chunk.Data.ToArray());
            chunks++;
        }

        AssertSameBytes(sent, received.ToArray());
        Assert.True(chunks >= 100, $"{chunks} chunks");
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }
}
