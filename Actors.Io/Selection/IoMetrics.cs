using System.Diagnostics.Metrics;

namespace Actors.Io.Selection;

/// <summary>
/// Counters of one selector. Channel actors and the selector add to them with plain atomic adds (no lock, no
/// allocation); the <see cref="IoMetrics"/> instruments read them when a listener collects.
/// </summary>
internal sealed class SelectorCounters
{
    public long OpenConnections;
    public long Accepted;
    public long Connected;
    public long BytesRead;
    public long ReceivedMessages;
    public long InlineReads;
    public long BytesWritten;
    public long QueuedWriteBytes;
    public long EventsDispatched;
    public long AcceptBackoffs;
    public long DatagramsDropped;

    public static void Add(ref long counter, long value) => Interlocked.Add(ref counter, value);
}

/// <summary>
/// The <c>Actors.Io</c> meter of one actor system (tagged <c>system</c>), read by <c>dotnet-counters</c>, OpenTelemetry
/// or a <see cref="MeterListener"/>. Observable instruments sum the selectors' counters when collected.
/// </summary>
internal sealed class IoMetrics : IDisposable
{
    /// <summary>The meter name to subscribe to.</summary>
    public const string MeterName = "Actors.Io";

    private readonly Meter _meter;
    private readonly SelectorPool _pool;
    private static readonly double[] DurationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

    private readonly Counter<long> _failures;
    private readonly Counter<long> _handshakes;
    private readonly Histogram<double> _handshakeDuration;
    private readonly Histogram<double> _connectionDuration;
    private readonly KeyValuePair<string, object?> _systemTag;

    public IoMetrics(string systemName, SelectorPool pool)
    {
        _pool = pool;
        _systemTag = new KeyValuePair<string, object?>("system", systemName);
        _meter = new Meter(MeterName);
        _meter.CreateObservableUpDownCounter("actors-io.connections.open", () => Sum(c => c.OpenConnections), "{connection}", "Open TCP connections");
        _meter.CreateObservableCounter("actors-io.connections.accepted", () => Sum(c => c.Accepted), "{connection}", "Connections accepted by listeners");
        _meter.CreateObservableCounter("actors-io.connections.connected", () => Sum(c => c.Connected), "{connection}", "Outgoing connections established");
        _meter.CreateObservableCounter("actors-io.bytes.read", () => Sum(c => c.BytesRead), "By", "Bytes read from connections");
        _meter.CreateObservableCounter("actors-io.received.messages", () => Sum(c => c.ReceivedMessages), "{message}", "Received messages delivered to handlers");
        _meter.CreateObservableCounter("actors-io.received.inline", () => Sum(c => c.InlineReads), "{message}", "Received messages read where the selector saw the event, without a Readable message");
        _meter.CreateObservableCounter("actors-io.bytes.written", () => Sum(c => c.BytesWritten), "By", "Bytes handed to the kernel");
        _meter.CreateObservableUpDownCounter("actors-io.write.queued-bytes", () => Sum(c => c.QueuedWriteBytes), "By", "Bytes written by handlers and not yet taken by the kernel");
        _meter.CreateObservableCounter("actors-io.datagrams.dropped", () => Sum(c => c.DatagramsDropped), "{datagram}", "Received datagrams dropped for being longer than actors-io.udp.max-datagram-size");
        _meter.CreateObservableCounter("actors-io.accept.backoffs", () => Sum(c => c.AcceptBackoffs), "{backoff}", "Times a listener paused accepting for lack of descriptors");
        _meter.CreateObservableCounter("actors-io.selector.wakeups", PerSelector(s => s.Loop.WakeUps), "{wakeup}", "Returns from a blocking wait, per selector");
        _meter.CreateObservableCounter("actors-io.selector.events", PerSelector(s => s.Counters.EventsDispatched), "{event}", "Readiness events dispatched, per selector");
        _meter.CreateObservableCounter("actors-io.loop.stalls", PerSelector(s => s.Loop.Stalls), "{stall}", "Mailbox runs on an event loop longer than actors-io.loop-stall-warning, per selector");
        _connectionDuration = _meter.CreateHistogram<double>(
            "actors-io.connection.duration",
            "s",
            "How long TCP and Unix connections were open, from Connected until the connection actor stopped",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _failures = _meter.CreateCounter<long>("actors-io.connections.failures", "{connection}", "Connections closed by an error, by cause");
        _handshakes = _meter.CreateCounter<long>("actors-io.tls.handshakes", "{handshake}", "TLS handshakes finished, by result (succeeded, failed, timed-out) and side (server, client)");
        _handshakeDuration = _meter.CreateHistogram<double>(
            "actors-io.tls.handshake.duration",
            "s",
            "How long TLS handshakes took, from the connection to the end of the handshake",
            tags: null,
            new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10] });
    }

    /// <summary>Counts a connection that failed; <paramref name="cause"/> is a short, bounded name (a socket error).</summary>
    public void ConnectionFailed(string cause) =>
        _failures.Add(1, _systemTag, new KeyValuePair<string, object?>("cause", cause));

    /// <summary>Records how long a connection was open, in seconds.</summary>
    public void ConnectionEnded(double seconds) => _connectionDuration.Record(seconds, _systemTag);

    /// <summary>Counts a finished TLS handshake and records how long it took.</summary>
    public void TlsHandshake(string result, bool server, double seconds)
    {
        var resultTag = new KeyValuePair<string, object?>("result", result);
        var sideTag = new KeyValuePair<string, object?>("side", server ? "server" : "client");
        _handshakes.Add(1, _systemTag, resultTag, sideTag);
        _handshakeDuration.Record(seconds, _systemTag, resultTag, sideTag);
    }

    public void Dispose() => _meter.Dispose();

    private Measurement<long> Sum(Func<SelectorCounters, long> read)
    {
        long total = 0;
        for (int i = 0; i < _pool.Count; i++) total += read(_pool[i].Counters);
        return new Measurement<long>(total, _systemTag);
    }

    private Func<IEnumerable<Measurement<long>>> PerSelector(Func<Selector, long> read) => () =>
    {
        var measurements = new Measurement<long>[_pool.Count];
        for (int i = 0; i < measurements.Length; i++)
        {
            measurements[i] = new Measurement<long>(read(_pool[i]), _systemTag, new KeyValuePair<string, object?>("selector", i));
        }

        return measurements;
    };
}
