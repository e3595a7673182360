using Actors.Io.Hosting;
using Actors.Io.Native;
using Akka.Configuration;

namespace Actors.Io.Tests.Hosting;

public sealed class ActorsIoOptionsTests
{
    [Fact]
    public void Unset_options_render_nothing()
    {
        Assert.Equal(string.Empty, new ActorsIoOptions().ToHocon());
    }

    [Fact]
    public void Set_options_render_unquoted_under_actors_io()
    {
        var options = new ActorsIoOptions
        {
            Backend = PollerBackend.Epoll,
            NrOfSelectors = 2,
            MaxEventsPerWait = 128,
            MaxChannels = 1000,
            LoopThroughput = 32,
            LoopStallWarning = TimeSpan.FromMilliseconds(250),
            TraceLogging = true,
        };
        options.Tcp.BatchAcceptLimit = 8;
        options.Tcp.MaxPendingWriteBytes = 1L << 20;
        options.Tcp.MaxReceivedMessageSize = 4096;
        options.Tcp.ReceiveBudgetPerEvent = 8192;
        options.Tcp.MaxWritesPerSyscall = 16;
        options.Tcp.RegisterTimeout = TimeSpan.FromMilliseconds(750);
        options.Tcp.ConnectTimeout = TimeSpan.FromSeconds(3);
        options.Tcp.ConnectionAttemptDelay = TimeSpan.FromMilliseconds(100);
        options.Tcp.AcceptBackoffMin = TimeSpan.FromMilliseconds(10);
        options.Tcp.AcceptBackoffMax = TimeSpan.FromMinutes(1);
        options.Tcp.TlsHandshakeTimeout = TimeSpan.FromSeconds(4);
        options.Tcp.TlsMaxConcurrentHandshakes = 64;
        options.Tcp.LeasedReceivePoolSize = 1L << 20;
        options.Tcp.LeasedReceiveDebugChecks = true;
        options.Tcp.CloseLinger = TimeSpan.Zero;
        options.Tcp.CloseLingerMaxBytes = 1 << 20;
        options.Tcp.ProxyProtocolTimeout = TimeSpan.FromSeconds(2);
        options.Tcp.IdleTimeout = new Tcp.IdleTimeout(reader: TimeSpan.FromSeconds(30), both: TimeSpan.FromMinutes(2), action: Tcp.IdleAction.Close);
        options.Udp.MaxDatagramSize = 9000;
        options.Udp.ReceiveBatchSize = 4;
        options.Udp.ReceiveBudgetPerEvent = 32;
        options.Udp.MaxQueuedSends = 100;
        options.CoordinatedShutdown.Enabled = false;
        options.CoordinatedShutdown.DrainOnTerminate = true;
        options.CoordinatedShutdown.DrainTimeout = TimeSpan.FromSeconds(20);
        options.CoordinatedShutdown.OnTimeout = DrainTimeoutAction.Abort;

        string[] expected =
        [
            "actors-io.backend = epoll",
            "actors-io.nr-of-selectors = 2",
            "actors-io.max-events-per-wait = 128",
            "actors-io.max-channels = 1000",
            "actors-io.loop-dispatcher.throughput = 32",
            "actors-io.loop-stall-warning = 250ms",
            "actors-io.trace-logging = on",
            "actors-io.tcp.batch-accept-limit = 8",
            "actors-io.tcp.max-pending-write-bytes = 1048576",
            "actors-io.tcp.max-received-message-size = 4096",
            "actors-io.tcp.receive-budget-per-event = 8192",
            "actors-io.tcp.max-writes-per-syscall = 16",
            "actors-io.tcp.register-timeout = 750ms",
            "actors-io.tcp.connect-timeout = 3000ms",
            "actors-io.tcp.connection-attempt-delay = 100ms",
            "actors-io.tcp.accept-backoff-min = 10ms",
            "actors-io.tcp.accept-backoff-max = 60000ms",
            "actors-io.tcp.tls.handshake-timeout = 4000ms",
            "actors-io.tcp.tls.max-concurrent-handshakes = 64",
            "actors-io.tcp.leased-receive.pool-size = 1048576",
            "actors-io.tcp.leased-receive.debug-checks = on",
            "actors-io.tcp.close-linger = 0ms",
            "actors-io.tcp.close-linger-max-bytes = 1048576",
            "actors-io.tcp.proxy-protocol-timeout = 2000ms",
            "actors-io.tcp.idle-timeout.reader = 30000ms",
            "actors-io.tcp.idle-timeout.writer = 0ms",
            "actors-io.tcp.idle-timeout.both = 120000ms",
            "actors-io.tcp.idle-timeout.action = close",
            "actors-io.udp.max-datagram-size = 9000",
            "actors-io.udp.receive-batch-size = 4",
            "actors-io.udp.receive-budget-per-event = 32",
            "actors-io.udp.max-queued-sends = 100",
            "actors-io.coordinated-shutdown.enabled = off",
            "actors-io.coordinated-shutdown.drain-on-terminate = on",
            "actors-io.coordinated-shutdown.drain-timeout = 20000ms",
            "actors-io.coordinated-shutdown.on-timeout = abort",
        ];
        Assert.Equal(string.Join('\n', expected) + "\n", options.ToHocon());

        ActorsIoSettings settings = ActorsIoSettings.Create(ConfigurationFactory.ParseString(options.ToHocon()));
        Assert.Equal(PollerBackend.Epoll, settings.Backend);
        Assert.Equal(2, settings.NrOfSelectors);
        Assert.Equal(128, settings.MaxEventsPerWait);
        Assert.Equal(1000, settings.MaxChannels);
        Assert.Equal(32, settings.LoopThroughput);
        Assert.Equal(TimeSpan.FromMilliseconds(250), settings.LoopStallWarning);
        Assert.True(settings.TraceLogging);
        Assert.Equal(8, settings.Tcp.BatchAcceptLimit);
        Assert.Equal(1L << 20, settings.Tcp.MaxPendingWriteBytes);
        Assert.Equal(4096, settings.Tcp.MaxReceivedMessageSize);
        Assert.Equal(8192, settings.Tcp.ReceiveBudgetPerEvent);
        Assert.Equal(16, settings.Tcp.MaxWritesPerSyscall);
        Assert.Equal(TimeSpan.FromMilliseconds(750), settings.Tcp.RegisterTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.Tcp.ConnectTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.Tcp.ConnectionAttemptDelay);
        Assert.Equal(TimeSpan.FromMilliseconds(10), settings.Tcp.AcceptBackoffMin);
        Assert.Equal(TimeSpan.FromMinutes(1), settings.Tcp.AcceptBackoffMax);
        Assert.Equal(TimeSpan.FromSeconds(4), settings.Tcp.TlsHandshakeTimeout);
        Assert.Equal(64, settings.Tcp.TlsMaxConcurrentHandshakes);
        Assert.Equal(1L << 20, settings.Tcp.LeasedReceivePoolSize);
        Assert.True(settings.Tcp.LeasedReceiveDebugChecks);
        Assert.Equal(TimeSpan.Zero, settings.Tcp.CloseLinger);
        Assert.Equal(1 << 20, settings.Tcp.CloseLingerMaxBytes);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.Tcp.ProxyProtocolTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.Tcp.IdleTimeout.Reader);
        Assert.Equal(TimeSpan.Zero, settings.Tcp.IdleTimeout.Writer);
        Assert.Equal(TimeSpan.FromMinutes(2), settings.Tcp.IdleTimeout.Both);
        Assert.Equal(Tcp.IdleAction.Close, settings.Tcp.IdleTimeout.Action);
        Assert.Equal(9000, settings.Udp.MaxDatagramSize);
        Assert.Equal(4, settings.Udp.ReceiveBatchSize);
        Assert.Equal(32, settings.Udp.ReceiveBudgetPerEvent);
        Assert.Equal(100, settings.Udp.MaxQueuedSends);
        Assert.False(settings.CoordinatedShutdown.Enabled);
        Assert.True(settings.CoordinatedShutdown.DrainOnTerminate);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.CoordinatedShutdown.DrainTimeout);
        Assert.Equal(DrainTimeoutAction.Abort, settings.CoordinatedShutdown.OnTimeout);
    }

    [Fact]
    public void Off_renders_off_and_a_fraction_of_a_millisecond_is_kept_exactly()
    {
        var options = new ActorsIoOptions { TraceLogging = false };
        options.Tcp.ConnectTimeout = TimeSpan.FromTicks(15_005); // 1.5005 ms
        Assert.Equal("actors-io.trace-logging = off\nactors-io.tcp.connect-timeout = 1500500ns\n", options.ToHocon());

        ActorsIoSettings settings = ActorsIoSettings.Create(ConfigurationFactory.ParseString(options.ToHocon()).WithFallback(ActorsIo.ReferenceConfig));
        Assert.False(settings.TraceLogging);
        Assert.Equal(TimeSpan.FromTicks(15_005), settings.Tcp.ConnectTimeout);
    }

    [Fact]
    public void An_out_of_range_option_reaches_validation_with_its_key()
    {
        var options = new ActorsIoOptions();
        options.Tcp.RegisterTimeout = TimeSpan.FromMilliseconds(-5);
        Config config = ConfigurationFactory.ParseString(options.ToHocon()).WithFallback(ActorsIo.ReferenceConfig);
        var error = Assert.Throws<ActorsIoConfigurationException>(() => ActorsIoSettings.Create(config));
        Assert.Equal("actors-io.tcp.register-timeout", error.Key);
    }
}
