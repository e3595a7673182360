using System.Net;
using System.Net.Sockets;
using Actors.Io.Native;

namespace Actors.Io.Tests.Native;

public sealed unsafe class SocketsNativeTests
{
    private const int F_GETFD = 1;
    private const int ReadyTimeoutMs = 1000;

    [Fact]
    public void GetPendingError_OnAConnectedSocket_IsZero()
    {
        using var tcp = TcpPair.Create();

        Assert.Equal(0, Sockets.GetPendingError(tcp.Client.SafeHandle, out int clientError));
        Assert.Equal(0, clientError);
        Assert.Equal(0, Sockets.GetPendingError(tcp.Server.SafeHandle, out int serverError));
        Assert.Equal(0, serverError);
    }

    [Fact]
    public void GetPendingError_OnANonSocket_ReturnsEnotsock()
    {
        using var pipe = PipePair.Create();

        Assert.Equal(Errno.ENOTSOCK, Sockets.GetPendingError(pipe.Read, out _));
    }

    [Fact]
    public void GetPendingError_AfterARefusedNonBlockingConnect_IsEconnrefusedThenCleared()
    {
        EndPoint closedPort;
        using (var probe = TcpPair.NewTcpSocket())
        {
            probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            closedPort = probe.LocalEndPoint!;
        }

        using var poller = new EpollPoller(4);
        using var client = TcpPair.NewTcpSocket();
        client.Blocking = false;
        var ex = Assert.Throws<SocketException>(() => client.Connect(closedPort));
        Assert.Contains(ex.SocketErrorCode, new[] { SocketError.WouldBlock, SocketError.InProgress });

        Assert.Equal(0, poller.Add(client.SafeHandle, 1, PollInterest.Write));
        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));

        Assert.Equal(0, Sockets.GetPendingError(client.SafeHandle, out int socketError));
        Assert.Equal(Errno.ECONNREFUSED, socketError);
        Assert.Equal(SocketError.ConnectionRefused, Errno.ToSocketError(socketError));
        Assert.Equal(0, Sockets.GetPendingError(client.SafeHandle, out int again));
        Assert.Equal(0, again);
    }

    [Fact]
    public void Writev_DeliversBothSegmentsInOrder()
    {
        using var pair = UnixPair.Create();
        ReadOnlySpan<byte> first = "hello, "u8;
        ReadOnlySpan<byte> second = "world"u8;

        nint written;
        fixed (byte* p1 = first)
        fixed (byte* p2 = second)
        {
            Sockets.IoVec* iov = stackalloc Sockets.IoVec[2];
            iov[0] = new Sockets.IoVec { Base = p1, Length = (nuint)first.Length };
            iov[1] = new Sockets.IoVec { Base = p2, Length = (nuint)second.Length };
            written = Sockets.Writev(pair.Left, iov, 2);
        }

        Assert.Equal(first.Length + second.Length, written);
        Assert.Equal("hello, world"u8.ToArray(), RawIo.ReadExactly(pair.Right, (int)written));
    }

    [Fact]
    public void Shutdown_WriteSide_GivesThePeerEof()
    {
        using var pair = UnixPair.Create();
        Assert.Equal(0, Sockets.Shutdown(pair.Left, Sockets.SHUT_WR));

        byte b;
        Assert.Equal(0, Libc.Read(pair.Right, &b, 1));
    }

    [Fact]
    public void Accept4_WithNoPendingConnection_ReturnsEagain()
    {
        using var listener = Listen();

        int fd = Sockets.Accept4(listener.SafeHandle, null, null, Sockets.Accept4Flags);
        int errno = Errno.Last;

        Assert.Equal(-1, fd);
        Assert.Equal(Errno.EAGAIN, errno);
        Assert.True(Errno.IsWouldBlock(errno));
    }

    [Fact]
    public void Accept4_WithAPendingConnection_ReturnsANonBlockingCloseOnExecDescriptor()
    {
        using var listener = Listen();
        using var poller = new EpollPoller(4);
        using var client = TcpPair.NewTcpSocket();
        client.Connect(listener.LocalEndPoint!);
        Assert.Equal(0, poller.Add(listener.SafeHandle, 1, PollInterest.Read));
        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));

        int fd = Sockets.Accept4(listener.SafeHandle, null, null, Sockets.Accept4Flags);
        Assert.True(fd >= 0, $"accept4 failed: {Errno.Describe(Errno.Last)}");
        using var accepted = new FileDescriptorHandle(fd);

        Assert.NotEqual(0, Libc.Fcntl(fd, Libc.F_GETFL, 0) & Libc.O_NONBLOCK_LINUX);
        Assert.NotEqual(0, Libc.Fcntl(fd, F_GETFD, 0) & Libc.FD_CLOEXEC);

        // Non-blocking: an empty socket reads EAGAIN instead of blocking.
        byte b;
        Assert.Equal(-1, Libc.Read(accepted, &b, 1));
        Assert.Equal(Errno.EAGAIN, Errno.Last);
    }

    private static Socket Listen()
    {
        var listener = TcpPair.NewTcpSocket();
        try
        {
            listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
            listener.Listen(4);
            listener.Blocking = false;
            return listener;
        }
        catch
        {
            listener.Dispose();
            throw;
        }
    }
}
