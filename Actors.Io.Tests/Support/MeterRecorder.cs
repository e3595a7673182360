using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Actors.Io.Tests.Support;

/// <summary>
/// Records the <c>Actors.Io</c> meter's measurements of one actor system (its <c>system</c> tag; other systems in the
/// process are ignored): counters summed by instrument and <c>cause</c>, observable instruments as last collected.
/// </summary>
internal sealed class MeterRecorder : IDisposable
{
    private readonly MeterListener _listener;
    private readonly ConcurrentDictionary<(string Instrument, string? Cause), long> _counted = new();
    private readonly ConcurrentDictionary<string, long> _observed = new();

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
        _listener.Start();
    }

    /// <summary>What counter <paramref name="instrument"/> has counted with <paramref name="cause"/> so far.</summary>
    public long Counted(string instrument, string? cause = null) => _counted.GetValueOrDefault((instrument, cause));

    /// <summary>What counter <paramref name="instrument"/> has counted so far, all causes together.</summary>
    public long Total(string instrument) => _counted.Where(c => c.Key.Instrument == instrument).Sum(c => c.Value);

    /// <summary>Collects the observable instruments once (per-selector values summed).</summary>
    public Dictionary<string, long> Observe()
    {
        _observed.Clear();
        _listener.RecordObservableInstruments();
        return new Dictionary<string, long>(_observed);
    }

    public void Dispose() => _listener.Dispose();
}
