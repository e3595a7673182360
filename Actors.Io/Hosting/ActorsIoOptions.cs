using System.Globalization;
using System.Text;
using Actors.Io.Native;

namespace Actors.Io.Hosting;

/// <summary>
/// Typed settings for the <c>actors-io</c> configuration section, for
/// <see cref="ActorsIoHostingExtensions.WithActorsIo(Akka.Hosting.AkkaConfigurationBuilder, Action{ActorsIoOptions}?)"/>.
/// Every property is optional: a null one is not rendered, so the key keeps the value of the rest of the configuration,
/// and in the end the reference default of <c>HOCON/actors-io.conf</c>. Values are not checked here: they are checked,
/// like any HOCON, when the extension starts, and a bad one fails start with an
/// <see cref="ActorsIoConfigurationException"/> naming the key.
/// </summary>
public sealed class ActorsIoOptions
{
    /// <summary><c>actors-io.backend</c>: the readiness backend (rendered lower-case).</summary>
    public PollerBackend? Backend { get; set; }

    /// <summary><c>actors-io.nr-of-selectors</c>: selectors, each an event loop with its own thread (1 to 256).</summary>
    public int? NrOfSelectors { get; set; }

    /// <summary><c>actors-io.max-events-per-wait</c>: the most readiness events one wait returns (1 to 65536).</summary>
    public int? MaxEventsPerWait { get; set; }

    /// <summary><c>actors-io.max-channels</c>: the most listeners and connections open at once (at least 1).</summary>
    public int? MaxChannels { get; set; }

    /// <summary><c>actors-io.loop-dispatcher.throughput</c>: messages per actor per turn on an event loop (1 to 100000).</summary>
    public int? LoopThroughput { get; set; }

    /// <summary>
    /// <c>actors-io.loop-stall-warning</c>: a mailbox run on an event loop longer than this is logged and counted
    /// (1ms to 1h; <see cref="TimeSpan.Zero"/> turns it off).
    /// </summary>
    public TimeSpan? LoopStallWarning { get; set; }

    /// <summary><c>actors-io.trace-logging</c>: log registrations, interest changes and closes at debug level (rendered on / off).</summary>
    public bool? TraceLogging { get; set; }

    /// <summary>The <c>actors-io.tcp</c> section.</summary>
    public ActorsIoTcpOptions Tcp { get; } = new();

    /// <summary>The <c>actors-io.udp</c> section.</summary>
    public ActorsIoUdpOptions Udp { get; } = new();

    /// <summary>The <c>actors-io.coordinated-shutdown</c> section: the drain that Akka's <c>CoordinatedShutdown</c> runs.</summary>
    public ActorsIoCoordinatedShutdownOptions CoordinatedShutdown { get; } = new();

    /// <summary>Renders the set properties as HOCON under <c>actors-io</c>; empty when none is set.</summary>
    /// <returns>One <c>actors-io.key = value</c> line per set property, values unquoted.</returns>
    public string ToHocon()
    {
        var hocon = new HoconLines("actors-io");
        hocon.Add("backend", Backend is { } backend ? backend.ToString().ToLowerInvariant() : null);
        hocon.Add("nr-of-selectors", NrOfSelectors);
        hocon.Add("max-events-per-wait", MaxEventsPerWait);
        hocon.Add("max-channels", MaxChannels);
        hocon.Add("loop-dispatcher.throughput", LoopThroughput);
        hocon.Add("loop-stall-warning", LoopStallWarning);
        hocon.Add("trace-logging", TraceLogging is { } trace ? (trace ? "on" : "off") : null);
        Tcp.Render(hocon);
        Udp.Render(hocon);
        CoordinatedShutdown.Render(hocon);
        return hocon.ToString();
    }

    /// <summary>The same as <see cref="ToHocon"/>.</summary>
    /// <returns>The HOCON of the set properties.</returns>
    public override string ToString() => ToHocon();
}

/// <summary>
/// Typed settings for the <c>actors-io.tcp</c> section; a null property keeps the configured (or reference) value.
/// Sizes are in bytes, durations are rendered in milliseconds.
/// </summary>
public sealed class ActorsIoTcpOptions
{
    /// <summary><c>actors-io.tcp.batch-accept-limit</c>: connections accepted per readiness event of a listener (1 to 10000).</summary>
    public int? BatchAcceptLimit { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.max-pending-write-bytes</c>: bytes a connection may hold written but not sent before a write
    /// is answered with <c>CommandFailed</c> (1 KiB to 1 GiB).
    /// </summary>
    public long? MaxPendingWriteBytes { get; set; }

    /// <summary><c>actors-io.tcp.max-received-message-size</c>: the largest <c>Received</c>, in bytes (256 B to 16 MiB).</summary>
    public int? MaxReceivedMessageSize { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.receive-budget-per-event</c>: bytes read from one connection per readiness event
    /// (from max-received-message-size to 64 MiB).
    /// </summary>
    public int? ReceiveBudgetPerEvent { get; set; }

    /// <summary><c>actors-io.tcp.max-writes-per-syscall</c>: writes gathered into one writev (1 to 1024).</summary>
    public int? MaxWritesPerSyscall { get; set; }

    /// <summary><c>actors-io.tcp.register-timeout</c>: how long a new connection waits for <c>Register</c> (1ms to 1h).</summary>
    public TimeSpan? RegisterTimeout { get; set; }

    /// <summary><c>actors-io.tcp.connect-timeout</c>: the default <c>Connect</c> timeout (1ms to 1h).</summary>
    public TimeSpan? ConnectTimeout { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.connection-attempt-delay</c>: how long a <c>Connect</c> to a name with several addresses waits for
    /// one attempt before it also tries the next address (10ms to 2s).
    /// </summary>
    public TimeSpan? ConnectionAttemptDelay { get; set; }

    /// <summary><c>actors-io.tcp.accept-backoff-min</c>: first retry delay of a listener after EMFILE / ENFILE (1ms to 1h).</summary>
    public TimeSpan? AcceptBackoffMin { get; set; }

    /// <summary><c>actors-io.tcp.accept-backoff-max</c>: longest retry delay after EMFILE / ENFILE (accept-backoff-min to 1h).</summary>
    public TimeSpan? AcceptBackoffMax { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.leased-receive.pool-size</c>: bytes of given-back receive buffers each selector keeps for leased
    /// receive (0 B to 1 GiB).
    /// </summary>
    public long? LeasedReceivePoolSize { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.leased-receive.debug-checks</c>: poison given-back leased buffers so a use after giving one back
    /// throws (rendered on / off; for tests).
    /// </summary>
    public bool? LeasedReceiveDebugChecks { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.close-linger</c>: how long a closed connection still reads and discards the peer's input while
    /// waiting for the peer's close (0 = close at once, up to 10min).
    /// </summary>
    public TimeSpan? CloseLinger { get; set; }

    /// <summary><c>actors-io.tcp.close-linger-max-bytes</c>: the most input a lingering connection discards before it resets (0 B to 1 GiB).</summary>
    public long? CloseLingerMaxBytes { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.proxy-protocol-timeout</c>: how long an accepted connection on a listener with
    /// <see cref="Tcp.SO.ProxyProtocol"/> waits for the PROXY header before it is reset (1ms to 10min).
    /// </summary>
    public TimeSpan? ProxyProtocolTimeout { get; set; }

    /// <summary>
    /// <c>actors-io.tcp.idle-timeout</c> (<c>reader</c>, <c>writer</c>, <c>both</c> and <c>action</c>, all four): the idle
    /// timeout of every connection registered without one (off by default).
    /// </summary>
    public Tcp.IdleTimeout? IdleTimeout { get; set; }

    /// <summary><c>actors-io.tcp.tls.handshake-timeout</c>: how long a TLS handshake may take unless its settings say otherwise (1ms to 1h).</summary>
    public TimeSpan? TlsHandshakeTimeout { get; set; }

    /// <summary><c>actors-io.tcp.tls.max-concurrent-handshakes</c>: TLS handshakes one listener runs at once (1 to 1000000).</summary>
    public int? TlsMaxConcurrentHandshakes { get; set; }

    internal void Render(HoconLines hocon)
    {
        hocon.Add("tcp.batch-accept-limit", BatchAcceptLimit);
        hocon.Add("tcp.max-pending-write-bytes", MaxPendingWriteBytes);
        hocon.Add("tcp.max-received-message-size", MaxReceivedMessageSize);
        hocon.Add("tcp.receive-budget-per-event", ReceiveBudgetPerEvent);
        hocon.Add("tcp.max-writes-per-syscall", MaxWritesPerSyscall);
        hocon.Add("tcp.register-timeout", RegisterTimeout);
        hocon.Add("tcp.connect-timeout", ConnectTimeout);
        hocon.Add("tcp.connection-attempt-delay", ConnectionAttemptDelay);
        hocon.Add("tcp.accept-backoff-min", AcceptBackoffMin);
        hocon.Add("tcp.accept-backoff-max", AcceptBackoffMax);
        hocon.Add("tcp.tls.handshake-timeout", TlsHandshakeTimeout);
        hocon.Add("tcp.tls.max-concurrent-handshakes", TlsMaxConcurrentHandshakes);
        hocon.Add("tcp.leased-receive.pool-size", LeasedReceivePoolSize);
        hocon.Add("tcp.leased-receive.debug-checks", LeasedReceiveDebugChecks is { } debug ? (debug ? "on" : "off") : null);
        hocon.Add("tcp.close-linger", CloseLinger);
        hocon.Add("tcp.close-linger-max-bytes", CloseLingerMaxBytes);
        hocon.Add("tcp.proxy-protocol-timeout", ProxyProtocolTimeout);
        if (IdleTimeout is { } idle)
        {
            hocon.Add("tcp.idle-timeout.reader", idle.Reader);
            hocon.Add("tcp.idle-timeout.writer", idle.Writer);
            hocon.Add("tcp.idle-timeout.both", idle.Both);
            hocon.Add("tcp.idle-timeout.action", idle.Action == Tcp.IdleAction.Close ? "close" : "notify");
        }
    }
}

/// <summary>Typed settings for the <c>actors-io.udp</c> section; a null property keeps the configured (or reference) value.</summary>
public sealed class ActorsIoUdpOptions
{
    /// <summary><c>actors-io.udp.max-datagram-size</c>: the largest datagram sent or received, in bytes (256 B to 64 KiB).</summary>
    public int? MaxDatagramSize { get; set; }

    /// <summary><c>actors-io.udp.receive-batch-size</c>: datagrams read by one system call (1 to 1024).</summary>
    public int? ReceiveBatchSize { get; set; }

    /// <summary><c>actors-io.udp.receive-budget-per-event</c>: datagrams read per readiness event (from receive-batch-size to 1000000).</summary>
    public int? ReceiveBudgetPerEvent { get; set; }

    /// <summary><c>actors-io.udp.max-queued-sends</c>: datagrams a socket holds while the kernel's send buffer is full (1 to 1000000).</summary>
    public int? MaxQueuedSends { get; set; }

    internal void Render(HoconLines hocon)
    {
        hocon.Add("udp.max-datagram-size", MaxDatagramSize);
        hocon.Add("udp.receive-batch-size", ReceiveBatchSize);
        hocon.Add("udp.receive-budget-per-event", ReceiveBudgetPerEvent);
        hocon.Add("udp.max-queued-sends", MaxQueuedSends);
    }
}

/// <summary>Typed settings for the <c>actors-io.coordinated-shutdown</c> section; a null property keeps the configured (or reference) value.</summary>
public sealed class ActorsIoCoordinatedShutdownOptions
{
    /// <summary><c>actors-io.coordinated-shutdown.enabled</c>: register the drain with <c>CoordinatedShutdown</c> (rendered on / off).</summary>
    public bool? Enabled { get; set; }

    /// <summary>
    /// <c>actors-io.coordinated-shutdown.drain-timeout</c>: how long connections get to close after
    /// <see cref="Tcp.Draining"/> (0s to 1h; keep it below <c>akka.coordinated-shutdown.phases.service-requests-done.timeout</c>).
    /// </summary>
    public TimeSpan? DrainTimeout { get; set; }

    /// <summary><c>actors-io.coordinated-shutdown.on-timeout</c>: close or abort the connections still open at the deadline (rendered lower-case).</summary>
    public DrainTimeoutAction? OnTimeout { get; set; }

    /// <summary><c>actors-io.coordinated-shutdown.drain-on-terminate</c>: drain on a plain <c>ActorSystem.Terminate()</c> too (rendered on / off).</summary>
    public bool? DrainOnTerminate { get; set; }

    internal void Render(HoconLines hocon)
    {
        hocon.Add("coordinated-shutdown.enabled", Enabled is { } enabled ? (enabled ? "on" : "off") : null);
        hocon.Add("coordinated-shutdown.drain-on-terminate", DrainOnTerminate is { } onTerminate ? (onTerminate ? "on" : "off") : null);
        hocon.Add("coordinated-shutdown.drain-timeout", DrainTimeout);
        hocon.Add("coordinated-shutdown.on-timeout", OnTimeout is { } action ? action.ToString().ToLowerInvariant() : null);
    }
}

/// <summary>Collects <c>section.key = value</c> lines, skipping unset values.</summary>
internal sealed class HoconLines(string section)
{
    private readonly StringBuilder _text = new();

    public void Add(string key, string? value)
    {
        if (value is not null) _text.Append(section).Append('.').Append(key).Append(" = ").Append(value).Append('\n');
    }

    public void Add(string key, long? value) => Add(key, value?.ToString(CultureInfo.InvariantCulture));

    /// <summary>Whole milliseconds as <c>250ms</c>; a finer value exactly, in nanoseconds.</summary>
    public void Add(string key, TimeSpan? value)
    {
        if (value is not { } span) return;
        string text = span.Ticks % TimeSpan.TicksPerMillisecond == 0
            ? (span.Ticks / TimeSpan.TicksPerMillisecond).ToString(CultureInfo.InvariantCulture) + "ms"
            : ((decimal)span.Ticks * 100).ToString(CultureInfo.InvariantCulture) + "ns";
        Add(key, text);
    }

    public override string ToString() => _text.ToString();
}
