using Actors.Io.TestKit;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.TestKit;

/// <summary>
/// The shared protocol tests over the test kit's <see cref="TestConnection"/>: a slow peer is a kernel that holds
/// writes until the peer reads (<see cref="TestConnection.AckPending"/>).
/// </summary>
public sealed class TestConnectionProtocolTests(ITestOutputHelper output) : ConnectionProtocolTests(output)
{
    protected override IConnectionUnderTest Open(TestProbe handler, ConnectionOptions options)
    {
        // The same configuration as the real connection's: the bound on pending bytes comes from this test's HOCON.
        TestConnectionSettings configured = TestConnectionSettings.From(ActorsIoSettings.Create(Sys.Settings.Config.WithFallback(ActorsIo.ReferenceConfig)).Tcp);
        Assert.Equal(MaxPendingWriteBytes, configured.MaxPendingWriteBytes);
        var connection = TestConnection.Create(this, configured with
        {
            PullMode = options.PullMode,
            KernelTakesWrites = !options.SlowPeer,
        });
        connection.Connection.Tell(new TcpMsg.Register(handler, options.KeepOpenOnPeerClosed, idleTimeout: options.IdleTimeout));
        connection.ExpectRegistered(TestWaits.Expect);
        return new Simulated(connection, options.SlowPeer);
    }

    private sealed class Simulated(TestConnection connection, bool slowPeer) : IConnectionUnderTest
    {
        public IActorRef Connection => connection.Connection;

        public void SendFromPeer(byte[] data) => connection.PushReceived(data);

        public byte[] ReadFromPeer(int count)
        {
            if (slowPeer) connection.AckPending();
            return connection.ExpectWrittenBytes(count, TestWaits.Expect).ToArray();
        }

        public void CloseFromPeer() => connection.PushPeerClosed();

        public void LetIdle(TimeSpan time) => connection.ElapseIdle(time);

        public void AssertPeerSawClose()
        {
            TcpMsg.ConnectionClosed closed = connection.ExpectClosedWith<TcpMsg.ConnectionClosed>(TestWaits.Expect);
            Assert.False(closed.IsAborted || closed.IsErrorClosed, $"the peer would see a reset: {closed}");
            connection.AssertNoViolations();
        }
    }
}
