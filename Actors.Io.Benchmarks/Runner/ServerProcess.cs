using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Security;
using Actors.Io.Benchmarks.Load;
using Actors.Io.Benchmarks.Servers;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>
/// One echo server in its own process: this executable's <c>server KIND --port 0</c> mode, started through
/// <c>/bin/sh</c> (to raise its descriptor limit with <c>ulimit -n</c>) and <c>taskset -c CPU</c>. The process id is the
/// server's own (sh and taskset exec it), so /proc/PID tells its CPU time and resident set.
/// Every server runs with <c>DOTNET_TC_CallCountingDelayMs=0</c> (unless the runner's environment sets it): on a process
/// limited to one CPU, .NET waits 1 s without newly compiled methods before it starts counting calls for tier-up, and
/// connection churn keeps restarting that wait, so hot methods were recompiled in bursts for 20 s and more, inside the
/// measured windows. Without the delay the warm-up ends with them optimized; steady state is what is measured.
/// </summary>
internal sealed class ServerProcess : IDisposable
{
    private const string TieringDelayVariable = "DOTNET_TC_CallCountingDelayMs";
    private readonly Process _process;
    private readonly TaskCompletionSource<int> _port = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly SemaphoreSlim _gcDone = new(0);
    private readonly SemaphoreSlim _probeDone = new(0);
    private readonly Lock _probeGate = new();
    private ServerProbe _probe;
    private readonly string _kind;
    private volatile bool _stopping;
    private long _heapBytes;

    private ServerProcess(string kind, int? cpu)
    {
        _kind = kind;
        var start = new ProcessStartInfo("/bin/sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (Environment.GetEnvironmentVariable(TieringDelayVariable) is null) start.Environment[TieringDelayVariable] = "0";
        if (EchoServers.IsTls(kind))
        {
            start.Environment[BenchCertificate.Variable] = BenchCertificate.Exported;
            ClientTls = TlsClient.Options("localhost", BenchCertificate.Server);
        }
        string pin = cpu is { } c ? $"exec taskset -c {c} \"$@\"" : "exec \"$@\"";
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add($"ulimit -n \"$(ulimit -Hn)\" 2>/dev/null; {pin}");
        start.ArgumentList.Add("sh");
        foreach (string part in SelfCommand()) start.ArgumentList.Add(part);
        start.ArgumentList.Add("server");
        start.ArgumentList.Add(kind);
        start.ArgumentList.Add("--port");
        start.ArgumentList.Add("0");
        _process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server process");
        _process.OutputDataReceived += (_, e) => OnLine(e.Data);
        _process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Kind => _kind;

    public int Pid => _process.Id;

    /// <summary>What a load generator's TLS connection to this server asks for; null for a plain server.</summary>
    public SslClientAuthenticationOptions? ClientTls { get; }

    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Starts <paramref name="kind"/> pinned to <paramref name="cpu"/> (null: unpinned) and waits for its port.</summary>
    public static ServerProcess Start(string kind, int? cpu)
    {
        var server = new ServerProcess(kind, cpu);
        try
        {
            Task<int> port = server._port.Task;
            if (!port.Wait(TimeSpan.FromSeconds(60)) || server._process.HasExited) throw new TimeoutException($"server {kind} printed no PORT line within 60 s (or exited)");
            server.EndPoint = new IPEndPoint(IPAddress.Loopback, port.Result);
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>The command that runs this benchmark program (its apphost, or dotnet and its dll).</summary>
    public static IReadOnlyList<string> SelfCommand()
    {
        string path = Environment.ProcessPath ?? throw new InvalidOperationException("no process path");
        string dll = typeof(ServerProcess).Assembly.Location;
        return Path.GetFileNameWithoutExtension(path) == "dotnet" ? [path, dll] : [path];
    }

    /// <summary>User + system CPU seconds the server has used (/proc/PID/stat utime + stime).</summary>
    public double CpuSeconds()
    {
        string stat = File.ReadAllText($"/proc/{Pid}/stat");
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        // After the command name: field 3 (state) is index 0, so utime (14) is index 11 and stime (15) index 12.
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        return ticks / (double)Native.BenchNative.ClockTicks;
    }

    /// <summary>
    /// Nanoseconds each of the server's threads has spent runnable but waiting for a CPU (the second field of
    /// /proc/PID/task/TID/schedstat), by thread id: how much other work on the machine held it back.
    /// </summary>
    public Dictionary<int, long> RunQueueWaits() => SchedStat.WaitSnapshot($"/proc/{Pid}/task");

    /// <summary>The server's resident set size in KiB (/proc/PID/status VmRSS).</summary>
    public long RssKiB()
    {
        foreach (string line in File.ReadLines($"/proc/{Pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], CultureInfo.InvariantCulture);
            }
        }

        throw new InvalidOperationException($"no VmRSS in /proc/{Pid}/status");
    }

    /// <summary>Asks the server for a full blocking collection, waits for it, and returns the live managed bytes.</summary>
    public long CollectGarbage()
    {
        _process.StandardInput.WriteLine("gc");
        _process.StandardInput.Flush();
        if (!_gcDone.Wait(TimeSpan.FromSeconds(60))) throw new TimeoutException($"server {_kind} did not finish its collection within 60 s");
        return Interlocked.Read(ref _heapBytes);
    }

    /// <summary>The server's JIT and GC so far: methods compiled and the time it took, pause time, collections.</summary>
    public ServerProbe Probe()
    {
        _process.StandardInput.WriteLine("probe");
        _process.StandardInput.Flush();
        if (!_probeDone.Wait(TimeSpan.FromSeconds(30))) throw new TimeoutException($"server {_kind} did not answer its probe within 30 s");
        lock (_probeGate) return _probe;
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        try
        {
            _stopping = true;
            if (!_process.HasExited)
            {
                _process.StandardInput.WriteLine("exit");
                _process.StandardInput.Close();
                if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit();
        }
        catch (Exception e) when (e is InvalidOperationException or IOException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void OnLine(string? line)
    {
        if (line is null) return;
        if (line.StartsWith("PORT ", StringComparison.Ordinal) && int.TryParse(line.AsSpan(5), CultureInfo.InvariantCulture, out int port))
        {
            _port.TrySetResult(port);
            return;
        }

        if (line.StartsWith("GC-DONE", StringComparison.Ordinal))
        {
            string[] fields = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            _ = long.TryParse(fields.Length > 1 ? fields[1] : "", CultureInfo.InvariantCulture, out long heap);
            Interlocked.Exchange(ref _heapBytes, heap);
            _gcDone.Release();
            return;
        }

        if (line.StartsWith("PROBE ", StringComparison.Ordinal))
        {
            string[] f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var probe = new ServerProbe(Long(1), Double(2), Double(3), Long(4));
            lock (_probeGate) _probe = probe;
            _probeDone.Release();
            return;

            long Long(int i) => i < f.Length && long.TryParse(f[i], CultureInfo.InvariantCulture, out long v) ? v : 0;
            double Double(int i) => i < f.Length && double.TryParse(f[i], CultureInfo.InvariantCulture, out double v) ? v : 0;
        }

        // What a server says while it shuts down (Akka's listener noticing its bind actor is gone) is not news.
        if (!_stopping) Console.Error.WriteLine($"    [{_kind}] {line}");
    }
}

/// <summary>A server's cumulative JIT and GC figures at one moment (see <see cref="ServerProcess.Probe"/>).</summary>
/// <param name="JitMethods">Methods compiled, every tier.</param>
/// <param name="JitMilliseconds">Time spent compiling.</param>
/// <param name="GcPauseMilliseconds">Time the GC has paused the process.</param>
/// <param name="Gen0Collections">Collections of generation 0 (and older).</param>
internal readonly record struct ServerProbe(long JitMethods, double JitMilliseconds, double GcPauseMilliseconds, long Gen0Collections);
