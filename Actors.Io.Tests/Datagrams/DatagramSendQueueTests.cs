using System.Net;
using System.Net.Sockets;
using Actors.Io.Datagrams;
using Actors.Io.Native;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Akka.IO;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>
/// The send queue when the kernel is full. Loopback UDP never blocks a sender (the kernel drops at the receiver instead),
/// so this drives the queue over an AF_UNIX datagram socketpair, whose sender does wait for a reader: sends past the
/// kernel's room are queued in order (the owner is told to arm Writable), sends past <c>max-queued-sends</c> fail, and
/// a flush once the peer reads sends the rest and acks each. Then the same through a socket actor on the real selector:
/// a send the kernel cannot take waits for Writable, and the acks stay in order.
/// </summary>
public sealed class DatagramSendQueueTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet))
{
    [Fact]
    public void Sends_past_the_kernels_room_queue_in_order_and_past_the_bound_fail()
    {
        UdpSettings settings = ActorsIoSettings.Create(
            ConfigurationFactory.ParseString("actors-io.udp.max-queued-sends = 3").WithFallback(ActorsIo.ReferenceConfig)).Udp;
        var queue = new DatagramSendQueue(settings, ActorsIo.Get(Sys).Selector(0));
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

    [Fact]
    public void A_send_the_kernel_cannot_take_waits_for_Writable_and_the_acks_stay_in_order()
    {
        const int sends = 200;
        (Socket local, Socket peer) = DatagramPair();
        using (peer)
        {
            ActorsIo io = ActorsIo.Get(Sys);
            Assert.True(io.Pool.TryPlace(out Selector? selector));
            UdpSettings settings = io.Settings.Udp;
            IActorRef self = TestActor;
            IActorRef channel = Sys.ActorOf(Props.Create(() => new PairChannel(settings, selector, self, local)).WithDispatcher(selector.Loop.Id));
            ExpectMsg("ready");

            for (int i = 0; i < sends; i++) channel.Tell(new UdpConnected.Send(Payload(i), new Ack(i)));

            // The kernel takes a few; the rest wait in the actor's queue, unacked, while the peer reads nothing.
            int taken = 0;
            while (ReceiveOne(TimeSpan.FromMilliseconds(300)) is Ack ack)
            {
                Assert.Equal(taken, ack.Id);
                taken++;
            }

            Assert.InRange(taken, 1, sends - 1);

            // The peer reads; the socket turns writable, and only Writable can flush the queue now.
            Task reading = Task.Run(() =>
            {
                byte[] buffer = new byte[2048];
                for (int i = 0; i < sends; i++)
                {
                    Assert.Equal(1024, peer.Receive(buffer));
                    Assert.Equal((byte)i, buffer[0]);
                }
            });
            for (int i = taken; i < sends; i++) Assert.Equal(i, ExpectMsg<Ack>().Id);
            AwaitCondition(() => reading.IsCompleted, TestWaits.Expect);
            Assert.True(reading.IsCompletedSuccessfully, reading.Exception?.ToString());
            ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            Watch(channel);
            Sys.Stop(channel);
            ExpectTerminated(channel);
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

    private static (Socket Local, Socket Peer) DatagramPair()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair(Descriptors.SockDgram, nonBlocking: false);
        Socket localSocket = Descriptors.ToSocket(local);
        localSocket.Blocking = false;
        localSocket.SendBufferSize = 4096;
        Socket peerSocket = Descriptors.ToSocket(peer);
        peerSocket.ReceiveTimeout = TestWaits.ExpectMilliseconds;
        return (localSocket, peerSocket);
    }

    private sealed class Ack(int id) : UdpConnected.Event
    {
        public int Id { get; } = id;
    }

    /// <summary>A datagram socket actor over a given connected socket: it only sends (target null), as UdpConnection does.</summary>
    private sealed class PairChannel(UdpSettings settings, Selector selector, IActorRef commander, Socket socket)
        : UdpChannel(settings, selector, commander, new UdpConnected.Connect(commander, new IPEndPoint(IPAddress.Loopback, 1)))
    {
        protected override IActorRef Watched => Commander;

        protected override bool Reads => false;

        protected override void PreStart() => Opened(socket);

        protected override void Announce() => Commander.Tell("ready");

        protected override void Deliver(ByteString data, DatagramReceiver receiver, int index)
        {
        }

        protected override bool OnCommand(object message)
        {
            if (message is not UdpConnected.Send send) return false;
            Send(send, send.Payload, null, send.WantsAck ? send.Ack : null);
            return true;
        }
    }
}
