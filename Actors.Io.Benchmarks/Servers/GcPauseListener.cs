using System.Diagnostics.Tracing;
using System.Globalization;
using System.Text;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// Diagnosis: splits each collection's pause into suspension (SuspendEE begin to end), the collection itself (GC start
/// to end) and the restart, from the runtime's own GC events. Enabled by the server's <c>gctrace</c> command; the
/// <c>gcpauses</c> command prints and clears what it has seen.
/// </summary>
internal sealed class GcPauseListener : EventListener
{
    private const long GcKeyword = 0x1;
    private readonly Lock _gate = new();
    private readonly StringBuilder _lines = new();
    private DateTime _suspendBegin;
    private DateTime _suspendEnd;
    private DateTime _gcStart;
    private DateTime _gcEnd;
    private int _generation;
    private bool _enabled;

    public void Enable()
    {
        lock (_gate) _enabled = true;
        foreach (EventSource source in EventSource.GetSources()) EnableIfRuntime(source);
    }

    public string Drain()
    {
        lock (_gate)
        {
            string text = _lines.ToString();
            _lines.Clear();
            return text;
        }
    }

    protected override void OnEventSourceCreated(EventSource eventSource)
    {
        bool enabled;
        lock (_gate) enabled = _enabled;
        if (enabled) EnableIfRuntime(eventSource);
    }

    private void EnableIfRuntime(EventSource source)
    {
        if (source.Name == "Microsoft-Windows-DotNETRuntime") EnableEvents(source, EventLevel.Informational, (EventKeywords)GcKeyword);
    }

    protected override void OnEventWritten(EventWrittenEventArgs e)
    {
        lock (_gate)
        {
            switch (e.EventName)
            {
                case "GCSuspendEEBegin_V1": _suspendBegin = e.TimeStamp; break;
                case "GCSuspendEEEnd_V1": _suspendEnd = e.TimeStamp; break;
                case "GCStart_V2":
                    _gcStart = e.TimeStamp;
                    _generation = e.Payload is { Count: > 1 } p ? Convert.ToInt32(p[1], CultureInfo.InvariantCulture) : -1;
                    break;
                case "GCEnd_V1": _gcEnd = e.TimeStamp; break;
                case "GCRestartEEEnd_V1":
                    _lines.Append(CultureInfo.InvariantCulture, $"GCPAUSE gen {_generation} suspend-us {(_suspendEnd - _suspendBegin).TotalMicroseconds:F0} gc-us {(_gcEnd - _gcStart).TotalMicroseconds:F0} restart-us {(e.TimeStamp - _gcEnd).TotalMicroseconds:F0} total-us {(e.TimeStamp - _suspendBegin).TotalMicroseconds:F0}\n");
                    break;
            }
        }
    }
}
