using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Sample;

/// <summary>
/// Tells whether a TCP port is taken by a listener, before the node starts. Akka.Remote binds its port with .NET's
/// ReuseAddress, which on Linux also sets SO_REUSEPORT: a second node started on a taken cluster port would share it
/// silently and the kernel would split the connections between the two. This check makes that an error.
/// </summary>
internal static class PortCheck
{
    /// <summary>True when a socket listens on <paramref name="port"/> of <paramref name="host"/>.</summary>
    public static bool IsListening(IPAddress host, int port)
    {
        if (port == 0) return false;
        using var probe = new Socket(host.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        // SO_REUSEADDR alone (not .NET's ReuseAddress, which adds SO_REUSEPORT): binding then fails only on a socket that
        // is bound or listening, not on connections of an earlier run waiting in TIME_WAIT.
        (int level, int name) = OperatingSystem.IsLinux() ? (1, 2) : (0xffff, 4);
        probe.SetRawSocketOption(level, name, BitConverter.GetBytes(1));
        try
        {
            probe.Bind(new IPEndPoint(host, port));
            return false;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.AddressAlreadyInUse)
        {
            return true;
        }
    }
}
