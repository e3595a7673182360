using System.Runtime.InteropServices;
using Actors.Io.Loop;
using Actors.Io.Native;
using Actors.Io.Selection;
using Actors.Io.Tests.Support;
using Akka.Actor;

namespace Actors.Io.Tests.Selection;

/// <summary>The registration's interest bookkeeping against a real epoll poller that counts the system calls made.</summary>
public sealed class ChannelRegistrationTests : IDisposable
{
    private readonly CountingPoller _poller = new(new EpollPoller(16));
    private readonly EventLoop _loop = new("registration-test-loop", 0, _ => { });
    private readonly (FileDescriptorHandle Local, FileDescriptorHandle Peer) _pair = Descriptors.SocketPair();
    private readonly ChannelRegistration _registration;

    public ChannelRegistrationTests()
    {
        var selector = new Selector(0, _loop, new ChannelBudget(10));
        _registration = new ChannelRegistration(_poller, selector, 0, 1, _pair.Local, ActorRefs.Nobody);
        Assert.Equal(0, _registration.Register(Interest.Read));
    }

    [Fact]
    public void Re_arming_after_each_event_costs_no_system_call()
    {
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal(Interest.Read, _registration.OnEvent(PollEvents.Readable, out bool hangUp));
            Assert.False(hangUp);
            Assert.True(_registration.Arm(Interest.Read));
        }

        Assert.Equal(0, _poller.Modifies);
    }

    [Fact]
    public void An_unwanted_event_narrows_the_kernel_once_and_arming_again_restores_it()
    {
        Assert.Equal(Interest.Read, _registration.OnEvent(PollEvents.Readable, out _));

        // Not re-armed: the next (level-triggered) report is unwanted and narrows the kernel, in one-shot mode.
        Assert.Equal(Interest.None, _registration.OnEvent(PollEvents.Readable, out bool hangUp));
        Assert.False(hangUp);
        Assert.Equal(1, _poller.Modifies);
        Assert.True(_poller.LastOneShot);
        Assert.Equal(PollInterest.None, _poller.LastInterest);

        Assert.True(_registration.Arm(Interest.Read));
        Assert.Equal(2, _poller.Modifies);
        Assert.False(_poller.LastOneShot);
        Assert.Equal(PollInterest.Read, _poller.LastInterest);
    }

    [Fact]
    public void Hang_up_without_interest_is_reported_once_then_no_longer_watched()
    {
        Assert.True(_registration.Disarm(Interest.Read));
        Assert.Equal(0, _poller.Modifies);
        Assert.Equal(Interest.None, _registration.OnEvent(PollEvents.ReadHangUp, out bool hangUp));
        Assert.True(hangUp);
        Assert.False(_poller.LastWithHangUp);
        Assert.Equal(Interest.None, _registration.OnEvent(PollEvents.ReadHangUp | PollEvents.HangUp, out hangUp));
        Assert.False(hangUp);
    }

    [Fact]
    public void Write_interest_is_added_to_read_and_a_closed_registration_refuses_everything()
    {
        Assert.True(_registration.Arm(Interest.Write));
        Assert.Equal(PollInterest.Read | PollInterest.Write, _poller.LastInterest);
        Assert.Equal(Interest.Write, _registration.OnEvent(PollEvents.Writable, out _));
        _registration.Close();
        Assert.False(_registration.Arm(Interest.Read));
        Assert.Equal(Interest.None, _registration.OnEvent(PollEvents.Readable, out _));
        Assert.True(_pair.Local.IsClosed);
    }

    public void Dispose()
    {
        _registration.Close();
        _pair.Peer.Dispose();
        _poller.Dispose();
        _loop.Stop();
    }

    private sealed class CountingPoller(IPoller inner) : IPoller
    {
        public int Modifies { get; private set; }

        public PollInterest LastInterest { get; private set; }

        public bool LastOneShot { get; private set; }

        public bool LastWithHangUp { get; private set; }

        public string Backend => inner.Backend;

        public int Capacity => inner.Capacity;

        public int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true) => inner.Add(fd, token, interest, oneShot);

        public int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true)
        {
            Modifies++;
            LastInterest = interest;
            LastOneShot = oneShot;
            LastWithHangUp = withHangUp;
            return inner.Modify(fd, token, interest, withHangUp, oneShot);
        }

        public int Remove(SafeHandle fd) => inner.Remove(fd);

        public int Wait(int timeoutMs) => inner.Wait(timeoutMs);

        public void GetEvent(int index, out ulong token, out PollEvents events) => inner.GetEvent(index, out token, out events);

        public void Wake() => inner.Wake();

        public void ClearWake() => inner.ClearWake();

        public void Dispose() => inner.Dispose();
    }
}
