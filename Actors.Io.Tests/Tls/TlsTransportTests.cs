using Actors.Io.Tls;

namespace Actors.Io.Tests.Tls;

/// <summary>The stream SslStream runs over: what its reads wait for and what they take.</summary>
public sealed class TlsTransportTests
{
    [Fact]
    public async Task A_zero_byte_read_waits_for_ciphertext_and_takes_none_of_it()
    {
        var transport = new TlsTransport(new NoSink());
        ValueTask<int> waiting = transport.ReadAsync(Memory<byte>.Empty);
        Assert.False(waiting.IsCompleted, "a zero-byte read with nothing buffered completed at once");

        transport.Feed("abc"u8);

        Assert.Equal(0, await waiting);
        byte[] buffer = new byte[3];
        Assert.Equal(3, await transport.ReadAsync(buffer));
        Assert.Equal("abc"u8.ToArray(), buffer);
    }

    [Fact]
    public async Task The_end_completes_a_waiting_zero_byte_read_and_every_later_read()
    {
        var transport = new TlsTransport(new NoSink());
        ValueTask<int> waiting = transport.ReadAsync(Memory<byte>.Empty);

        transport.End();

        Assert.Equal(0, await waiting);
        Assert.Equal(0, await transport.ReadAsync(new byte[1]));
    }

    private sealed class NoSink : TlsTransport.ISink
    {
        public void Send(ReadOnlySpan<byte> ciphertext) => throw new InvalidOperationException("nothing is written here");
    }
}
