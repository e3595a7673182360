using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Actors.Io.Tests.Support;

/// <summary>
/// Records the <c>Actors.Io</c> meter's measurements of one actor system (its <c>system</c> tag; other systems in the
/// process are ignored): counters summed by instrument and <c>cause</c>, observable instruments as last collected,
/// histogram measurements one by one with their tags.
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<(string Instrument, string? Cause), long> _counted = new();
    private readonly ConcurrentDictionary<string, long> _observed = new();
    private readonly ConcurrentQueue<(string Instrument, double Value, Dictionary<string, object?> Tags)> _recorded = new();

    public MeterRecorder(string systemName)
    {
        _listener = new MeterListener
        {
            InstrumentPublished = (instrument, l) =>
            {
                if (instrument.Meter.Name == ActorsIo.MeterName) l.EnableMeasurementEvents(instrument);
            },
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
        {
            string? system = null;
            string? cause = null;
            foreach (KeyValuePair<string, object?> tag in tags)
            {
                if (tag.Key == "system") system = tag.Value as string;
                if (tag.Key == "cause") cause = tag.Value as string;
            }

            if (system != systemName) return;
            if (instrument.GetType().Name.StartsWith("Observable", StringComparison.Ordinal)) _observed.AddOrUpdate(instrument.Name, value, (_, old) => old + value);
            else _counted.AddOrUpdate((instrument.Name, cause), value, (_, old) => old + value);
        });
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) =>
        {
            var tagged = new Dictionary<string, object?>();
            foreach (KeyValuePair<string, object?> tag in tags) tagged[tag.Key] = tag.Value;
            if (tagged.GetValueOrDefault("system") as string == systemName) _recorded.Enqueue((instrument.Name, value, tagged));
        });
        _listener.Start();
    }

    /// <summary>What counter <paramref name="instrument"/> has counted with <paramref name="cause"/> so far.</summary>
    public long Counted(string instrument, string? cause = null) => _counted.GetValueOrDefault((instrument, cause));

    /// <summary>What counter <paramref name="instrument"/> has counted so far, all causes together.</summary>
    public long Total(string instrument) => _counted.Where(c => c.Key.Instrument == instrument).Sum(c => c.Value);

    /// <summary>The values histogram <paramref name="instrument"/> recorded so far, in order, each with its tags.</summary>
    public List<(double Value, Dictionary<string, object?> Tags)> Recorded(string instrument) =>
        [.. _recorded.Where(r => r.Instrument == instrument).Select(r => (r.Value, r.Tags))];

    /// <summary>Collects the observable instruments once (per-selector values summed).</summary>
    public Dictionary<string, long> Observe()
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        return new Dictionary<string, long>(_observed);
    }

    public void Dispose() => _listener.Dispose();
}
