using System.Diagnostics;
using Actors.Io.Native;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Selection;

public sealed class SelectorActorTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly ITestOutputHelper _output;

    public SelectorActorTests(ITestOutputHelper output)
        : base(TestConfigs.With("actors-io.nr-of-selectors = 2\n" + TestConfigs.Quiet), output: output) => _output = output;

    private ActorsIo Io => ActorsIo.Get(Sys);

    [Fact]
    public void Registrant_gets_Readable_once_per_arm_while_data_remains()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (peer)
        {
            ChannelRegistration registration = Register(local, TestActor, Interest.Read);
            Descriptors.Write(peer, "x"u8);
            Assert.Same(Readable.Instance, ExpectMsg<Readable>());
            ExpectNoMsg(TimeSpan.FromMilliseconds(200));

            // Level-triggered: the byte is still unread, so arming again reports again.
            Assert.True(registration.Arm(Interest.Read));
            ExpectMsg<Readable>();
            ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            registration.Close();
        }
    }

    [Fact]
    public void Registrant_gets_Writable_when_the_kernel_has_room()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (peer)
        {
            ChannelRegistration registration = Register(local, TestActor, Interest.None);
            ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            Assert.True(registration.Arm(Interest.Write));
            Assert.Same(Writable.Instance, ExpectMsg<Writable>());
            ExpectNoMsg(TimeSpan.FromMilliseconds(100));
            registration.Close();
        }
    }

    [Fact]
    public void Peer_close_is_reported_with_no_interest_armed()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        ChannelRegistration registration = Register(local, TestActor, Interest.None);
        peer.Dispose();
        Assert.Same(HangUp.Instance, ExpectMsg<HangUp>());
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        registration.Close();
    }

    [Fact]
    public void Peer_close_is_reported_after_a_read_event_when_the_owner_only_watches()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        ChannelRegistration registration = Register(local, TestActor, Interest.Read);
        Descriptors.Write(peer, "x"u8);
        ExpectMsg<Readable>();

        // Reading is "suspended": the owner re-arms only the hang-up watch.
        Assert.True(registration.Arm(Interest.None));
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        peer.Dispose();
        ExpectMsg<HangUp>();
        registration.Close();
    }

    [Fact]
    public void Reset_by_peer_is_reported_with_no_interest_armed()
    {
        using var listener = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        listener.Bind(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 0));
        listener.Listen();
        using var client = new System.Net.Sockets.Socket(System.Net.Sockets.SocketType.Stream, System.Net.Sockets.ProtocolType.Tcp);
        client.Connect(listener.LocalEndPoint!);
        System.Net.Sockets.Socket server = listener.Accept();
        server.Blocking = false;
        ChannelRegistration registration = Register(server.SafeHandle, TestActor, Interest.None);

        client.LingerState = new System.Net.Sockets.LingerOption(true, 0);
        client.Close();
        ExpectMsg<HangUp>();
        Assert.Equal(0, Sockets.GetPendingError(server.SafeHandle, out int error));
        Assert.Equal(Errno.ECONNRESET, error);
        registration.Close();
        server.Dispose();
    }

    [Fact]
    public void Closed_registration_gets_nothing_and_its_slot_is_reused_with_a_new_generation()
    {
        (FileDescriptorHandle localA, FileDescriptorHandle peerA) = Descriptors.SocketPair();
        TestProbe ownerA = CreateTestProbe();
        ChannelRegistration a = Register(localA, ownerA, Interest.Read);
        Descriptors.Write(peerA, "a"u8);
        ownerA.ExpectMsg<Readable>();
        a.Close();
        peerA.Dispose();
        AwaitAssert(() => Assert.Equal(0, Io.SelectorLoads().Sum()), TestWaits.Expect);

        (FileDescriptorHandle localB, FileDescriptorHandle peerB) = Descriptors.SocketPair();
        using (peerB)
        {
            ChannelRegistration b = Register(localB, TestActor, Interest.Read);
            Assert.Equal(a.SelectorIndex, b.SelectorIndex);
            Assert.Equal(a.Slot, b.Slot);
            Assert.NotEqual(a.Token, b.Token);
            Descriptors.Write(peerB, "b"u8);
            ExpectMsg<Readable>();
            ownerA.ExpectNoMsg(TimeSpan.FromMilliseconds(200));
            b.Close();
        }
    }

    [Fact]
    public void Two_selectors_share_a_thousand_registrations_evenly()
    {
        var handles = new List<ChannelRegistration>();
        for (int i = 0; i < 1000; i++)
        {
            Placement.Register(Sys, Descriptors.EventFd(), TestActor, Interest.None);
        }

        for (int i = 0; i < 1000; i++) handles.Add((ChannelRegistration)ExpectMsg<ChannelRegistered>().Registration);
        Assert.Equal(new[] { 500, 500 }, Io.SelectorLoads());
        Assert.Equal(500, handles.Count(h => h.SelectorIndex == 0));
        foreach (ChannelRegistration h in handles) h.Close();
        AwaitAssert(() => Assert.Equal(new[] { 0, 0 }, Io.SelectorLoads()), TestWaits.Expect);
        Assert.Equal(0, Io.Budget.Open);
    }

    [Fact]
    public void Registrant_death_deregisters_and_closes_the_channel()
    {
        TestProbe owner = CreateTestProbe();
        FileDescriptorHandle fd = Descriptors.EventFd();
        ChannelRegistration registration = Register(fd, owner, Interest.None);
        Assert.Equal(1, Io.SelectorLoads().Sum());
        Watch(owner);
        Sys.Stop(owner);
        ExpectTerminated(owner);
        AwaitAssert(
            () =>
            {
                Assert.True(registration.IsClosed);
                Assert.True(fd.IsClosed);
                Assert.Equal(0, Io.SelectorLoads().Sum());
            },
            TestWaits.Expect);
    }

    [Fact]
    public void Broken_poller_tells_registrants_and_a_restarted_selector_takes_new_channels()
    {
        FaultyPollers pollers = FaultyPollers.Install(Sys);
        TestProbe owner = CreateTestProbe();
        ChannelRegistration registration = Register(Descriptors.EventFd(), owner, Interest.None);
        Selector broken = Io.Selector(registration.SelectorIndex);
        EventFilter.Error(contains: "failed waiting for events").ExpectOne(() =>
            pollers.Break(registration.SelectorIndex));

        SelectorFailed failed = owner.ExpectMsg<SelectorFailed>();
        Assert.Contains("failed waiting for events", failed.Cause.Message);
        Assert.True(registration.IsClosed);

        // The selector restarted in place with a new poller: same ref, same loop, and it serves new channels.
        Assert.Same(broken, Io.Selector(registration.SelectorIndex));
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (peer)
        {
            for (int i = 0; i < 2; i++)
            {
                ChannelRegistration fresh = Register(i == 0 ? local : Descriptors.EventFd(), TestActor, i == 0 ? Interest.Read : Interest.None);
                if (i == 0)
                {
                    Descriptors.Write(peer, "x"u8);
                    ExpectMsg<Readable>();
                }
            }
        }

        Assert.Equal(0, Io.Budget.Open - Io.SelectorLoads().Sum());
    }

    [Fact]
    public void Registration_of_a_closed_descriptor_fails_with_a_cause()
    {
        FileDescriptorHandle fd = Descriptors.EventFd();
        fd.Dispose();
        Placement.Register(Sys, fd, TestActor, Interest.Read);
        RegistrationFailed failed = ExpectMsg<RegistrationFailed>();
        Assert.Contains("errno", failed.Cause.Message);
        AwaitAssert(() => Assert.Equal(0, Io.Budget.Open), TestWaits.Expect);
    }

    [Fact]
    public void Loop_actor_is_woken_by_a_message_from_another_thread_while_the_selector_blocks()
    {
        IActorRef actor = Sys.ActorOf(Props.Create(() => new ThreadReporter()).WithDispatcher(Io.LoopDispatcherIds[1]));
        int loopThread = Io.Loops[1].ManagedThreadId;
        for (int i = 0; i < 50; i++)
        {
            actor.Tell(i);
            Assert.Equal(loopThread, ExpectMsg<int>(TimeSpan.FromSeconds(2)));
        }

        // Without the test kit's reply path: the loop is asleep in its poller each time the message arrives.
        IActorRef signaller = Sys.ActorOf(Props.Create(() => new Signaller()).WithDispatcher(Io.LoopDispatcherIds[1]));
        var stopwatch = Stopwatch.StartNew();
        for (int i = 0; i < 1000; i++)
        {
            using var done = new ManualResetEventSlim();
            signaller.Tell(done);
            Assert.True(done.Wait(TimeSpan.FromSeconds(2)), $"wake {i} was lost");
        }

        _output.WriteLine($"1,000 wakes of a sleeping loop in {stopwatch.ElapsedMilliseconds} ms");
    }

    [Fact]
    public void Ping_pong_between_a_socket_peer_and_a_loop_actor_never_leaves_the_loop_thread()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (peer)
        {
            IActorRef echo = Sys.ActorOf(Props.Create(() => new LoopEcho(local, TestActor)).WithDispatcher(Io.LoopDispatcherIds[0]));
            ExpectMsg("registered");
            int loopThread = Io.Loops[0].ManagedThreadId;
            var buffer = new byte[16];
            for (int i = 0; i < 500; i++)
            {
                Descriptors.Write(peer, "ping"u8);
                (int handlerThread, int readThreadOfRegistration) = ExpectMsg<(int, int)>();
                Assert.Equal(loopThread, handlerThread);
                Assert.Equal(loopThread, readThreadOfRegistration);
                Assert.Equal(4, Descriptors.Read(peer, buffer));
                Assert.Equal("ping"u8.ToArray(), buffer[..4]);
            }

            Sys.Stop(echo);
        }
    }

    [Fact]
    public void Selector_dispatch_allocates_nothing_per_event()
    {
        (FileDescriptorHandle local, FileDescriptorHandle peer) = Descriptors.SocketPair();
        using (peer)
        {
            Descriptors.Write(peer, "unread"u8);
            Sys.ActorOf(Props.Create(() => new AllocationMeter(local, TestActor, 2_000, 10_000)).WithDispatcher(Io.LoopDispatcherIds[0]));
            long allocated = ExpectMsg<long>(TimeSpan.FromSeconds(20));
            _output.WriteLine($"allocated on the loop thread over 10,000 events: {allocated} bytes");

            // Nothing per event: a few hundred bytes in total at most (amortised queue growth), not bytes per event.
            Assert.True(allocated < 10_000 / 10, $"{allocated} bytes allocated over 10,000 events");
        }
    }

    private ChannelRegistration Register(System.Runtime.InteropServices.SafeHandle handle, IActorRef testActor, Interest interest)
    {
        Assert.Equal(TestActor, testActor);
        Placement.Register(Sys, handle, TestActor, interest);
        return (ChannelRegistration)ExpectMsg<ChannelRegistered>().Registration;
    }

    private ChannelRegistration Register(System.Runtime.InteropServices.SafeHandle handle, TestProbe owner, Interest interest)
    {
        Placement.Register(Sys, handle, owner.Ref, interest);
        return (ChannelRegistration)owner.ExpectMsg<ChannelRegistered>().Registration;
    }

    private sealed class Signaller : UntypedActor
    {
        protected override void OnReceive(object message) => ((ManualResetEventSlim)message).Set();
    }

    private sealed class ThreadReporter : UntypedActor
    {
        protected override void OnReceive(object message) => Sender.Tell(Environment.CurrentManagedThreadId);
    }

    /// <summary>Registers a socketpair end and echoes what it reads, reporting the thread of each step.</summary>
    private sealed class LoopEcho(FileDescriptorHandle fd, IActorRef probe) : UntypedActor
    {
        private readonly byte[] _buffer = new byte[64];
        private ChannelRegistration? _registration;

        protected override void PreStart() => Placement.Register(Context.System, fd, Self, Interest.Read);

        protected override void PostStop() => _registration?.Close();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ChannelRegistered registered:
                    _registration = (ChannelRegistration)registered.Registration;
                    probe.Tell("registered");
                    break;
                case Readable:
                    int readThread = Environment.CurrentManagedThreadId;
                    int n = Descriptors.Read(fd, _buffer);
                    if (n > 0) Descriptors.Write(fd, _buffer.AsSpan(0, n));
                    _registration!.Arm(Interest.Read);
                    probe.Tell((Environment.CurrentManagedThreadId, readThread));
                    break;
            }
        }
    }

    /// <summary>Re-arms on every Readable without reading; measures allocations on the loop thread between two counts.</summary>
    private sealed class AllocationMeter(FileDescriptorHandle fd, IActorRef probe, int warmup, int measured) : UntypedActor
    {
        private ChannelRegistration? _registration;
        private int _events;
        private long _start;

        protected override void PreStart() => Placement.Register(Context.System, fd, Self, Interest.Read);

        protected override void PostStop() => _registration?.Close();

        protected override void OnReceive(object message)
        {
            switch (message)
            {
                case ChannelRegistered registered:
                    _registration = (ChannelRegistration)registered.Registration;
                    break;
                case Readable:
                    _events++;
                    if (_events == warmup) _start = GC.GetAllocatedBytesForCurrentThread();
                    if (_events == warmup + measured)
                    {
                        probe.Tell(GC.GetAllocatedBytesForCurrentThread() - _start);
                        Context.Stop(Self);
                        return;
                    }

                    _registration!.Arm(Interest.Read);
                    break;
            }
        }
    }
}

[Collection(SerialCollection.Name)]
public sealed class SelectorLifecycleTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Terminate_with_blocked_selectors_completes_promptly()
    {
        ActorSystem system = ActorSystem.Create("terminate", TestConfigs.With("actors-io.nr-of-selectors = 4\n" + TestConfigs.Quiet));
        ActorsIo io = ActorsIo.Get(system);
        await RegisterSome(system, io, 8);

        var stopwatch = Stopwatch.StartNew();
        await system.Terminate().WaitAsync(TestWaits.Expect);
        output.WriteLine($"terminated in {stopwatch.ElapsedMilliseconds} ms");
        // Blocked selectors that were not woken would hold termination for good; 3 s leaves room for a loaded machine.
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(3), $"took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task No_descriptor_leaks_after_terminate()
    {
        int before = Descriptors.OpenSocketsAndPollers();
        ActorSystem system = ActorSystem.Create("leaks", TestConfigs.With("actors-io.nr-of-selectors = 3\n" + TestConfigs.Quiet));
        ActorsIo io = ActorsIo.Get(system);
        await RegisterSome(system, io, 20);
        Assert.True(Descriptors.OpenSocketsAndPollers() >= before + 20 + 6);

        await system.Terminate().WaitAsync(TestWaits.Expect);
        Assert.Equal(before, Descriptors.OpenSocketsAndPollers());
    }

    private static async Task RegisterSome(ActorSystem system, ActorsIo io, int count)
    {
        var probe = new Akka.TestKit.Xunit2.TestKit(system);
        for (int i = 0; i < count; i++) Placement.Register(system, Descriptors.EventFd(), probe.TestActor, Interest.None);
        for (int i = 0; i < count; i++) await probe.ExpectMsgAsync<ChannelRegistered>();
    }
}
