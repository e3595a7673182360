using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Tests.FdLimitHost;

/// <summary>
/// The client side of the kill test: opens N connections to 127.0.0.1:PORT and sends on each without end while reading
/// none of the echo. Once every connection has sent at least 128 KiB (twice the server's write queue limit in that test) and has echoed bytes waiting unread, it prints
/// <c>FLOODING n</c> and keeps sending until it is killed. Closing a socket with unread input makes the kernel reset the
/// connection, so a SIGKILL now resets all of them mid-transfer.
/// </summary>
internal static class Flood
{
    private const int Block = 64 * 1024;
    private const long Threshold = 128 * 1024;

    public static int Run(int count, int port)
    {
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var sockets = new Socket[count];
        using var ready = new CountdownEvent(count);
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveBufferSize = 16 * 1024 };
                sockets[i].Connect(target);
            }

            byte[] block = new byte[Block];
            for (int i = 0; i < block.Length; i++) block[i] = (byte)(i * 7);
            foreach (Socket socket in sockets) _ = Task.Run(() => SendForever(socket, block, ready));
            if (!ready.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"{ready.CurrentCount} connections not flooding after 30 s");

            return Clients.AnnounceAndHold($"FLOODING {count}");
        }
        catch (Exception e)
        {
            Console.Out.WriteLine($"FAILED {e.Message}");
            return 1;
        }
        finally
        {
            foreach (Socket? socket in sockets) socket?.Dispose();
        }
    }

    /// <summary>Sends until the socket fails; signals <paramref name="ready"/> once past the threshold with echo unread.</summary>
    private static async Task SendForever(Socket socket, byte[] block, CountdownEvent ready)
    {
        Task<int> echoWaiting = socket.ReceiveAsync(new byte[1], SocketFlags.Peek);
        long sent = 0;
        bool signalled = false;
        try
        {
            while (true)
            {
                sent += await socket.SendAsync(block, SocketFlags.None);
                if (!signalled && sent >= Threshold)
                {
                    signalled = true;
                    _ = echoWaiting.ContinueWith(
                        t =>
                        {
                            if (t.IsCompletedSuccessfully && t.Result > 0) ready.Signal();
                        },
                        TaskScheduler.Default);
                }
            }
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Closed: the test is over.
        }
    }
}
