using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using Actors.Io.Tests.Support;
using Akka.Actor;

namespace Actors.Io.Tests.Selection;

/// <summary>The platform's poller, whose waits fail with EBADF once <see cref="Break"/> is called, as on a closed epoll descriptor.</summary>
internal sealed class FaultyPoller(IPoller inner) : IPoller
{
    private volatile bool _broken;

    public string Backend => inner.Backend;

    public int Capacity => inner.Capacity;

    /// <summary>Fails the wait in progress (by waking it) and every later one. Safe from any thread.</summary>
    public void Break()
    {
        _broken = true;
        inner.Wake();
    }

    public int Wait(int timeoutMs)
    {
        if (_broken) return -Errno.EBADF;
        int n = inner.Wait(timeoutMs);
        return _broken ? -Errno.EBADF : n;
    }

    public int Add(SafeHandle fd, ulong token, PollInterest interest, bool oneShot = true) => inner.Add(fd, token, interest, oneShot);

    public int Modify(SafeHandle fd, ulong token, PollInterest interest, bool withHangUp, bool oneShot = true) =>
        inner.Modify(fd, token, interest, withHangUp, oneShot);

    public int Remove(SafeHandle fd) => inner.Remove(fd);

    public void GetEvent(int index, out ulong token, out PollEvents events) => inner.GetEvent(index, out token, out events);

    public void Wake() => inner.Wake();

    public void ClearWake() => inner.ClearWake();

    public void Dispose() => inner.Dispose();
}

/// <summary>The poller source of a system whose selectors wait in <see cref="FaultyPoller"/>s; keeps each selector's latest.</summary>
internal sealed class FaultyPollers
{
    private readonly ConcurrentDictionary<int, FaultyPoller> _latest = new();

    /// <summary>Starts Actors.Io on <paramref name="system"/> with faulty pollers (before anything else uses it).</summary>
    public static FaultyPollers Install(ActorSystem system)
    {
        var pollers = new FaultyPollers();
        AdjustedIo.Start(system, settings => settings.Pollers = pollers.Create);
        return pollers;
    }

    /// <summary>Breaks the poller selector <paramref name="selectorIndex"/> waits in now.</summary>
    public void Break(int selectorIndex) => _latest[selectorIndex].Break();

    private FaultyPoller Create(int selectorIndex, PollerBackend backend, int capacity)
    {
        var poller = new FaultyPoller(PollerFactory.Create(backend, capacity));
        _latest[selectorIndex] = poller;
        return poller;
    }
}
