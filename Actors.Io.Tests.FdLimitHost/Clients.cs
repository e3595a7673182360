using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Tests.FdLimitHost;

/// <summary>
/// The client side of the 10,000-connection test, in its own process so each side has its own descriptor limit:
/// opens N connections to 127.0.0.1:PORT, sends 8 distinct bytes on each and checks the echo, prints <c>DONE n</c>,
/// then on the stdin line <c>close</c> closes them all and prints <c>CLOSED</c>.
/// </summary>
internal static class Clients
{
    public static int Run(int count, int port)
    {
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var sockets = new Socket[count];
        try
        {
            for (int i = 0; i < count; i++)
            {
                sockets[i] = new Socket(SocketType.Stream, ProtocolType.Tcp) { ReceiveTimeout = 30_000, NoDelay = true };
                sockets[i].Connect(target);
            }

            Console.Out.WriteLine($"CONNECTED {count}");
            byte[] message = new byte[8];
            for (int i = 0; i < count; i++)
            {
                BitConverter.TryWriteBytes(message, (long)i);
                sockets[i].Send(message);
            }

            byte[] echo = new byte[8];
            for (int i = 0; i < count; i++)
            {
                int got = 0;
                while (got < 8)
                {
                    int n = sockets[i].Receive(echo, got, 8 - got, SocketFlags.None);
                    if (n == 0) throw new IOException($"connection {i} closed after {got} bytes");
                    got += n;
                }

                if (BitConverter.ToInt64(echo) != i) throw new IOException($"connection {i} echoed the wrong bytes");
            }

            return AnnounceAndHold($"DONE {count}");
        }
        catch (Exception e)
        {
            Console.Out.WriteLine($"FAILED {e.Message}");
            return 1;
        }
        finally
        {
            foreach (Socket? socket in sockets) socket?.Dispose();
            Console.Out.WriteLine("CLOSED");
        }
    }

    /// <summary>Prints <paramref name="line"/> for the test, then holds the connections until stdin says <c>close</c>.</summary>
    internal static int AnnounceAndHold(string line)
    {
        Console.Out.WriteLine(line);
        while (Console.In.ReadLine() is { } input && input.Trim() != "close")
        {
        }

        return 0;
    }
}
