using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Actors.Io.Tests.Support;

namespace Actors.Io.Tests.Stress;

/// <summary>A client-side child process (the helper program in <c>clients</c> or <c>flood</c> mode) and the lines it prints.</summary>
internal sealed class ClientProcess : IDisposable
{
    private readonly BlockingCollection<string> _lines = [];

    private ClientProcess(string mode, int count, int port)
    {
        var start = new ProcessStartInfo(ChildProcesses.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildProcesses.HostDll());
        start.ArgumentList.Add(mode);
        start.ArgumentList.Add(count.ToString(CultureInfo.InvariantCulture));
        start.ArgumentList.Add(port.ToString(CultureInfo.InvariantCulture));
        Process = new Process { StartInfo = start };
        Process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is not null) _lines.Add(e.Data);
        };
        Process.Start();
        Process.BeginOutputReadLine();
    }

    public Process Process { get; }

    public static ClientProcess Start(string mode, int count, int port) => new(mode, count, port);

    /// <summary>The first line starting with <paramref name="prefix"/> (or <c>FAILED</c>) within <paramref name="timeout"/>.</summary>
    public string WaitFor(string prefix, TimeSpan timeout)
    {
        var deadline = Stopwatch.StartNew();
        while (_lines.TryTake(out string? line, timeout - deadline.Elapsed > TimeSpan.Zero ? timeout - deadline.Elapsed : TimeSpan.Zero))
        {
            if (line.StartsWith(prefix, StringComparison.Ordinal) || line.StartsWith("FAILED", StringComparison.Ordinal)) return line;
        }

        throw new TimeoutException($"No '{prefix}' line from the client process within {timeout}.");
    }

    public void Dispose()
    {
        if (!Process.HasExited) Process.Kill(entireProcessTree: true);
        Process.Dispose();
    }
}
