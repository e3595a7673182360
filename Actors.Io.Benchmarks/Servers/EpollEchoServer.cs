using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Benchmarks.Native;
using Actors.Io.Native;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// The floor: one thread, one level-triggered epoll set, no actors, no allocation per message. Accepts with non-blocking
/// <c>accept4</c>, reads into one shared buffer and writes the bytes straight back; what the kernel does not take is
/// copied aside and the connection waits for <c>EPOLLOUT</c> (reading paused) until it is sent. An idle connection costs
/// its descriptor and a null slot.
/// </summary>
internal sealed unsafe class EpollEchoServer : IEchoServer
{
    private const int BufferSize = 64 * 1024;
    private const int MaxEvents = 1024;
    private const ulong ListenerToken = ulong.MaxValue;

    private readonly int _stride = Epoll.UsesPackedEvent(RuntimeInformation.ProcessArchitecture) ? 12 : 16;
    private readonly int _dataOffset = Epoll.UsesPackedEvent(RuntimeInformation.ProcessArchitecture) ? 4 : 8;
    private Socket? _listener;
    private FileDescriptorHandle? _epoll;
    private Thread? _thread;
    private volatile bool _stop;
    private Pending?[] _pending = new Pending?[1024];

    public int Start(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(EchoServers.Backlog);
        _listener = listener;

        int epfd = Epoll.Create1(Epoll.EPOLL_CLOEXEC);
        if (epfd < 0) throw new IOException($"epoll_create1 failed: {Errno.Describe(Errno.Last)}");
        _epoll = new FileDescriptorHandle(epfd);
        if (Control(Epoll.EPOLL_CTL_ADD, (int)listener.SafeHandle.DangerousGetHandle(), Epoll.EPOLLIN, ListenerToken) != 0)
        {
            throw new IOException($"epoll_ctl(ADD listener) failed: {Errno.Describe(Errno.Last)}");
        }

        _thread = new Thread(Loop) { IsBackground = true, Name = "epoll-echo" };
        _thread.Start();
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public void Dispose()
    {
        _stop = true;
        _thread?.Join(TimeSpan.FromSeconds(5));
        _listener?.Dispose();
        _epoll?.Dispose();
    }

    private void Loop()
    {
        byte* events = (byte*)NativeMemory.Alloc((nuint)(MaxEvents * _stride));
        byte* buffer = (byte*)NativeMemory.Alloc(BufferSize);
        int listenFd = (int)_listener!.SafeHandle.DangerousGetHandle();
        try
        {
            while (!_stop)
            {
                // The timeout only lets Dispose stop the loop; a busy server never waits that long.
                int n = Epoll.Wait(_epoll!, events, MaxEvents, 100);
                if (n < 0)
                {
                    if (Errno.Last == Errno.EINTR) continue;
                    throw new IOException($"epoll_wait failed: {Errno.Describe(Errno.Last)}");
                }

                for (int i = 0; i < n; i++)
                {
                    byte* e = events + (i * _stride);
                    uint bits = *(uint*)e;
                    ulong token = *(ulong*)(e + _dataOffset);
                    if (token == ListenerToken)
                    {
                        AcceptAll(listenFd);
                        continue;
                    }

                    int fd = (int)token;
                    if ((bits & Epoll.EPOLLOUT) != 0 && !Flush(fd)) continue;
                    if ((bits & (Epoll.EPOLLIN | Epoll.EPOLLERR | Epoll.EPOLLHUP)) != 0 && _pending[fd] is null) Echo(fd, buffer);
                }
            }
        }
        finally
        {
            NativeMemory.Free(events);
            NativeMemory.Free(buffer);
        }
    }

    private void AcceptAll(int listenFd)
    {
        while (true)
        {
            int fd = BenchNative.Accept4(listenFd, null, null, BenchNative.SOCK_NONBLOCK | BenchNative.SOCK_CLOEXEC);
            if (fd < 0)
            {
                int errno = Errno.Last;
                if (errno == Errno.EINTR || errno == Errno.ECONNABORTED) continue;
                return; // EAGAIN, or out of descriptors: the level-triggered listener reports again.
            }

            BenchNative.SetNoDelay(fd);
            if (fd >= _pending.Length) Array.Resize(ref _pending, Math.Max(fd + 1, _pending.Length * 2));
            _pending[fd] = null;
            if (Control(Epoll.EPOLL_CTL_ADD, fd, Epoll.EPOLLIN, (ulong)fd) != 0) _ = Libc.Close(fd);
        }
    }

    private void Echo(int fd, byte* buffer)
    {
        // Read what the kernel has (another read only when the buffer came back full), write it straight back.
        for (int round = 0; round < 4; round++)
        {
            nint r = Libc.Read(fd, buffer, BufferSize);
            if (r <= 0)
            {
                if (r < 0 && Errno.Last == Errno.EAGAIN) return;
                CloseConnection(fd);
                return;
            }

            nint w = Libc.Write(fd, buffer, r);
            if (w < r)
            {
                if (w < 0)
                {
                    if (Errno.Last != Errno.EAGAIN)
                    {
                        CloseConnection(fd);
                        return;
                    }

                    w = 0;
                }

                // The kernel is full: keep the rest, stop reading, wait for EPOLLOUT.
                _pending[fd] = new Pending(new ReadOnlySpan<byte>(buffer + w, (int)(r - w)).ToArray());
                _ = Control(Epoll.EPOLL_CTL_MOD, fd, Epoll.EPOLLOUT, (ulong)fd);
                return;
            }

            if (r < BufferSize) return;
        }
    }

    /// <summary>Sends queued bytes; false when the connection is gone or still blocked.</summary>
    private bool Flush(int fd)
    {
        Pending? pending = _pending[fd];
        if (pending is null) return true;
        fixed (byte* p = pending.Data)
        {
            nint w = Libc.Write(fd, p + pending.Offset, pending.Data.Length - pending.Offset);
            if (w < 0)
            {
                if (Errno.Last == Errno.EAGAIN) return false;
                CloseConnection(fd);
                return false;
            }

            pending.Offset += (int)w;
        }

        if (pending.Offset < pending.Data.Length) return false;
        _pending[fd] = null;
        _ = Control(Epoll.EPOLL_CTL_MOD, fd, Epoll.EPOLLIN, (ulong)fd);
        return true;
    }

    private void CloseConnection(int fd)
    {
        _pending[fd] = null;
        _ = Libc.Close(fd); // closing the last reference removes it from the epoll set
    }

    private int Control(int op, int fd, uint mask, ulong token)
    {
        byte* ev = stackalloc byte[16];
        *(uint*)ev = mask;
        *(ulong*)(ev + _dataOffset) = token;
        return Epoll.Ctl(_epoll!, op, fd, ev);
    }

    private sealed class Pending(byte[] data)
    {
        public readonly byte[] Data = data;
        public int Offset;
    }
}
