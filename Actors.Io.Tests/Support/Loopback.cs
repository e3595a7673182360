using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Support;

/// <summary>
/// The socket side of the loopback kit: plain peers for Actors.Io listeners and connections (blocking, every wait bounded
/// by <see cref="TestWaits.Expect"/>), exact reads, and views of the sockets Actors.Io opened, for reading their options.
/// </summary>
internal static unsafe partial class Loopback
{
    /// <summary>The IPv4 and IPv6 loopback addresses, for tests that run on both.</summary>
    public static TheoryData<string> Addresses => new() { "127.0.0.1", "::1" };

    /// <summary>A blocking stream socket of <paramref name="family"/> (TCP, or a Unix socket) with send and receive
    /// timeouts of <see cref="TestWaits.Expect"/>; TCP sockets send at once (no Nagle).</summary>
    public static Socket NewClient(AddressFamily family, int receiveBufferSize = 0)
    {
        bool unix = family == AddressFamily.Unix;
        var socket = new Socket(family, SocketType.Stream, unix ? ProtocolType.Unspecified : ProtocolType.Tcp)
        {
            ReceiveTimeout = TestWaits.ExpectMilliseconds,
            SendTimeout = TestWaits.ExpectMilliseconds,
        };
        if (!unix) socket.NoDelay = true;
        if (receiveBufferSize > 0) socket.ReceiveBufferSize = receiveBufferSize;
        return socket;
    }

    /// <summary>A client socket connected to <paramref name="target"/> within <see cref="TestWaits.Expect"/>.</summary>
    public static Socket Connect(EndPoint target)
    {
        Socket socket = NewClient(target.AddressFamily);
        try
        {
            if (!ConnectsWithin(socket, target, TestWaits.Expect)) throw new TimeoutException($"Connecting to {target} took longer than {TestWaits.Expect}.");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>Starts connecting <paramref name="socket"/> and says whether it connected within <paramref name="within"/>.</summary>
    public static bool ConnectsWithin(Socket socket, EndPoint target, TimeSpan within) => socket.ConnectAsync(target).Wait(within);

    /// <summary>
    /// Connects a client to <paramref name="target"/> and asserts the server closes it without a byte: the client sees EOF
    /// or a reset (which may already fail the connect, when the reset overtakes the handshake's completion).
    /// </summary>
    public static void AssertClosedByServer(EndPoint target)
    {
        using Socket client = NewClient(target.AddressFamily);
        try
        {
            Assert.True(ConnectsWithin(client, target, TestWaits.Expect), $"Connecting to {target} took longer than {TestWaits.Expect}.");
            Assert.Equal(0, client.Receive(new byte[16]));
        }
        catch (AggregateException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // Reset before the connect completed.
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Reset after.
        }
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes (bounded by the socket's receive timeout).</summary>
    public static byte[] ReadExactly(Socket socket, int count)
    {
        var buffer = new byte[count];
        int got = 0;
        while (got < count)
        {
            int n = socket.Receive(buffer, got, count - got, SocketFlags.None);
            if (n == 0) throw new EndOfStreamException($"EOF after {got} of {count} bytes");
            got += n;
        }

        return buffer;
    }

    /// <summary>Reads exactly <paramref name="count"/> bytes as ASCII.</summary>
    public static string ReceiveAscii(Socket socket, int count) => System.Text.Encoding.ASCII.GetString(ReadExactly(socket, count));

    /// <summary>Asserts the peer closed its side: the next read returns 0.</summary>
    public static void AssertEof(Socket socket) => Assert.Equal(0, socket.Receive(new byte[1]));

    /// <summary>Asserts the connection was reset or closed: the next read sees a reset or EOF.</summary>
    public static void AssertResetOrEof(Socket socket)
    {
        try
        {
            Assert.Equal(0, socket.Receive(new byte[1]));
        }
        catch (SocketException e)
        {
            Assert.Equal(SocketError.ConnectionReset, e.SocketErrorCode);
        }
    }

    /// <summary>
    /// Bytes <paramref name="socket"/> sent that the peer's kernel has not acknowledged: Linux <c>TCP_INFO</c>'s
    /// <c>tcpi_unacked</c> (offset 24). A Unix socket's bytes are in the peer's queue once sent: always 0.
    /// </summary>
    public static int Unacked(Socket socket)
    {
        if (socket.AddressFamily == AddressFamily.Unix) return 0;
        Span<byte> info = stackalloc byte[256];
        int length = socket.GetRawSocketOption(6 /* IPPROTO_TCP */, 11 /* TCP_INFO */, info);
        Assert.True(length >= 28, $"TCP_INFO returned {length} bytes");
        return BitConverter.ToInt32(info[24..28]);
    }

    /// <summary>An integer socket option (0 = off).</summary>
    public static int IntOption(Socket socket, SocketOptionLevel level, SocketOptionName name) =>
        (int)socket.GetSocketOption(level, name)!;

    /// <summary>A view of the socket of the connection <paramref name="connected"/> announced (see <see cref="View"/>).</summary>
    public static Socket SocketOf(TcpMsg.Connected connected) =>
        View(connected.LocalAddress, connected.RemoteAddress, $"the connection {connected.LocalAddress} <- {connected.RemoteAddress}");

    /// <summary>True while this process holds the descriptor of the connection <paramref name="connected"/> announced.</summary>
    public static bool IsOpen(TcpMsg.Connected connected) => Find(connected.LocalAddress, connected.RemoteAddress).Count > 0;

    /// <summary>A view of the socket listening on <paramref name="bound"/> (see <see cref="View"/>).</summary>
    public static Socket ListeningSocketOf(EndPoint bound) => View(bound, null, $"the listener on {bound}");

    [LibraryImport(Libc.Name, EntryPoint = "getpeername", SetLastError = true)]
    private static partial int GetPeerName(SafeHandle fd, byte* address, int* addressLength);

    /// <summary>
    /// The one socket of this process whose name is <paramref name="local"/> and whose peer is <paramref name="remote"/>
    /// (null: none, a listener), found among the open descriptors and wrapped without ownership: never dispose the view,
    /// and use it only while the socket's actor lives.
    /// </summary>
    private static Socket View(EndPoint local, EndPoint? remote, string what)
    {
        List<int> found = Find(local, remote);
        if (found.Count != 1) throw new InvalidOperationException($"{found.Count} open descriptors are {what}, not one.");
        var view = new Socket(new SafeSocketHandle(found[0], ownsHandle: false));
        GC.SuppressFinalize(view);
        return view;
    }

    /// <summary>The open descriptors whose name is <paramref name="local"/> and whose peer is <paramref name="remote"/> (null: none).</summary>
    private static List<int> Find(EndPoint local, EndPoint? remote)
    {
        byte[] wantLocal = Native(local);
        byte[]? wantRemote = remote is null ? null : Native(remote);
        var found = new List<int>();
        Span<byte> name = stackalloc byte[128];
        foreach (int fd in OpenDescriptors())
        {
            using var probe = new SafeSocketHandle(fd, ownsHandle: false);
            int length = Name(probe, name, peer: false);
            if (length < 0 || !name[..length].SequenceEqual(wantLocal)) continue;
            length = Name(probe, name, peer: true);
            if (wantRemote is null ? length < 0 : length >= 0 && name[..length].SequenceEqual(wantRemote)) found.Add(fd);
        }

        return found;
    }

    /// <summary>The socket's own name (or its peer's) into <paramref name="buffer"/>: its length, or -1 (not a socket, no peer).</summary>
    private static int Name(SafeHandle fd, Span<byte> buffer, bool peer)
    {
        int length = buffer.Length;
        fixed (byte* p = buffer)
        {
            int result = peer ? GetPeerName(fd, p, &length) : Sockets.GetSockName(fd, p, &length);
            return result == 0 && length <= buffer.Length ? length : -1;
        }
    }

    private static byte[] Native(EndPoint endPoint)
    {
        SocketAddress address = endPoint.Serialize();
        return address.Buffer.Span[..address.Size].ToArray();
    }

    private static IEnumerable<int> OpenDescriptors() =>
        Directory.GetFiles(Directory.Exists("/proc/self/fd") ? "/proc/self/fd" : "/dev/fd")
            .Select(path => int.TryParse(Path.GetFileName(path), out int fd) ? fd : -1)
            .Where(fd => fd >= 0);
}
