using System.Buffers;
using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// Plain <see cref="System.Net.Sockets"/> async: an accept loop and, per connection, a loop that waits for data with a
/// zero-byte <c>ReceiveAsync</c> (so an idle connection holds no buffer), rents a buffer from
/// <see cref="ArrayPool{T}.Shared"/> for the read, echoes it with <c>SendAsync</c> and returns it.
/// </summary>
internal sealed class SocketsEchoServer : IEchoServer
{
    private const int BufferSize = 16 * 1024;
    private Socket? _listener;

    public int Start(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(EchoServers.Backlog);
        _listener = listener;
        _ = Task.Run(() => AcceptLoop(listener));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public void Dispose() => _listener?.Dispose();

    private static async Task AcceptLoop(Socket listener)
    {
        while (true)
        {
            Socket connection;
            try
            {
                connection = await listener.AcceptAsync().ConfigureAwait(false);
            }
            catch (Exception e) when (e is SocketException or ObjectDisposedException)
            {
                return;
            }

            connection.NoDelay = true;
            _ = Serve(connection);
        }
    }

    private static async Task Serve(Socket connection)
    {
        try
        {
            while (true)
            {
                // Wait until the kernel has data without holding a buffer: an idle connection costs no buffer.
                _ = await connection.ReceiveAsync(Memory<byte>.Empty, SocketFlags.None).ConfigureAwait(false);
                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int n = await connection.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).ConfigureAwait(false);
                    if (n == 0) return;
                    await connection.SendAsync(buffer.AsMemory(0, n), SocketFlags.None).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Reset by the peer (the load generator aborts its connections): nothing to do.
        }
        finally
        {
            connection.Dispose();
        }
    }
}
