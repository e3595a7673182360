using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Tests.Support;

/// <summary>
/// A loopback address and port where a connect gets no answer: Linux drops SYNs to a listener whose accept queue is
/// full, and with backlog 0 one connection nobody accepts fills it. Disposing closes the listener and its fillers.
/// </summary>
internal sealed class BlackHole : IDisposable
{
    private readonly Socket _listener;
    private readonly List<Socket> _fillers = [];

    private BlackHole(Socket listener) => _listener = listener;

    /// <summary>Where connects hang.</summary>
    public IPEndPoint EndPoint => (IPEndPoint)_listener.LocalEndPoint!;

    /// <summary>A black hole on <paramref name="address"/> and <paramref name="port"/> (0: any); null when that port is taken there.</summary>
    public static BlackHole? TryOpen(IPAddress address, int port = 0)
    {
        var listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            listener.Bind(new IPEndPoint(address, port));
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            listener.Dispose();
            return null;
        }

        listener.Listen(0);
        var hole = new BlackHole(listener);
        try
        {
            for (int i = 0; i < 8; i++)
            {
                Socket filler = Loopback.NewClient(address.AddressFamily);
                hole._fillers.Add(filler);
                if (!Loopback.ConnectsWithin(filler, hole.EndPoint, TimeSpan.FromMilliseconds(300))) return hole;
            }

            throw new InvalidOperationException($"The accept queue of {hole.EndPoint} never filled: the kernel answered every SYN.");
        }
        catch
        {
            hole.Dispose();
            throw;
        }
    }

    /// <summary>Sockets of this machine (Linux, IPv4) whose connect to <paramref name="remote"/> is under way (SYN_SENT).</summary>
    public static int ConnectsUnderWay(IPEndPoint remote)
    {
        byte[] address = remote.Address.GetAddressBytes();
        Array.Reverse(address);
        string wanted = $"{Convert.ToHexString(address)}:{remote.Port.ToString("X4", CultureInfo.InvariantCulture)}";
        return File.ReadLines("/proc/net/tcp").Skip(1)
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Count(fields => fields.Length > 3 && fields[2] == wanted && fields[3] == "02");
    }

    public void Dispose()
    {
        foreach (Socket filler in _fillers) filler.Dispose();
        _listener.Dispose();
    }
}
