using Actors.Io.Native;
using Akka.Configuration;

namespace Actors.Io;

/// <summary>The <c>actors-io</c> configuration section, read once and checked when the extension starts.</summary>
public sealed class ActorsIoSettings
{
    private ActorsIoSettings(PollerBackend backend, int nrOfSelectors, int maxEventsPerWait, int maxChannels, int loopThroughput, TimeSpan loopStallWarning, bool traceLogging, TcpSettings tcp, UdpSettings udp, CoordinatedShutdownSettings coordinatedShutdown)
    {
        Tcp = tcp;
        CoordinatedShutdown = coordinatedShutdown;
        Udp = udp;
        Backend = backend;
        NrOfSelectors = nrOfSelectors;
        MaxEventsPerWait = maxEventsPerWait;
        MaxChannels = maxChannels;
        LoopThroughput = loopThroughput;
        LoopStallWarning = loopStallWarning;
        TraceLogging = traceLogging;
    }

    /// <summary><c>actors-io.backend</c>: the readiness backend.</summary>
    public PollerBackend Backend { get; }

    /// <summary><c>actors-io.nr-of-selectors</c>: selectors, each an event loop with its own thread.</summary>
    public int NrOfSelectors { get; }

    /// <summary><c>actors-io.max-events-per-wait</c>: the most events one wait returns.</summary>
    public int MaxEventsPerWait { get; }

    /// <summary><c>actors-io.max-channels</c>: the most channels open at once.</summary>
    public int MaxChannels { get; }

    /// <summary><c>actors-io.loop-dispatcher.throughput</c>: messages per actor per turn on a loop.</summary>
    public int LoopThroughput { get; }

    /// <summary>
    /// <c>actors-io.loop-stall-warning</c>: a mailbox run on an event loop longer than this is logged as a warning and
    /// counted in <c>actors-io.loop.stalls</c>; <see cref="TimeSpan.Zero"/> when off.
    /// </summary>
    public TimeSpan LoopStallWarning { get; }

    /// <summary><c>actors-io.trace-logging</c>: log registrations, interest changes and closes.</summary>
    public bool TraceLogging { get; }

    /// <summary><c>actors-io.tcp</c>.</summary>
    public TcpSettings Tcp { get; }

    /// <summary><c>actors-io.udp</c>.</summary>
    public UdpSettings Udp { get; }

    /// <summary><c>actors-io.coordinated-shutdown</c>: the drain that Akka's <c>CoordinatedShutdown</c> runs.</summary>
    public CoordinatedShutdownSettings CoordinatedShutdown { get; }

    /// <summary>The least time between two stall warnings of one event loop; not configurable.</summary>
    internal TimeSpan StallWarningInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Makes each selector's poller (at start and at each restart); not configurable.</summary>
    internal PollerSource Pollers { get; set; } = PollerFactory.Native;

    /// <summary>Resolves the host names of <c>Connect</c> commands (the system's resolver); not configurable.</summary>
    internal Func<string, CancellationToken, Task<System.Net.IPAddress[]>> Resolver { get; set; } = System.Net.Dns.GetHostAddressesAsync;

    /// <summary>Reads and checks the <c>actors-io</c> section of <paramref name="config"/> (the whole system config).</summary>
    /// <exception cref="ActorsIoConfigurationException">
    /// A key under <c>actors-io</c> is not one of the reference configuration's (<see cref="ActorsIo.ReferenceConfig"/>),
    /// or a value is missing, unparsable or out of range.
    /// </exception>
    public static ActorsIoSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        List<(string Key, string? Nearest)> unknown = ConfigurationKeys.Unknown(config, ActorsIo.ReferenceConfig, "actors-io");
        if (unknown.Count > 0)
        {
            throw ActorsIoConfigurationException.ForUnknownKeys(
                unknown.Select(u => new UnknownConfigurationKey("actors-io." + u.Key, u.Nearest is null ? null : "actors-io." + u.Nearest)).ToList(),
                config.GetValue("actors-io." + unknown[0].Key)?.ToString()?.Trim('"'));
        }

        var reader = new SettingsReader(config, "actors-io");
        return new ActorsIoSettings(
            reader.Enum("backend", new Dictionary<string, PollerBackend>
            {
                ["auto"] = PollerBackend.Auto,
                ["epoll"] = PollerBackend.Epoll,
                ["kqueue"] = PollerBackend.Kqueue,
            }),
            reader.Int("nr-of-selectors", 1, 256),
            reader.Int("max-events-per-wait", 1, 65536),
            reader.Int("max-channels", 1, int.MaxValue),
            reader.Int("loop-dispatcher.throughput", 1, 100_000),
            reader.DurationOrOff("loop-stall-warning", TimeSpan.FromMilliseconds(1), TimeSpan.FromHours(1), "off (or 0), or a duration from 1ms to 1h"),
            reader.Bool("trace-logging"),
            TcpSettings.Create(reader),
            UdpSettings.Create(reader),
            CoordinatedShutdownSettings.Create(reader));
    }
}

/// <summary>The <c>actors-io.tcp</c> configuration section.</summary>
public sealed class TcpSettings
{
    private TcpSettings()
    {
    }

    /// <summary><c>batch-accept-limit</c>: connections accepted per readiness event.</summary>
    public int BatchAcceptLimit { get; private init; }

    /// <summary><c>max-pending-write-bytes</c>: queued unsent bytes per connection before writes are NACKed.</summary>
    public long MaxPendingWriteBytes { get; private init; }

    /// <summary><c>max-received-message-size</c>: the largest <see cref="Tcp.Received"/>.</summary>
    public int MaxReceivedMessageSize { get; private init; }

    /// <summary><c>receive-budget-per-event</c>: bytes read per readiness event before yielding.</summary>
    public int ReceiveBudgetPerEvent { get; private init; }

    /// <summary><c>max-writes-per-syscall</c>: buffers gathered into one writev.</summary>
    public int MaxWritesPerSyscall { get; private init; }

    /// <summary><c>register-timeout</c>: how long a new connection waits for <see cref="Tcp.Register"/>.</summary>
    public TimeSpan RegisterTimeout { get; private init; }

    /// <summary><c>connect-timeout</c>: the default <see cref="Tcp.Connect"/> timeout.</summary>
    public TimeSpan ConnectTimeout { get; private init; }

    /// <summary>
    /// <c>connection-attempt-delay</c>: when a name resolves to several addresses, how long a <see cref="Tcp.Connect"/>
    /// waits for one attempt before it also tries the next address (Happy Eyeballs, RFC 8305).
    /// </summary>
    public TimeSpan ConnectionAttemptDelay { get; private init; }

    /// <summary><c>accept-backoff-min</c>: first retry delay after EMFILE / ENFILE.</summary>
    public TimeSpan AcceptBackoffMin { get; private init; }

    /// <summary><c>accept-backoff-max</c>: longest retry delay after EMFILE / ENFILE.</summary>
    public TimeSpan AcceptBackoffMax { get; private init; }

    /// <summary><c>leased-receive.pool-size</c>: bytes of given-back receive buffers each selector keeps for reuse.</summary>
    public long LeasedReceivePoolSize { get; private init; }

    /// <summary><c>leased-receive.debug-checks</c>: poison given-back buffers and never reuse their lease objects.</summary>
    public bool LeasedReceiveDebugChecks { get; private init; }

    /// <summary>
    /// <c>close-linger</c>: how long a closed connection, its output shut down, still reads and discards what the peer
    /// sends while waiting for the peer's close, so that closing over unread input does not reset the connection and
    /// lose the last answer. <see cref="TimeSpan.Zero"/> closes at once.
    /// </summary>
    public TimeSpan CloseLinger { get; private init; }

    /// <summary><c>close-linger-max-bytes</c>: the most bytes a lingering connection discards; a peer that sends more is reset.</summary>
    public long CloseLingerMaxBytes { get; private init; }

    /// <summary>
    /// <c>proxy-protocol-timeout</c>: how long a connection accepted by a listener with <see cref="Tcp.SO.ProxyProtocol"/>
    /// waits for the whole PROXY header before it is reset.
    /// </summary>
    public TimeSpan ProxyProtocolTimeout { get; private init; }

    /// <summary>
    /// <c>idle-timeout</c> (<c>reader</c>, <c>writer</c>, <c>both</c>, <c>action</c>): the idle timeout of a connection
    /// registered without one; <see cref="Tcp.IdleTimeout.Off"/> by default.
    /// </summary>
    public Tcp.IdleTimeout IdleTimeout { get; private init; } = Tcp.IdleTimeout.Off;

    /// <summary><c>tls.handshake-timeout</c>: how long a TLS handshake may take unless its settings say otherwise.</summary>
    public TimeSpan TlsHandshakeTimeout { get; private init; }

    /// <summary><c>tls.max-concurrent-handshakes</c>: TLS handshakes one listener runs at once; the rest wait in the backlog.</summary>
    public int TlsMaxConcurrentHandshakes { get; private init; }

    internal static TcpSettings Create(SettingsReader root)
    {
        const string Durations = "a duration from 1ms to 1h";
        TimeSpan ms = TimeSpan.FromMilliseconds(1);
        TimeSpan hour = TimeSpan.FromHours(1);
        int maxReceived = (int)root.Bytes("tcp.max-received-message-size", 256, 16 << 20, "a size from 256 B to 16 MiB");
        TimeSpan backoffMin = root.Duration("tcp.accept-backoff-min", ms, hour, Durations);
        return new TcpSettings
        {
            BatchAcceptLimit = root.Int("tcp.batch-accept-limit", 1, 10_000),
            MaxPendingWriteBytes = root.Bytes("tcp.max-pending-write-bytes", 1024, 1L << 30, "a size from 1 KiB to 1 GiB"),
            MaxReceivedMessageSize = maxReceived,
            ReceiveBudgetPerEvent = (int)root.Bytes("tcp.receive-budget-per-event", maxReceived, 64 << 20, $"a size from max-received-message-size ({maxReceived} B) to 64 MiB"),
            MaxWritesPerSyscall = root.Int("tcp.max-writes-per-syscall", 1, 1024),
            RegisterTimeout = root.Duration("tcp.register-timeout", ms, hour, Durations),
            ConnectTimeout = root.Duration("tcp.connect-timeout", ms, hour, Durations),
            ConnectionAttemptDelay = root.Duration("tcp.connection-attempt-delay", TimeSpan.FromMilliseconds(10), TimeSpan.FromSeconds(2), "a duration from 10ms to 2s"),
            AcceptBackoffMin = backoffMin,
            AcceptBackoffMax = root.Duration("tcp.accept-backoff-max", backoffMin, hour, "a duration from accept-backoff-min to 1h"),
            LeasedReceivePoolSize = root.Bytes("tcp.leased-receive.pool-size", 0, 1L << 30, "a size from 0 B to 1 GiB"),
            LeasedReceiveDebugChecks = root.Bool("tcp.leased-receive.debug-checks"),
            TlsHandshakeTimeout = root.Duration("tcp.tls.handshake-timeout", ms, hour, Durations),
            TlsMaxConcurrentHandshakes = root.Int("tcp.tls.max-concurrent-handshakes", 1, 1_000_000),
            CloseLinger = root.Duration("tcp.close-linger", TimeSpan.Zero, TimeSpan.FromMinutes(10), "a duration from 0s (no linger) to 10min"),
            CloseLingerMaxBytes = root.Bytes("tcp.close-linger-max-bytes", 0, 1L << 30, "a size from 0 B to 1 GiB"),
            ProxyProtocolTimeout = root.Duration("tcp.proxy-protocol-timeout", ms, TimeSpan.FromMinutes(10), "a duration from 1ms to 10min"),
            IdleTimeout = ReadIdleTimeout(root),
        };
    }

    private static Tcp.IdleTimeout ReadIdleTimeout(SettingsReader root)
    {
        const string Allowed = "off (or 0), or a duration from 1ms to 365d";
        TimeSpan ms = TimeSpan.FromMilliseconds(1);
        TimeSpan reader = root.DurationOrOff("tcp.idle-timeout.reader", ms, Tcp.IdleTimeout.MaxTimeout, Allowed);
        TimeSpan writer = root.DurationOrOff("tcp.idle-timeout.writer", ms, Tcp.IdleTimeout.MaxTimeout, Allowed);
        TimeSpan both = root.DurationOrOff("tcp.idle-timeout.both", ms, Tcp.IdleTimeout.MaxTimeout, Allowed);
        Tcp.IdleAction action = root.Enum("tcp.idle-timeout.action", new Dictionary<string, Tcp.IdleAction>
        {
            ["notify"] = Tcp.IdleAction.Notify,
            ["close"] = Tcp.IdleAction.Close,
        });
        var timeout = new Tcp.IdleTimeout(reader, writer, both, action);
        return timeout.IsOff ? Tcp.IdleTimeout.Off : timeout;
    }
}

/// <summary>The <c>actors-io.udp</c> configuration section.</summary>
public sealed class UdpSettings
{
    private UdpSettings()
    {
    }

    /// <summary><c>max-datagram-size</c>: the largest datagram sent or received; each receive slot has this many bytes.</summary>
    public int MaxDatagramSize { get; private init; }

    /// <summary><c>receive-batch-size</c>: datagrams read by one system call (<c>recvmmsg</c>, on Linux).</summary>
    public int ReceiveBatchSize { get; private init; }

    /// <summary><c>receive-budget-per-event</c>: datagrams read per readiness event before yielding.</summary>
    public int ReceiveBudgetPerEvent { get; private init; }

    /// <summary><c>max-queued-sends</c>: datagrams a socket holds while the kernel's send buffer is full.</summary>
    public int MaxQueuedSends { get; private init; }

    /// <summary>The least time between two warnings of one kind from one socket; not configurable.</summary>
    internal TimeSpan WarningInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The receivers' <c>recvmmsg</c> and its switch to <c>recvfrom</c>: the process's.</summary>
    internal RecvMmsgCalls RecvMmsg { get; set; } = RecvMmsgCalls.Process;

    internal static UdpSettings Create(SettingsReader root)
    {
        int batch = root.Int("udp.receive-batch-size", 1, 1024);
        return new UdpSettings
        {
            MaxDatagramSize = (int)root.Bytes("udp.max-datagram-size", 256, 65536, "a size from 256 B to 64 KiB"),
            ReceiveBatchSize = batch,
            ReceiveBudgetPerEvent = root.Int("udp.receive-budget-per-event", batch, 1_000_000),
            MaxQueuedSends = root.Int("udp.max-queued-sends", 1, 1_000_000),
        };
    }
}

/// <summary>The <c>actors-io.coordinated-shutdown</c> configuration section: the graceful drain of listeners and connections.</summary>
public sealed class CoordinatedShutdownSettings
{
    private CoordinatedShutdownSettings()
    {
    }

    /// <summary><c>enabled</c>: register the drain with Akka's <c>CoordinatedShutdown</c> phases when the extension starts.</summary>
    public bool Enabled { get; private init; }

    /// <summary>
    /// <c>drain-timeout</c>: how long connections get, after their handlers are told <see cref="Tcp.Draining"/>, to close
    /// by themselves.
    /// </summary>
    public TimeSpan DrainTimeout { get; private init; }

    /// <summary><c>on-timeout</c>: what happens to the connections still open when the drain's deadline passes.</summary>
    public DrainTimeoutAction OnTimeout { get; private init; }

    /// <summary>
    /// <c>drain-on-terminate</c>: drain when <c>CoordinatedShutdown</c> runs because of <c>ActorSystem.Terminate()</c>;
    /// off (the default) resets the connections at once there, as before, and drains for every other reason (a hosted
    /// application stopping, SIGTERM, a cluster node leaving, an explicit <c>CoordinatedShutdown.Run</c>).
    /// </summary>
    public bool DrainOnTerminate { get; private init; }

    internal static CoordinatedShutdownSettings Create(SettingsReader root) => new()
    {
        Enabled = root.Bool("coordinated-shutdown.enabled"),
        DrainOnTerminate = root.Bool("coordinated-shutdown.drain-on-terminate"),
        DrainTimeout = root.Duration("coordinated-shutdown.drain-timeout", TimeSpan.Zero, TimeSpan.FromHours(1), "a duration from 0s to 1h"),
        OnTimeout = root.Enum("coordinated-shutdown.on-timeout", new Dictionary<string, DrainTimeoutAction>
        {
            ["close"] = DrainTimeoutAction.Close,
            ["abort"] = DrainTimeoutAction.Abort,
        }),
    };
}

/// <summary>What a drain does with the connections still open at its deadline (<c>actors-io.coordinated-shutdown.on-timeout</c>).</summary>
public enum DrainTimeoutAction
{
    /// <summary>Close them as <see cref="Tcp.Close"/> does: queued writes are sent and the close lingers (<c>close-linger</c>).</summary>
    Close,

    /// <summary>Abort them as <see cref="Tcp.Abort"/> does: queued writes are dropped and the peer is reset.</summary>
    Abort,
}

/// <summary>
/// A configuration value of Actors.Io is missing, unparsable or out of range, or a key under <c>actors-io</c> is not one
/// Actors.Io knows (<see cref="UnknownKeys"/>).
/// </summary>
public sealed class ActorsIoConfigurationException : ConfigurationException
{
    private const string KnownKeys = "a key of the reference configuration, HOCON/actors-io.conf";

    /// <summary>Creates the exception for <paramref name="key"/> (full path), the value given and what is allowed.</summary>
    public ActorsIoConfigurationException(string key, string? value, string allowed)
        : this($"Invalid configuration {key} = {value ?? "(missing)"}: allowed {allowed}.", key, value, allowed, [])
    {
    }

    private ActorsIoConfigurationException(string message, string key, string? value, string allowed, IReadOnlyList<UnknownConfigurationKey> unknownKeys)
        : base(message)
    {
        Key = key;
        Value = value;
        Allowed = allowed;
        UnknownKeys = unknownKeys;
    }

    /// <summary>The full path of the key, such as <c>actors-io.nr-of-selectors</c>; the first of <see cref="UnknownKeys"/> when there are any.</summary>
    public string Key { get; }

    /// <summary>The value given, as written; null when the key is missing (or its value is a section).</summary>
    public string? Value { get; }

    /// <summary>What the key accepts.</summary>
    public string Allowed { get; }

    /// <summary>The keys set under <c>actors-io</c> that Actors.Io does not know, sorted by path; empty when a value is bad.</summary>
    public IReadOnlyList<UnknownConfigurationKey> UnknownKeys { get; }

    internal static ActorsIoConfigurationException ForUnknownKeys(IReadOnlyList<UnknownConfigurationKey> keys, string? firstValue)
    {
        var message = new System.Text.StringBuilder(keys.Count == 1 ? "Unknown configuration key " : "Unknown configuration keys: ");
        for (int i = 0; i < keys.Count; i++)
        {
            if (i > 0) message.Append(", ");
            message.Append(keys[i].Key);
            if (keys[i].NearestKnownKey is { } nearest) message.Append(" (did you mean ").Append(nearest).Append("?)");
        }

        message.Append(". Actors.Io reads only the keys of its reference configuration, HOCON/actors-io.conf.");
        return new ActorsIoConfigurationException(message.ToString(), keys[0].Key, firstValue, KnownKeys, keys);
    }
}

/// <summary>A key set under <c>actors-io</c> that Actors.Io does not know.</summary>
/// <param name="Key">The full path of the key, such as <c>actors-io.nr-of-selector</c>.</param>
/// <param name="NearestKnownKey">The full path of the known key closest to it (<c>actors-io.nr-of-selectors</c>); null when none is close.</param>
public sealed record UnknownConfigurationKey(string Key, string? NearestKnownKey);

/// <summary>Reads typed values under one section, failing with the key's full path.</summary>
internal sealed class SettingsReader(Config config, string section)
{
    public string Path(string key) => $"{section}.{key}";

    public string? Raw(string key)
    {
        string path = Path(key);
        return config.HasPath(path) ? config.GetValue(path)?.ToString()?.Trim('"') : null;
    }

    public long Bytes(string key, long min, long max, string allowed)
    {
        string? raw = Raw(key);
        long? value = null;
        try
        {
            value = raw is null ? null : config.GetByteSize(Path(key));
        }
        catch (Exception)
        {
            // Reported below with the key.
        }

        if (value is null || value < min || value > max) throw new ActorsIoConfigurationException(Path(key), raw, allowed);
        return value.Value;
    }

    public TimeSpan Duration(string key, TimeSpan min, TimeSpan max, string allowed)
    {
        string? raw = Raw(key);
        TimeSpan? value = null;
        try
        {
            value = raw is null ? null : config.GetTimeSpan(Path(key), allowInfinite: false);
        }
        catch (Exception)
        {
            // Reported below with the key.
        }

        if (value is null || value < min || value > max) throw new ActorsIoConfigurationException(Path(key), raw, allowed);
        return value.Value;
    }

    /// <summary>A duration, or <see cref="TimeSpan.Zero"/> for <c>off</c> or a zero duration.</summary>
    public TimeSpan DurationOrOff(string key, TimeSpan min, TimeSpan max, string allowed)
    {
        string? raw = Raw(key);
        if (raw is not null && (raw.Trim().Equals("off", StringComparison.OrdinalIgnoreCase) || raw.Trim() == "0")) return TimeSpan.Zero;
        TimeSpan? value = null;
        try
        {
            value = raw is null ? null : config.GetTimeSpan(Path(key), allowInfinite: false);
        }
        catch (Exception)
        {
            // Reported below with the key.
        }

        if (value == TimeSpan.Zero) return TimeSpan.Zero;
        if (value is null || value < min || value > max) throw new ActorsIoConfigurationException(Path(key), raw, allowed);
        return value.Value;
    }

    public int Int(string key, int min, int max)
    {
        string? raw = Raw(key);
        string allowed = max == int.MaxValue ? $"an integer from {min}" : $"an integer from {min} to {max}";
        if (raw is null || !long.TryParse(raw.Trim('"'), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long value)
            || value < min || value > max)
        {
            throw new ActorsIoConfigurationException(Path(key), raw, allowed);
        }

        return (int)value;
    }

    public bool Bool(string key)
    {
        string? raw = Raw(key)?.Trim('"').ToLowerInvariant();
        return raw switch
        {
            "on" or "true" or "yes" => true,
            "off" or "false" or "no" => false,
            _ => throw new ActorsIoConfigurationException(Path(key), Raw(key), "on or off"),
        };
    }

    public T Enum<T>(string key, IReadOnlyDictionary<string, T> names)
    {
        string? raw = Raw(key);
        if (raw is not null && names.TryGetValue(raw.Trim('"').ToLowerInvariant(), out T? value)) return value;
        throw new ActorsIoConfigurationException(Path(key), raw, string.Join(", ", names.Keys));
    }
}
