using System.Buffers;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// The .NET baseline for TLS: <see cref="SocketsEchoServer"/>'s shape with an <see cref="SslStream"/> over a
/// <see cref="NetworkStream"/> per connection, async/await throughout. Each connection authenticates as server with
/// <see cref="BenchCertificate.Server"/> (one <see cref="SslStreamCertificateContext"/> for all, as a .NET server should), then waits for data with a zero-byte <c>ReadAsync</c> (SslStream gives its
/// own read buffer back meanwhile, so an idle connection holds none), rents a 16 KiB buffer from
/// <see cref="ArrayPool{T}.Shared"/>, reads one record's plaintext, echoes it with <c>WriteAsync</c> and returns it.
/// </summary>
internal sealed class SocketsTlsEchoServer : IEchoServer
{
    private const int BufferSize = 16 * 1024;
    private Socket? _listener;

    public int Start(int port)
    {
        var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, port));
        listener.Listen(EchoServers.Backlog);
        _listener = listener;
        var options = new SslServerAuthenticationOptions
        {
            ServerCertificateContext = SslStreamCertificateContext.Create(BenchCertificate.Server, additionalCertificates: null, offline: true),
        };
        _ = Task.Run(() => AcceptLoop(listener, options));
        return ((IPEndPoint)listener.LocalEndPoint!).Port;
    }

    public void Dispose() => _listener?.Dispose();

    private static async Task AcceptLoop(Socket listener, SslServerAuthenticationOptions options)
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
            _ = Serve(connection, options);
        }
    }

    private static async Task Serve(Socket connection, SslServerAuthenticationOptions options)
    {
        var ssl = new SslStream(new NetworkStream(connection, ownsSocket: true), leaveInnerStreamOpen: false);
        try
        {
            await ssl.AuthenticateAsServerAsync(options).ConfigureAwait(false);
            while (true)
            {
                _ = await ssl.ReadAsync(Memory<byte>.Empty).ConfigureAwait(false);
                byte[] buffer = ArrayPool<byte>.Shared.Rent(BufferSize);
                try
                {
                    int n = await ssl.ReadAsync(buffer.AsMemory()).ConfigureAwait(false);
                    if (n == 0) return;
                    await ssl.WriteAsync(buffer.AsMemory(0, n)).ConfigureAwait(false);
                }
                finally
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                }
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or System.Security.Authentication.AuthenticationException)
        {
            // Reset by the peer (the load generator aborts its connections), or a failed handshake: nothing to do.
        }
        finally
        {
            await ssl.DisposeAsync().ConfigureAwait(false);
        }
    }
}
