using System.Net;
using System.Net.Security;
using Actors.Io.Tests.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>
/// Leased receive over TLS: decrypted plaintext lent from the selector's pool, with the ownership rules of a plain
/// connection (Return, a write taken or refused, an abort), and every lease back in its pool at the end.
/// </summary>
public sealed class TlsLeasedReceiveTests(ITestOutputHelper output)
    : TlsTestKit(output, "actors-io.tcp.max-pending-write-bytes = 16 KiB")
{
    [Fact]
    public async Task The_handler_owns_the_plaintext_until_it_returns_it_and_an_idle_connection_holds_no_buffer()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        Assert.Equal(0, Outstanding());

        await client.WriteAsync("hello over tls"u8.ToArray());
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        Assert.Equal("hello over tls"u8.ToArray(), lease.Data.ToArray());
        Assert.Equal(1, Outstanding());

        lease.Return();
        Assert.Equal(0, Outstanding());
        Assert.Throws<InvalidOperationException>(() => lease.Data);
    }

    [Fact]
    public async Task Writing_a_lease_back_sends_its_bytes_acks_and_gives_the_buffer_back()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        byte[] message = Pattern(1500);
        await client.WriteAsync(message);
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);

        connection.Tell(lease.Write(new Ack(1)));

        ExpectMsg(new Ack(1), TestWaits.Expect);
        byte[] echoed = await ReadBytesAsync(client, message.Length);
        AssertSameBytes(message, echoed);
        AwaitTrue(() => Outstanding() == 0, "the written lease is back in its pool");
        Assert.Throws<InvalidOperationException>(() => lease.Data);
    }

    [Fact]
    public async Task A_write_refused_by_a_closing_TLS_connection_leaves_the_lease_with_the_handler()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        await client.WriteAsync("bye"u8.ToArray());
        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);

        connection.Tell(TcpMsg.ConfirmedClose.Instance);
        TcpMsg.LeasedWrite write = lease.Write();
        connection.Tell(write);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(write, failed.Cmd);
        Assert.Equal("bye"u8.ToArray(), lease.Data.ToArray());
        lease.Return();
        Assert.Equal(0, Outstanding());
    }

    [Fact]
    public async Task Pull_mode_lends_one_buffer_of_plaintext_per_ResumeReading()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls(pullMode: true));
        connection.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        await client.WriteAsync(Pattern(1000));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, Outstanding());

        connection.Tell(TcpMsg.ResumeReading.Instance);

        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        AssertSameBytes(Pattern(1000), lease.Data.Span);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        lease.Return();
        Assert.Equal(0, Outstanding());
    }

    [Fact]
    public async Task A_lease_from_a_plain_connection_is_written_on_a_TLS_one_and_given_back_by_it()
    {
        EndPoint tls = BindTls();
        (SslStream target, IActorRef encrypted) = await AcceptTlsAsync(tls);
        encrypted.Tell(new TcpMsg.Register(TestActor));
        (System.Net.Sockets.Socket plain, IActorRef source) = AcceptUnregistered(Bind());
        source.Tell(new TcpMsg.Register(TestActor, receiveMode: TcpMsg.ReceiveMode.Leased));
        plain.Send("relay"u8);

        var lease = ExpectMsg<TcpMsg.LeasedReceived>(TestWaits.Expect);
        encrypted.Tell(lease.Write(new Ack(2)));

        ExpectMsg(new Ack(2), TestWaits.Expect);
        Assert.Equal("relay", await ReadTextAsync(target, 5));
        AwaitTrue(() => Outstanding() == 0, "the relayed lease is back in its pool");
    }

    [Fact]
    public async Task A_leased_echo_returns_every_byte_in_order_through_NACKs_and_every_lease_goes_back()
    {
        const int Total = 2 << 20;
        EndPoint server = BindTls(options: [new TcpMsg.SO.SendBufferSize(4096)]);
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(server, bufferSize: 4096);
        var nacks = new NackCounter();
        IActorRef handler = Sys.ActorOf(Props.Create(() => new ResendingLeasedEcho(connection, nacks)));
        connection.Tell(new TcpMsg.Register(handler, receiveMode: TcpMsg.ReceiveMode.Leased));

        // Random pieces, sent before anything is read: the echo backs up, so writes are NACKed and resumed.
        byte[] data = new byte[Total];
        new Random(7).NextBytes(data);
        Task sending = Task.Run(async () =>
        {
            var random = new Random(8);
            for (int at = 0; at < Total;)
            {
                int n = Math.Min(random.Next(1, 20_000), Total - at);
                await client.WriteAsync(data.AsMemory(at, n));
                at += n;
            }
        });
        AwaitTrue(() => nacks.Nacks > 0, "a write is NACKed while the client does not read");

        byte[] echo = new byte[Total];
        await client.ReadExactlyAsync(echo).AsTask().WaitAsync(TimeSpan.FromSeconds(30));
        await sending.WaitAsync(TestWaits.Expect);
        AssertSameBytes(data, echo);
        AwaitTrue(() => Outstanding() == 0, "every lease is back in its pool");
    }

    [Fact]
    public async Task An_abort_leaves_no_lease_outstanding()
    {
        EndPoint server = BindTls(options: [new TcpMsg.SO.SendBufferSize(4096)]);
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(server, bufferSize: 4096);
        IActorRef handler = Sys.ActorOf(Props.Create(() => new AbortingEcho(connection)));
        Watch(handler);
        connection.Tell(new TcpMsg.Register(handler, receiveMode: TcpMsg.ReceiveMode.Leased));

        // The client never reads: the echo fills the connection up to the NACK, and the handler aborts.
        _ = Task.Run(async () =>
        {
            try
            {
                await client.WriteAsync(Pattern(1 << 20));
            }
            catch (IOException)
            {
                // The abort resets the connection under the write.
            }
        });
        ExpectTerminated(handler, TimeSpan.FromSeconds(10));

        AwaitTrue(() => Outstanding() == 0, "the NACKed leases and those read before the abort are back in their pool");
    }
}
