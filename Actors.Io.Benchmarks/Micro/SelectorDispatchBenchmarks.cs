using System.Runtime.InteropServices;
using Actors.Io.Loop;
using Actors.Io.Native;
using Actors.Io.Selection;
using BenchmarkDotNet.Attributes;

namespace Actors.Io.Benchmarks.Micro;

/// <summary>
/// Selector dispatch of one batch of 64 readiness events, reported per event. The loop is
/// <c>SelectorActor.RunSelect</c>'s (private to the actor) line for line over the library's own types: the
/// <see cref="RegistrationTable"/> lookup by token, <see cref="ChannelRegistration.OnEvent"/> (one-shot bookkeeping
/// under the registration's lock), and a Tell of the cached <see cref="Readable"/> to the owner (here a counting
/// reference, so no mailbox is measured). <c>Epoll</c> includes each connection's re-arm (<c>epoll_ctl</c>) and the
/// <c>epoll_wait</c> that returns the batch, over 64 eventfds that are always readable; <c>Synthetic</c> replays the
/// same batch from memory to show the dispatch cost alone.
/// </summary>
public class SelectorDispatchBenchmarks
{
    private const int Events = 64;

    private EventLoop? _loop;
    private EpollPoller? _epoll;
    private RegistrationTable? _epollTable;
    private ChannelRegistration[] _epollRegistrations = [];
    private ReplayPoller? _replay;
    private RegistrationTable? _replayTable;
    private ChannelRegistration[] _replayRegistrations = [];
    private Selector? _selector;
    private CountingActorRef? _owner;
    private FileDescriptorHandle[] _eventFds = [];

    [GlobalSetup]
    public void Setup()
    {
        _loop = new EventLoop("bench-selector-loop", 0, _ => { });
        _selector = new Selector(0, _loop, new ChannelBudget(1024));
        _owner = new CountingActorRef("owner");
        _epoll = new EpollPoller(512);
        _epollTable = new RegistrationTable();
        _eventFds = new FileDescriptorHandle[Events];
        _epollRegistrations = new ChannelRegistration[Events];
        for (int i = 0; i < Events; i++)
        {
            int fd = Epoll.EventFd(1, Epoll.EFD_CLOEXEC | Epoll.EFD_NONBLOCK); // counter 1: readable until read
            if (fd < 0) throw new IOException($"eventfd failed: {Errno.Describe(Errno.Last)}");
            _eventFds[i] = new FileDescriptorHandle(fd);
            _epollRegistrations[i] = Register(_epoll, _epollTable, _eventFds[i]);
        }

        _replay = new ReplayPoller();
        _replayTable = new RegistrationTable();
        _replayRegistrations = new ChannelRegistration[Events];
        for (int i = 0; i < Events; i++)
        {
            _replayRegistrations[i] = Register(_replay, _replayTable, _eventFds[i]);
            _replay.Tokens.Add(_replayRegistrations[i].Token);
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _epoll?.Dispose();
        foreach (FileDescriptorHandle fd in _eventFds) fd.Dispose();
        _loop?.Stop();
    }

    /// <summary>64 re-arms (epoll_ctl), one epoll_wait returning 64 events, and their dispatch.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Epoll64()
    {
        foreach (ChannelRegistration r in _epollRegistrations) r.Arm(Interest.Read);
        int n = _epoll!.Wait(0);
        if (n != Events) throw new InvalidOperationException($"expected {Events} events, got {n}");
        Dispatch(_epoll, _epollTable!, n);
        return n;
    }

    /// <summary>The same batch replayed from memory: lookup, one-shot bookkeeping and the Tell, no system call.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int Synthetic64()
    {
        foreach (ChannelRegistration r in _replayRegistrations) r.Arm(Interest.Read);
        int n = _replay!.Wait(0);
        Dispatch(_replay, _replayTable!, n);
        return n;
    }

    // SelectorActor.RunSelect's dispatch, as the selector runs it (plus its once-per-round counter update).
    private void Dispatch(IPoller poller, RegistrationTable table, int n) =>
        SelectorCounters.Add(ref _selector!.Counters.EventsDispatched, SelectorActor.Dispatch(poller, table, n));

    private ChannelRegistration Register(IPoller poller, RegistrationTable table, SafeHandle fd)
    {
        (int slot, uint generation) = table.Reserve();
        var registration = new ChannelRegistration(poller, _selector!, slot, generation, fd, _owner!);
        int rc = registration.Register(Interest.Read);
        if (rc != 0) throw new IOException($"register failed: {Errno.Describe(rc)}");
        table.Fill(registration);
        return registration;
    }

    /// <summary>A poller that returns the same readable batch on every wait and accepts every change.</summary>
    private sealed class ReplayPoller : IPoller
    {
        public List<ulong> Tokens { get; } = [];

        public string Backend => "replay";

        public int Capacity => Tokens.Count;

        public int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true) => 0;

        public int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true) => 0;

        public int Remove(SafeHandle fd) => 0;

        public int Wait(int timeoutMs) => Tokens.Count;

        public void GetEvent(int index, out ulong token, out PollEvents events)
        {
            token = Tokens[index];
            events = PollEvents.Readable;
        }

        public void Wake()
        {
        }

        public void ClearWake()
        {
        }

        public void Dispose()
        {
        }
    }
}
