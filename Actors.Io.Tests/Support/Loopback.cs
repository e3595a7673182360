using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Actors.Io.Streams;
using Akka.Actor;

namespace Actors.Io.Tests.Support;

/// <summary>Plain loopback sockets for the listener and connect tests, with bounded waits, and a look inside channel actors.</summary>
internal static class Loopback
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(3);

    /// <summary>A client socket connected to <paramref name="target"/> within <see cref="Wait"/>, with 3 s send/receive timeouts.</summary>
    public static Socket Connect(EndPoint target)
    {
        var socket = NewClient(target.AddressFamily);
        try
        {
            if (!socket.ConnectAsync(target).Wait(Wait)) throw new TimeoutException($"Connecting to {target} took longer than {Wait}.");
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Connects a client to <paramref name="target"/> and asserts the server closes it without a byte: the client sees EOF
    /// or a reset (which may already fail the connect, when the reset overtakes the handshake's completion).
    /// </summary>
    public static void AssertClosedByServer(EndPoint target)
    {
        using Socket client = NewClient(target.AddressFamily);
        try
        {
            Assert.True(client.ConnectAsync(target).Wait(Wait), $"Connecting to {target} took longer than {Wait}.");
            Assert.Equal(0, client.Receive(new byte[16]));
        }
        catch (AggregateException e) when (e.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionReset })
        {
            // Reset before the connect completed.
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            // Reset after.
        }
    }

    /// <summary>Starts connecting <paramref name="socket"/> and says whether it connected within <paramref name="within"/>.</summary>
    public static bool ConnectsWithin(Socket socket, EndPoint target, TimeSpan within) => socket.ConnectAsync(target).Wait(within);

    /// <summary>A TCP socket with 3 s send/receive timeouts.</summary>
    public static Socket NewClient(AddressFamily family) =>
        new(family, SocketType.Stream, ProtocolType.Tcp)
        {
            ReceiveTimeout = (int)Wait.TotalMilliseconds,
            SendTimeout = (int)Wait.TotalMilliseconds,
        };

    /// <summary>Reads exactly <paramref name="count"/> bytes (or fails on the receive timeout) as ASCII.</summary>
    public static string ReceiveAscii(Socket socket, int count)
    {
        var buffer = new byte[count];
        int read = 0;
        while (read < count)
        {
            int n = socket.Receive(buffer, read, count - read, SocketFlags.None);
            if (n == 0) throw new IOException($"EOF after {read} of {count} bytes.");
            read += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>
    /// A view of the socket of a connection actor (incoming or outgoing) for reading its options: the descriptor is read
    /// through reflection and wrapped without ownership (do not dispose the view).
    /// </summary>
    public static Socket SocketOf(IActorRef connection)
    {
        object actor = ActorOf(connection);
        PropertyInfo property = typeof(TcpConnection).GetProperty("Handle", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingMemberException(nameof(TcpConnection), "Handle");
        var handle = (System.Runtime.InteropServices.SafeHandle?)property.GetValue(actor)
            ?? throw new InvalidOperationException($"{connection} has no socket.");
        var view = new Socket(new SafeSocketHandle(handle.DangerousGetHandle(), ownsHandle: false));
        GC.SuppressFinalize(view);
        return view;
    }

    /// <summary>The listening socket of a listener actor, read through reflection.</summary>
    public static Socket ListeningSocketOf(IActorRef listener)
    {
        object actor = ActorOf(listener);
        FieldInfo field = typeof(Actors.Io.Streams.TcpListener).GetField("_socket", BindingFlags.Instance | BindingFlags.NonPublic)
            ?? throw new MissingMemberException(nameof(Actors.Io.Streams.TcpListener), "_socket");
        return (Socket?)field.GetValue(actor) ?? throw new InvalidOperationException($"{listener} has no socket.");
    }

    /// <summary>An integer socket option (0 = off).</summary>
    public static int IntOption(Socket socket, SocketOptionLevel level, SocketOptionName name) =>
        (int)socket.GetSocketOption(level, name)!;

    private static object ActorOf(IActorRef actorRef)
    {
        var cell = (ActorCell)((ActorRefWithCell)actorRef).Underlying;
        PropertyInfo property = typeof(ActorCell).GetProperty("Actor", BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic)
            ?? throw new MissingMemberException(nameof(ActorCell), "Actor");
        return property.GetValue(cell) ?? throw new InvalidOperationException($"{actorRef} has no actor instance (not started or stopped).");
    }
}
