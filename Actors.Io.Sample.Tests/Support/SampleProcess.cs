using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace Actors.Io.Sample.Tests.Support;

/// <summary>The built sample (<c>Actors.Io.Sample/bin/.../Actors.Io.Sample.dll</c>) run as a process with <c>dotnet</c>.</summary>
internal sealed partial class SampleProcess : IDisposable
{
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _output = new();
    private readonly Task _pump;

    private SampleProcess(Process process)
    {
        _process = process;
        _pump = Task.WhenAll(PumpAsync(process.StandardOutput), PumpAsync(process.StandardError));
    }

    public int ExitCode => _process.ExitCode;

    /// <summary>Everything printed so far, stdout and stderr interleaved as read.</summary>
    public string Output => string.Join('\n', _output);

    public static SampleProcess Start(params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(SampleDll())!,
        };
        start.ArgumentList.Add(SampleDll());
        foreach (string arg in args) start.ArgumentList.Add(arg);
        return new SampleProcess(Process.Start(start) ?? throw new InvalidOperationException("dotnet did not start"));
    }

    /// <summary>The sample's own build output (the configuration of this test build), where dotnet run would find it.</summary>
    public static string SampleDll()
    {
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        string framework = testOutput.Name;
        string configuration = testOutput.Parent!.Name;
        for (DirectoryInfo? dir = testOutput; dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "Actors.Io.Sample", "bin", configuration, framework, "Actors.Io.Sample.dll");
            if (File.Exists(candidate)) return candidate;
        }

        // Built elsewhere (another output layout): the copy beside the tests, with its runtimeconfig and HOCON/.
        string copy = Path.Combine(testOutput.FullName, "Actors.Io.Sample.dll");
        return File.Exists(copy) ? copy : throw new FileNotFoundException($"Actors.Io.Sample.dll not found above or in {testOutput.FullName}");
    }

    /// <summary>A port that was free a moment ago.</summary>
    public static int FreePort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    /// <summary>Waits for an output line that satisfies <paramref name="match"/>.</summary>
    public async Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            string? line = _output.FirstOrDefault(match);
            if (line is not null) return line;
            if (_process.HasExited && _pump.IsCompleted) throw new InvalidOperationException($"the sample exited ({_process.ExitCode}):\n{Output}");
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"no such line within {timeout}:\n{Output}");
            await Task.Delay(50);
        }
    }

    /// <summary>Sends SIGINT, as Ctrl-C in a terminal does.</summary>
    public void Interrupt() => Assert.Equal(0, Kill(_process.Id, 2));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        await _pump;
        return _process.ExitCode;
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    private async Task PumpAsync(StreamReader reader)
    {
        while (await reader.ReadLineAsync() is { } line) _output.Enqueue(line);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
