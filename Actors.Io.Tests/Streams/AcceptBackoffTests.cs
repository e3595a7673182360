using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using System.Text;
using Actors.Io.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// Out of file descriptors (EMFILE) the listener backs off on a timer and retries: it must not spin, not crash, log the
/// shortage once, and accept again when descriptors are free. Run in a child process (Actors.Io.Tests.FdLimitHost, an echo
/// server) started under <c>ulimit -n</c>, so this test process keeps its own descriptors.
/// </summary>
public sealed partial class AcceptBackoffTests(ITestOutputHelper output)
{
    private const int DescriptorLimit = 160;
    private const int Pending = 15;
    private const string BackoffWarning = "pausing accepts";
    // The child starts a runtime and an actor system before it answers: longer than TestWaits.Expect.
    private static readonly TimeSpan ChildProcessWait = TimeSpan.FromSeconds(10);

    [Fact]
    public async Task Out_of_descriptors_the_listener_backs_off_without_spinning_and_accepts_again()
    {
        using var host = new HostProcess(DescriptorLimit);
        var clients = new List<Socket>();
        try
        {
            int baseline = int.Parse(host.WaitForLine("FDS ", ChildProcessWait)["FDS ".Length..]);
            int port = int.Parse(host.WaitForLine("PORT ", ChildProcessWait)["PORT ".Length..]);
            var target = new IPEndPoint(IPAddress.Loopback, port);
            int capacity = DescriptorLimit - baseline;
            Assert.True(capacity > 5, $"The host already holds {baseline} of its {DescriptorLimit} descriptors.");

            // Warm the echo path first, then open more clients than the host has descriptors for. The kernel completes
            // every handshake (the backlog is 1024); the host accepts until accept4 fails with EMFILE.
            clients.Add(Loopback.Connect(target));
            AssertEchoes(clients[0], "warm", TestWaits.Expect);
            for (int i = 1; i < capacity + Pending; i++) clients.Add(Loopback.Connect(target));

            string warning = host.WaitForLine(BackoffWarning, ChildProcessWait);
            Assert.Contains($"Accepting on {target}", warning);

            // The host prints ACCEPTED as its connections report in, a little after the listener's last accept.
            host.WaitUntilAcceptedSettles(TimeSpan.FromMilliseconds(300), ChildProcessWait);
            int accepted = host.Accepted;
            // Roughly capacity: the runtime opens and closes a few descriptors of its own meanwhile. What matters is that
            // clients are left pending.
            Assert.InRange(accepted, 1, clients.Count - 5);

            // Starved: a second of it must cost little CPU (no accept loop spinning on EMFILE), accept nothing, log nothing more.
            TimeSpan cpuBefore = host.CpuTime();
            var window = Stopwatch.StartNew();
            await Task.Delay(TimeSpan.FromSeconds(1));
            TimeSpan cpu = host.CpuTime() - cpuBefore;
            double perSecond = cpu.TotalSeconds / window.Elapsed.TotalSeconds;
            output.WriteLine($"Host: {baseline} descriptors at start, {accepted} accepted, {clients.Count} clients, CPU while starved {perSecond:F3} s/s");
            Assert.False(host.HasExited, "The host died when it ran out of descriptors.");
            Assert.True(perSecond < 0.3, $"The starved host used {perSecond:F3} s of CPU per second: it spins.");
            Assert.Equal(accepted, host.Accepted);
            Assert.Equal(1, host.CountLines(BackoffWarning));

            // Free some descriptors: the host's connections see EOF and close; the next pending client gets accepted.
            for (int i = 1; i <= 5; i++) clients[i].Dispose();
            Socket pending = clients[accepted];
            AssertEchoes(pending, "accepted at last", TimeSpan.FromSeconds(8));
            host.WaitForLine($"ACCEPTED {accepted + 1}", ChildProcessWait);

            // Alive throughout, and it shuts down cleanly.
            Assert.False(host.HasExited, "The host died after accepting again.");
            foreach (Socket client in clients) client.Dispose();
            Assert.Equal(0, host.Stop());
        }
        finally
        {
            foreach (Socket client in clients) client.Dispose();
            int code = host.Stop();
            foreach (string line in host.Lines()) output.WriteLine(line);
            output.WriteLine($"Host exit code {code}");
        }
    }

    private static void AssertEchoes(Socket client, string text, TimeSpan within)
    {
        client.ReceiveTimeout = (int)within.TotalMilliseconds;
        client.Send(Encoding.ASCII.GetBytes(text));
        Assert.Equal(text, Loopback.ReceiveAscii(client, text.Length));
    }

    [LibraryImport("libc", EntryPoint = "sysconf")]
    private static partial long SysConf(int name);

    /// <summary>The echo host under a descriptor limit, with its output captured line by line.</summary>
    private sealed class HostProcess : IDisposable
    {
        private const int ScClkTck = 2;
        private readonly Process _process;
        private readonly List<string> _lines = [];
        private readonly object _gate = new();
        private readonly Stopwatch _clock = Stopwatch.StartNew();
        private int _accepted;
        private TimeSpan _lastAcceptedAtClock;

        public HostProcess(int descriptorLimit)
        {
            string dll = Support.ChildProcesses.HostDll();
            var start = new ProcessStartInfo("/bin/sh")
            {
                RedirectStandardInput = true,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-c");
            start.ArgumentList.Add("ulimit -n \"$0\" && exec \"$1\" \"$2\"");
            start.ArgumentList.Add(descriptorLimit.ToString(System.Globalization.CultureInfo.InvariantCulture));
            start.ArgumentList.Add(Support.ChildProcesses.DotnetHost());
            start.ArgumentList.Add(dll);
            _process = new Process { StartInfo = start };
            _process.OutputDataReceived += (_, e) => Add(e.Data);
            _process.ErrorDataReceived += (_, e) => Add(e.Data is null ? null : "stderr: " + e.Data);
            _process.Start();
            _process.BeginOutputReadLine();
            _process.BeginErrorReadLine();
        }

        public bool HasExited => _process.HasExited;

        public int Accepted => Volatile.Read(ref _accepted);

        /// <summary>The first line containing <paramref name="text"/>, waiting for it up to <paramref name="timeout"/>.</summary>
        public string WaitForLine(string text, TimeSpan timeout)
        {
            var deadline = Stopwatch.StartNew();
            lock (_gate)
            {
                while (true)
                {
                    string? line = _lines.FirstOrDefault(l => l.Contains(text, StringComparison.Ordinal));
                    if (line is not null) return line;
                    TimeSpan left = timeout - deadline.Elapsed;
                    if (left <= TimeSpan.Zero || _process.HasExited)
                    {
                        throw new TimeoutException($"The host printed no line with \"{text}\" within {timeout} (exited: {_process.HasExited}):\n{string.Join('\n', _lines)}");
                    }

                    Monitor.Wait(_gate, left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
                }
            }
        }

        /// <summary>Waits until no ACCEPTED line has come for <paramref name="quiet"/>, up to <paramref name="timeout"/>.</summary>
        public void WaitUntilAcceptedSettles(TimeSpan quiet, TimeSpan timeout)
        {
            var elapsed = Stopwatch.StartNew();
            lock (_gate)
            {
                while (true)
                {
                    TimeSpan sinceLast = _clock.Elapsed - _lastAcceptedAtClock;
                    if (sinceLast >= quiet) return;
                    if (elapsed.Elapsed >= timeout) throw new TimeoutException($"The host kept accepting for {timeout}: it never ran out of descriptors.");
                    Monitor.Wait(_gate, quiet - sinceLast);
                }
            }
        }

        public int CountLines(string text)
        {
            lock (_gate) return _lines.Count(l => l.Contains(text, StringComparison.Ordinal));
        }

        public string[] Lines()
        {
            lock (_gate) return [.. _lines];
        }

        /// <summary>User plus system CPU time of the host, from /proc/[pid]/stat.</summary>
        public TimeSpan CpuTime()
        {
            string stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long ticks = long.Parse(fields[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(fields[12], System.Globalization.CultureInfo.InvariantCulture);
            return TimeSpan.FromSeconds((double)ticks / SysConf(ScClkTck));
        }

        /// <summary>Asks the host to exit, kills it if it does not within 5 s; returns its exit code.</summary>
        public int Stop()
        {
            if (!_process.HasExited)
            {
                try
                {
                    _process.StandardInput.WriteLine("exit");
                    _process.StandardInput.Flush();
                }
                catch (IOException)
                {
                    // Already gone.
                }

                if (!_process.WaitForExit(TimeSpan.FromSeconds(5))) _process.Kill(entireProcessTree: true);
            }

            _process.WaitForExit();
            return _process.ExitCode;
        }

        public void Dispose()
        {
            if (!_process.HasExited) _process.Kill(entireProcessTree: true);
            _process.Dispose();
        }

        private void Add(string? line)
        {
            if (line is null) return;
            lock (_gate)
            {
                _lines.Add(line);
                if (line.StartsWith("ACCEPTED ", StringComparison.Ordinal))
                {
                    _accepted = int.Parse(line["ACCEPTED ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                    _lastAcceptedAtClock = _clock.Elapsed;
                }

                Monitor.PulseAll(_gate);
            }
        }
    }
}
