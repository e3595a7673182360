using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using Actors.Io.Tests.Support;

namespace Actors.Io.Tests.Native;

/// <summary>A blocking AF_UNIX stream pair from <see cref="Descriptors.SocketPair"/>; both ends are closed on dispose.</summary>
internal sealed class UnixPair : IDisposable
{
    private UnixPair(FileDescriptorHandle left, FileDescriptorHandle right)
    {
        Left = left;
        Right = right;
    }

    public FileDescriptorHandle Left { get; }

    public FileDescriptorHandle Right { get; }

    public static UnixPair Create()
    {
        (FileDescriptorHandle left, FileDescriptorHandle right) = Descriptors.SocketPair(nonBlocking: false);
        return new UnixPair(left, right);
    }

    public void Dispose()
    {
        Left.Dispose();
        Right.Dispose();
    }
}

/// <summary>A pipe from <see cref="Libc.Pipe"/>; both ends are closed on dispose.</summary>
internal sealed unsafe class PipePair : IDisposable
{
    private PipePair(FileDescriptorHandle read, FileDescriptorHandle write)
    {
        Read = read;
        Write = write;
    }

    public FileDescriptorHandle Read { get; }

    public FileDescriptorHandle Write { get; }

    public static PipePair Create()
    {
        int* fds = stackalloc int[2];
        Assert.Equal(0, Libc.Pipe(fds));
        Descriptors.CloseOnExec(fds[0]);
        Descriptors.CloseOnExec(fds[1]);
        return new PipePair(new FileDescriptorHandle(fds[0]), new FileDescriptorHandle(fds[1]));
    }

    public void Dispose()
    {
        Read.Dispose();
        Write.Dispose();
    }
}

/// <summary>A connected loopback TCP pair on an ephemeral port.</summary>
internal sealed class TcpPair : IDisposable
{
    private TcpPair(Socket client, Socket server)
    {
        Client = client;
        Server = server;
    }

    public Socket Client { get; }

    public Socket Server { get; }

    public static TcpPair Create()
    {
        using var listener = NewTcpSocket();
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        var client = NewTcpSocket();
        try
        {
            client.Connect(listener.LocalEndPoint!);
            return new TcpPair(client, listener.Accept());
        }
        catch
        {
            client.Dispose();
            throw;
        }
    }

    public static Socket NewTcpSocket() => new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public void Dispose()
    {
        Client.Dispose();
        Server.Dispose();
    }
}

/// <summary>Blocking reads and writes on raw descriptors, asserting that every byte moves.</summary>
internal static unsafe class RawIo
{
    public static void WriteAll(SafeHandle fd, ReadOnlySpan<byte> data)
    {
        fixed (byte* p = data)
        {
            Assert.Equal((nint)data.Length, Libc.Write(fd, p, data.Length));
        }
    }

    public static byte[] ReadExactly(SafeHandle fd, int count)
    {
        byte[] buffer = new byte[count];
        int done = 0;
        fixed (byte* p = buffer)
        {
            while (done < count)
            {
                nint n = Libc.Read(fd, p + done, count - done);
                Assert.True(n > 0, $"read returned {n}: {Errno.Describe(Errno.Last)}");
                done += (int)n;
            }
        }

        return buffer;
    }
}
