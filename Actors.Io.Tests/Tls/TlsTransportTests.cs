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

    [Fact]
    public async Task Borrowed_ciphertext_is_read_in_order_behind_a_zero_byte_read_and_before_what_comes_later()
    {
        var transport = new TlsTransport(new NoSink());
        ValueTask<int> waiting = transport.ReadAsync(Memory<byte>.Empty);
        byte[] first = "abcdef"u8.ToArray();

        transport.Feed(new ArraySegment<byte>(first));
        Assert.Equal(0, await waiting);
        Assert.Equal("ab", await ReadText(transport, 2));

        // More comes while some is still borrowed: the rest is kept before it, in order.
        transport.Feed(new ArraySegment<byte>("gh"u8.ToArray()));
        transport.Feed("ij"u8);
        Assert.Equal("cdefghij", await ReadText(transport, 8));
    }

    [Fact]
    public async Task A_waiting_read_takes_what_fits_from_borrowed_ciphertext_and_the_next_read_the_rest()
    {
        var transport = new TlsTransport(new NoSink());
        byte[] into = new byte[4];
        ValueTask<int> waiting = transport.ReadAsync(into);

        transport.Feed(new ArraySegment<byte>("0123456789"u8.ToArray(), 1, 8));
        Assert.Equal(4, await waiting);
        Assert.Equal("1234"u8.ToArray(), into);
        Assert.Equal("5678", await ReadText(transport, 4));

        transport.End();
        Assert.Equal(0, await transport.ReadAsync(new byte[1]));
    }

    private static async Task<string> ReadText(TlsTransport transport, int length)
    {
        byte[] buffer = new byte[length];
        int got = 0;
        while (got < length) got += await transport.ReadAsync(buffer.AsMemory(got));
        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    private sealed class NoSink : TlsTransport.ISink
    {
        public void Send(ReadOnlySpan<byte> ciphertext) => throw new InvalidOperationException("nothing is written here");
    }
}
