using System.Net.Sockets;
using Actors.Io.Native;
using Actors.Io.Tests.Support;
using Actors.Io.Transport;
using Akka.Configuration;
using Akka.IO;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Udp;

/// <summary>
/// The send queue when the kernel is full. Loopback UDP never blocks a sender (the kernel drops at the receiver instead),
/// so this drives the queue over an AF_UNIX datagram socketpair, whose sender does wait for a reader: sends past the
/// kernel's room are queued in order (the owner is told to arm Writable), sends past <c>max-queued-sends</c> fail, and
/// a flush once the peer reads sends the rest and acks each.
/// </summary>
public sealed class DatagramSendQueueTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Fact]
    public void Sends_past_the_kernels_room_queue_in_order_and_past_the_bound_fail()
    {
        UdpSettings settings = ActorsIoSettings.Create(
            ConfigurationFactory.ParseString("actors-io.udp.max-queued-sends = 3").WithFallback(ActorsIo.ReferenceConfig)).Udp;
        var queue = new DatagramSendQueue(settings, ActorsIo.Get(Sys).Selector(0), (command, cause) => new UdpMsg.CommandFailed((UdpMsg.Command)command, cause));
        (Socket local, Socket peer) = DatagramPair();
        using (local)
        using (peer)
        {
            int accepted = 0;
            bool full = false;
            while (!full && accepted < 100_000)
            {
                full = queue.Send(local, Send(accepted), Payload(accepted), null, accepted, TestActor, TestActor);
                if (!full) Assert.Equal(accepted, ExpectMsg<int>());
                accepted++;
            }

            Assert.True(full, "the socketpair never filled");
            Assert.Equal(1, queue.Count);

            // Two more wait behind it; the fourth is over the bound.
            Assert.False(queue.Send(local, Send(accepted), Payload(accepted), null, accepted, TestActor, TestActor));
            Assert.False(queue.Send(local, Send(accepted + 1), Payload(accepted + 1), null, accepted + 1, TestActor, TestActor));
            UdpMsg.Send over = Send(accepted + 2);
            Assert.False(queue.Send(local, over, Payload(accepted + 2), null, accepted + 2, TestActor, TestActor));
            UdpMsg.CommandFailed failed = ExpectMsg<UdpMsg.CommandFailed>();
            Assert.Same(over, failed.Cmd);
            Assert.Contains("max-queued-sends = 3", failed.Cause!.Message);
            Assert.Equal(3, queue.Count);

            // The peer reads everything; the queue drains in order.
            byte[] buffer = new byte[2048];
            for (int i = 0; i < accepted - 1; i++) Assert.Equal(1024, peer.Receive(buffer));
            Assert.False(queue.Flush(local, TestActor));
            Assert.Equal(0, queue.Count);
            for (int i = accepted - 1; i <= accepted + 1; i++)
            {
                Assert.Equal(i, ExpectMsg<int>());
                Assert.Equal(1024, peer.Receive(buffer));
                Assert.Equal((byte)i, buffer[0]);
            }
        }
    }

    private static ByteString Payload(int id)
    {
        byte[] bytes = new byte[1024];
        bytes[0] = (byte)id;
        return ByteString.FromBytes(bytes);
    }

    private static UdpMsg.Send Send(int id) =>
        new(ByteString.Empty, new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, id + 1));

    private static unsafe (Socket Local, Socket Peer) DatagramPair()
    {
        int* fds = stackalloc int[2];
        const int SOCK_DGRAM = 2;
        if (Sockets.SocketPair(Sockets.AF_UNIX, SOCK_DGRAM, 0, fds) != 0) throw new IOException(Errno.Describe(Errno.Last));
        var local = new Socket(new SafeSocketHandle(fds[0], ownsHandle: true)) { Blocking = false, SendBufferSize = 4096 };
        var peer = new Socket(new SafeSocketHandle(fds[1], ownsHandle: true)) { ReceiveTimeout = 5000 };
        return (local, peer);
    }
}
