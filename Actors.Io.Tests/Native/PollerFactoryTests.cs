using Actors.Io.Native;

namespace Actors.Io.Tests.Native;

public sealed class PollerFactoryTests
{
    [Fact]
    public void Resolve_PicksTheNativeBackendPerPlatform()
    {
        Assert.Equal(PollerBackend.Epoll, PollerFactory.Resolve(PollerBackend.Auto, OsFamily.Linux, "Linux"));
        Assert.Equal(PollerBackend.Epoll, PollerFactory.Resolve(PollerBackend.Epoll, OsFamily.Linux, "Linux"));
        Assert.Equal(PollerBackend.Kqueue, PollerFactory.Resolve(PollerBackend.Auto, OsFamily.MacOs, "macOS"));
        Assert.Equal(PollerBackend.Kqueue, PollerFactory.Resolve(PollerBackend.Kqueue, OsFamily.FreeBsd, "FreeBSD"));
    }

    [Fact]
    public void Resolve_KqueueOnLinux_NamesThePlatformAndEpoll()
    {
        var ex = Assert.Throws<PlatformNotSupportedException>(
            () => PollerFactory.Resolve(PollerBackend.Kqueue, OsFamily.Linux, "Ubuntu 24.04 (X64)"));
        Assert.Contains("Ubuntu 24.04 (X64)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("kqueue", ex.Message, StringComparison.Ordinal);
        Assert.Contains("available: auto, epoll", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Resolve_EpollOnMacOs_NamesThePlatformAndKqueue()
    {
        var ex = Assert.Throws<PlatformNotSupportedException>(
            () => PollerFactory.Resolve(PollerBackend.Epoll, OsFamily.MacOs, "Darwin 24 (Arm64)"));
        Assert.Contains("Darwin 24 (Arm64)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("available: auto, kqueue", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(PollerBackend.Auto)]
    [InlineData(PollerBackend.Epoll)]
    [InlineData(PollerBackend.Kqueue)]
    public void Resolve_UnknownPlatform_NamesItAndTheSupportedOnes(PollerBackend requested)
    {
        var ex = Assert.Throws<PlatformNotSupportedException>(
            () => PollerFactory.Resolve(requested, OsFamily.Other, "Plan 9"));
        Assert.Contains("Plan 9", ex.Message, StringComparison.Ordinal);
        Assert.Contains("Linux (epoll)", ex.Message, StringComparison.Ordinal);
        Assert.Contains("macOS and FreeBSD (kqueue)", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Available_NamesTheBackendPerPlatform()
    {
        Assert.Equal("epoll", PollerFactory.Available(OsFamily.Linux));
        Assert.Equal("kqueue", PollerFactory.Available(OsFamily.MacOs));
        Assert.Equal("kqueue", PollerFactory.Available(OsFamily.FreeBsd));
        Assert.Equal("none", PollerFactory.Available(OsFamily.Other));
    }

    [Theory]
    [InlineData(PollerBackend.Auto)]
    [InlineData(PollerBackend.Epoll)]
    public void Create_OnLinux_GivesAnEpollPoller(PollerBackend requested)
    {
        using IPoller poller = PollerFactory.Create(requested, 64);
        Assert.IsType<EpollPoller>(poller);
        Assert.Equal("epoll", poller.Backend);
        Assert.Equal(64, poller.Capacity);
    }

    [Fact]
    public void Create_KqueueOnLinux_Throws() =>
        Assert.Throws<PlatformNotSupportedException>(() => PollerFactory.Create(PollerBackend.Kqueue, 64));

    [Fact]
    public void Create_RejectsANonPositiveCapacity() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => PollerFactory.Create(PollerBackend.Auto, 0));
}
