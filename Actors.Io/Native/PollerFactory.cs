namespace Actors.Io.Native;

/// <summary>The readiness backend named by <c>actors-io.backend</c>.</summary>
public enum PollerBackend
{
    /// <summary>epoll on Linux, kqueue on macOS and FreeBSD.</summary>
    Auto,

    /// <summary>Linux epoll.</summary>
    Epoll,

    /// <summary>macOS / FreeBSD kqueue.</summary>
    Kqueue,
}

/// <summary>Makes the poller of selector <paramref name="selectorIndex"/> (see <see cref="ActorsIoSettings.Pollers"/>).</summary>
internal delegate IPoller PollerSource(int selectorIndex, PollerBackend backend, int capacity);

/// <summary>Creates the poller for the running platform, or fails naming the platform and what it supports.</summary>
internal static class PollerFactory
{
    /// <summary>The platform's poller for every selector (<see cref="Create"/>).</summary>
    public static readonly PollerSource Native = static (_, backend, capacity) => Create(backend, capacity);

    public static string Available(OsFamily os) => os switch
    {
        OsFamily.Linux => "epoll",
        OsFamily.MacOs or OsFamily.FreeBsd => "kqueue",
        _ => "none",
    };

    /// <summary>Resolves <paramref name="requested"/> on <paramref name="os"/>; throws <see cref="PlatformNotSupportedException"/>.</summary>
    public static PollerBackend Resolve(PollerBackend requested, OsFamily os, string platformDescription)
    {
        PollerBackend native = os switch
        {
            OsFamily.Linux => PollerBackend.Epoll,
            OsFamily.MacOs or OsFamily.FreeBsd => PollerBackend.Kqueue,
            _ => throw new PlatformNotSupportedException(
                $"Actors.Io supports Linux (epoll), macOS and FreeBSD (kqueue); this platform is {platformDescription}, which has none of them."),
        };
        if (requested == PollerBackend.Auto || requested == native) return native;
        throw new PlatformNotSupportedException(
            $"actors-io.backend = {requested.ToString().ToLowerInvariant()} is not available on {platformDescription}; available: auto, {Available(os)}.");
    }

    public static IPoller Create(PollerBackend requested, int capacity)
    {
        PollerBackend backend = Resolve(requested, Platform.Os, Platform.Describe());
        return backend == PollerBackend.Epoll
            ? new EpollPoller(capacity)
            : new KqueuePoller(capacity, Platform.Os, Platform.FreeBsd12OrLater);
    }
}
