using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>Accepting: batches of <c>batch-accept-limit</c> with re-arming, and pull mode with <see cref="TcpMsg.ResumeAccepting"/>.</summary>
public sealed class ListenerAcceptTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.tcp.batch-accept-limit = 2"), output: output)
{
    [Fact]
    public void Accepts_every_pending_connection_in_batches_of_the_limit()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0)));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;

        Socket[] clients = ConnectAll(local, 10);
        try
        {
            var remotes = new HashSet<EndPoint>();
            for (int i = 0; i < clients.Length; i++)
            {
                var connected = ExpectMsg<TcpMsg.Connected>();
                LastSender.Tell(new TcpMsg.Register(TestActor));
                Assert.True(remotes.Add(connected.RemoteAddress), $"{connected.RemoteAddress} announced twice");
            }

            Assert.Equal(clients.Select(c => c.LocalEndPoint!).ToHashSet(), remotes);
            ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
    }

    [Fact]
    public void Pull_mode_accepts_only_as_many_as_ResumeAccepting_allows()
    {
        Sys.Io().Tell(new TcpMsg.Bind(TestActor, new IPEndPoint(IPAddress.Loopback, 0), pullMode: true));
        var local = (IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress;
        IActorRef listener = LastSender;

        // The kernel completes the handshakes (backlog); the listener accepts none of them yet.
        Socket[] clients = ConnectAll(local, 5);
        try
        {
            ExpectNoMsg(TimeSpan.FromMilliseconds(300));

            listener.Tell(new TcpMsg.ResumeAccepting(2));
            var first = new HashSet<EndPoint>();
            for (int i = 0; i < 2; i++)
            {
                first.Add(ExpectMsg<TcpMsg.Connected>().RemoteAddress);
                LastSender.Tell(new TcpMsg.Register(TestActor));
            }

            Assert.Equal(2, first.Count);
            ExpectNoMsg(TimeSpan.FromMilliseconds(500));

            // 3 > batch-accept-limit (2): the listener must re-arm within the allowance.
            listener.Tell(new TcpMsg.ResumeAccepting(3));
            var rest = new HashSet<EndPoint>();
            for (int i = 0; i < 3; i++)
            {
                rest.Add(ExpectMsg<TcpMsg.Connected>().RemoteAddress);
                LastSender.Tell(new TcpMsg.Register(TestActor));
            }

            Assert.Equal(3, rest.Count);
            Assert.Empty(first.Intersect(rest));
            Assert.Equal(clients.Select(c => c.LocalEndPoint!).ToHashSet(), first.Union(rest).ToHashSet());
            ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
        }
    }

    /// <summary>Connects <paramref name="count"/> clients at once and waits (bounded) until all are connected.</summary>
    private static Socket[] ConnectAll(IPEndPoint target, int count)
    {
        Socket[] clients = [.. Enumerable.Range(0, count).Select(_ => Loopback.NewClient(target.AddressFamily))];
        Task[] connects = [.. clients.Select(c => c.ConnectAsync(target))];
        if (!Task.WaitAll(connects, TestWaits.Expect))
        {
            foreach (Socket client in clients) client.Dispose();
            throw new TimeoutException($"{count} clients did not all connect to {target} within {TestWaits.Expect}.");
        }

        return clients;
    }
}
