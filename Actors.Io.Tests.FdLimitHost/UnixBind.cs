using System.Net.Sockets;

namespace Actors.Io.Tests.FdLimitHost;

/// <summary>
/// With <c>unix-bind PATH</c>: a process that binds and listens on the socket file PATH, prints <c>BOUND</c> and waits
/// for stdin to close. The stale-socket-file test kills it with SIGKILL, which leaves the file behind.
/// </summary>
internal static class UnixBind
{
    public static int Run(string path)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        socket.Listen();
        Console.Out.WriteLine("BOUND");
        Console.Out.Flush();
        while (Console.In.ReadLine() is not null)
        {
        }

        return 0;
    }
}
