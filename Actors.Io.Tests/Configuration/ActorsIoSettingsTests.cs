using Actors.Io.Native;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Configuration;

namespace Actors.Io.Tests.Configuration;

public sealed class ActorsIoSettingsTests
{
    private static Config WithReference(string hocon) =>
        ConfigurationFactory.ParseString(hocon).WithFallback(ActorsIo.ReferenceConfig);

    [Fact]
    public void Reference_config_gives_the_documented_defaults()
    {
        ActorsIoSettings settings = ActorsIoSettings.Create(ActorsIo.ReferenceConfig);
        Assert.Equal(PollerBackend.Auto, settings.Backend);
        Assert.Equal(1, settings.NrOfSelectors);
        Assert.Equal(32, settings.MaxEventsPerWait);
        Assert.Equal(262144, settings.MaxChannels);
        Assert.Equal(64, settings.LoopThroughput);
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.LoopStallWarning);
        Assert.False(settings.TraceLogging);
        Assert.Equal(16, settings.Tcp.BatchAcceptLimit);
        Assert.Equal(4L << 20, settings.Tcp.MaxPendingWriteBytes);
        Assert.Equal(64 << 10, settings.Tcp.MaxReceivedMessageSize);
        Assert.Equal(256 << 10, settings.Tcp.ReceiveBudgetPerEvent);
        Assert.Equal(64, settings.Tcp.MaxWritesPerSyscall);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Tcp.RegisterTimeout);
        Assert.Equal(TimeSpan.FromSeconds(10), settings.Tcp.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.Tcp.ConnectionAttemptDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.Tcp.AcceptBackoffMin);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Tcp.AcceptBackoffMax);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Tcp.CloseLinger);
        Assert.Equal(256 << 10, settings.Tcp.CloseLingerMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.Tcp.ProxyProtocolTimeout);
        Assert.Same(Tcp.IdleTimeout.Off, settings.Tcp.IdleTimeout);
        Assert.Equal(64 << 10, settings.Udp.MaxDatagramSize);
        Assert.Equal(8, settings.Udp.ReceiveBatchSize);
        Assert.Equal(64, settings.Udp.ReceiveBudgetPerEvent);
        Assert.Equal(1024, settings.Udp.MaxQueuedSends);
        Assert.True(settings.CoordinatedShutdown.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(4), settings.CoordinatedShutdown.DrainTimeout);
        Assert.Equal(DrainTimeoutAction.Close, settings.CoordinatedShutdown.OnTimeout);
    }

    [Theory]
    [InlineData("actors-io.nr-of-selectors = 0", "actors-io.nr-of-selectors", "0", "an integer from 1 to 256")]
    [InlineData("actors-io.nr-of-selectors = 257", "actors-io.nr-of-selectors", "257", "an integer from 1 to 256")]
    [InlineData("actors-io.nr-of-selectors = many", "actors-io.nr-of-selectors", "many", "an integer from 1 to 256")]
    [InlineData("actors-io.max-events-per-wait = -5", "actors-io.max-events-per-wait", "-5", "an integer from 1 to 65536")]
    [InlineData("actors-io.max-channels = 0", "actors-io.max-channels", "0", "an integer from 1")]
    [InlineData("actors-io.max-channels = 99999999999", "actors-io.max-channels", "99999999999", "an integer from 1")]
    [InlineData("actors-io.loop-dispatcher.throughput = 0", "actors-io.loop-dispatcher.throughput", "0", "an integer from 1 to 100000")]
    [InlineData("actors-io.loop-stall-warning = 2h", "actors-io.loop-stall-warning", "2h", "off (or 0), or a duration from 1ms to 1h")]
    [InlineData("actors-io.loop-stall-warning = slow", "actors-io.loop-stall-warning", "slow", "off (or 0), or a duration from 1ms to 1h")]
    [InlineData("actors-io.loop-stall-warning = 500us", "actors-io.loop-stall-warning", "500us", "off (or 0), or a duration from 1ms to 1h")]
    [InlineData("actors-io.backend = iocp", "actors-io.backend", "iocp", "auto, epoll, kqueue")]
    [InlineData("actors-io.trace-logging = maybe", "actors-io.trace-logging", "maybe", "on or off")]
    [InlineData("actors-io.tcp.max-pending-write-bytes = -1", "actors-io.tcp.max-pending-write-bytes", "-1", "a size from 1 KiB to 1 GiB")]
    [InlineData("actors-io.tcp.max-pending-write-bytes = lots", "actors-io.tcp.max-pending-write-bytes", "lots", "a size from 1 KiB to 1 GiB")]
    [InlineData("actors-io.tcp.max-received-message-size = 32 MiB", "actors-io.tcp.max-received-message-size", "32 MiB", "a size from 256 B to 16 MiB")]
    [InlineData("actors-io.tcp.receive-budget-per-event = 1 KiB", "actors-io.tcp.receive-budget-per-event", "1 KiB", "a size from max-received-message-size (65536 B) to 64 MiB")]
    [InlineData("actors-io.tcp.register-timeout = soon", "actors-io.tcp.register-timeout", "soon", "a duration from 1ms to 1h")]
    [InlineData("actors-io.tcp.connect-timeout = 0s", "actors-io.tcp.connect-timeout", "0s", "a duration from 1ms to 1h")]
    [InlineData("actors-io.tcp.connection-attempt-delay = 5ms", "actors-io.tcp.connection-attempt-delay", "5ms", "a duration from 10ms to 2s")]
    [InlineData("actors-io.tcp.connection-attempt-delay = 3s", "actors-io.tcp.connection-attempt-delay", "3s", "a duration from 10ms to 2s")]
    [InlineData("actors-io.tcp.tls.handshake-timeout = 0s", "actors-io.tcp.tls.handshake-timeout", "0s", "a duration from 1ms to 1h")]
    [InlineData("actors-io.tcp.tls.max-concurrent-handshakes = 0", "actors-io.tcp.tls.max-concurrent-handshakes", "0", "an integer from 1 to 1000000")]
    [InlineData("actors-io.tcp.leased-receive.pool-size = 2 GiB", "actors-io.tcp.leased-receive.pool-size", "2 GiB", "a size from 0 B to 1 GiB")]
    [InlineData("actors-io.tcp.leased-receive.debug-checks = sometimes", "actors-io.tcp.leased-receive.debug-checks", "sometimes", "on or off")]
    [InlineData("actors-io.tcp.close-linger = -1s", "actors-io.tcp.close-linger", "-1s", "a duration from 0s (no linger) to 10min")]
    [InlineData("actors-io.tcp.close-linger = 1h", "actors-io.tcp.close-linger", "1h", "a duration from 0s (no linger) to 10min")]
    [InlineData("actors-io.tcp.close-linger-max-bytes = 2 GiB", "actors-io.tcp.close-linger-max-bytes", "2 GiB", "a size from 0 B to 1 GiB")]
    [InlineData("actors-io.tcp.proxy-protocol-timeout = 0s", "actors-io.tcp.proxy-protocol-timeout", "0s", "a duration from 1ms to 10min")]
    [InlineData("actors-io.tcp.proxy-protocol-timeout = 1h", "actors-io.tcp.proxy-protocol-timeout", "1h", "a duration from 1ms to 10min")]
    [InlineData("actors-io.tcp.idle-timeout.reader = -1s", "actors-io.tcp.idle-timeout.reader", "-1s", "off (or 0), or a duration from 1ms to 365d")]
    [InlineData("actors-io.tcp.idle-timeout.writer = 400d", "actors-io.tcp.idle-timeout.writer", "400d", "off (or 0), or a duration from 1ms to 365d")]
    [InlineData("actors-io.tcp.idle-timeout.both = soon", "actors-io.tcp.idle-timeout.both", "soon", "off (or 0), or a duration from 1ms to 365d")]
    [InlineData("actors-io.tcp.idle-timeout.action = shout", "actors-io.tcp.idle-timeout.action", "shout", "notify, close")]
    [InlineData("actors-io.tcp.batch-accept-limit = 0", "actors-io.tcp.batch-accept-limit", "0", "an integer from 1 to 10000")]
    [InlineData("actors-io.udp.max-datagram-size = 128 KiB", "actors-io.udp.max-datagram-size", "128 KiB", "a size from 256 B to 64 KiB")]
    [InlineData("actors-io.udp.receive-batch-size = 0", "actors-io.udp.receive-batch-size", "0", "an integer from 1 to 1024")]
    [InlineData("actors-io.udp.receive-budget-per-event = 4", "actors-io.udp.receive-budget-per-event", "4", "an integer from 8 to 1000000")]
    [InlineData("actors-io.udp.max-queued-sends = none", "actors-io.udp.max-queued-sends", "none", "an integer from 1 to 1000000")]
    [InlineData("actors-io.coordinated-shutdown.enabled = perhaps", "actors-io.coordinated-shutdown.enabled", "perhaps", "on or off")]
    [InlineData("actors-io.coordinated-shutdown.drain-on-terminate = sometimes", "actors-io.coordinated-shutdown.drain-on-terminate", "sometimes", "on or off")]
    [InlineData("actors-io.coordinated-shutdown.drain-timeout = -1s", "actors-io.coordinated-shutdown.drain-timeout", "-1s", "a duration from 0s to 1h")]
    [InlineData("actors-io.coordinated-shutdown.drain-timeout = 2h", "actors-io.coordinated-shutdown.drain-timeout", "2h", "a duration from 0s to 1h")]
    [InlineData("actors-io.coordinated-shutdown.drain-timeout = forever", "actors-io.coordinated-shutdown.drain-timeout", "forever", "a duration from 0s to 1h")]
    [InlineData("actors-io.coordinated-shutdown.on-timeout = kill", "actors-io.coordinated-shutdown.on-timeout", "kill", "close, abort")]
    public void Bad_value_fails_naming_the_key_the_value_and_what_is_allowed(string hocon, string key, string value, string allowed)
    {
        ActorsIoConfigurationException e = Assert.Throws<ActorsIoConfigurationException>(() => ActorsIoSettings.Create(WithReference(hocon)));
        Assert.Equal(key, e.Key);
        Assert.Equal(value, e.Value);
        Assert.Equal(allowed, e.Allowed);
        Assert.Contains(key, e.Message);
        Assert.Contains(value, e.Message);
        Assert.Contains(allowed, e.Message);
    }

    [Theory]
    [InlineData("off")]
    [InlineData("0")]
    [InlineData("0s")]
    [InlineData("0ms")]
    public void Loop_stall_warning_turns_off_with_off_or_zero(string value)
    {
        ActorsIoSettings settings = ActorsIoSettings.Create(WithReference($"actors-io.loop-stall-warning = {value}"));
        Assert.Equal(TimeSpan.Zero, settings.LoopStallWarning);
    }

    [Fact]
    public void Idle_timeout_reads_each_side_and_the_action()
    {
        ActorsIoSettings settings = ActorsIoSettings.Create(WithReference("actors-io.tcp.idle-timeout { reader = 30s, writer = 1m, both = 0, action = close }"));
        Tcp.IdleTimeout idle = settings.Tcp.IdleTimeout;
        Assert.Equal(TimeSpan.FromSeconds(30), idle.Reader);
        Assert.Equal(TimeSpan.FromMinutes(1), idle.Writer);
        Assert.Equal(TimeSpan.Zero, idle.Both);
        Assert.Equal(Tcp.IdleAction.Close, idle.Action);
    }

    [Fact]
    public void Missing_key_is_reported_as_missing()
    {
        ActorsIoConfigurationException e = Assert.Throws<ActorsIoConfigurationException>(
            () => ActorsIoSettings.Create(ConfigurationFactory.ParseString("actors-io.backend = auto")));
        Assert.Equal("actors-io.nr-of-selectors", e.Key);
        Assert.Contains("(missing)", e.Message);
    }

    [Fact]
    public async Task Extension_start_fails_on_a_bad_value()
    {
        ActorSystem system = ActorSystem.Create("bad-config", TestConfigs.With("actors-io.nr-of-selectors = 0\n" + TestConfigs.Quiet));
        try
        {
            Exception e = Assert.ThrowsAny<Exception>(() => ActorsIo.Get(system));
            Assert.Contains("actors-io.nr-of-selectors", e.ToString());
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Extension_start_fails_on_a_backend_this_platform_lacks()
    {
        ActorSystem system = ActorSystem.Create("bad-backend", TestConfigs.With("actors-io.backend = kqueue\n" + TestConfigs.Quiet));
        try
        {
            Exception e = Assert.ThrowsAny<Exception>(() => ActorsIo.Get(system));
            Assert.Contains("actors-io.backend = kqueue is not available", e.ToString());
            Assert.Contains("epoll", e.ToString());
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public async Task Extension_exposes_the_manager_and_one_loop_dispatcher_per_selector()
    {
        ActorSystem system = ActorSystem.Create("extension", TestConfigs.With("actors-io.nr-of-selectors = 3\n" + TestConfigs.Quiet));
        try
        {
            ActorsIo io = ActorsIo.Get(system);
            Assert.Same(io, ActorsIo.Get(system));
            Assert.Equal(io.Manager, system.Io());
            Assert.Equal(["actors-io.loop-dispatcher-0", "actors-io.loop-dispatcher-1", "actors-io.loop-dispatcher-2"], io.LoopDispatcherIds);
            Assert.True(system.Dispatchers.HasDispatcher(io.LoopDispatcherIds[2]));
            Assert.Equal(3, system.Settings.Config.GetInt("actors-io.nr-of-selectors"));
            Assert.Equal(32, system.Settings.Config.GetInt("actors-io.max-events-per-wait"));
        }
        finally
        {
            await system.Terminate();
        }
    }
}
