using System.Collections.Concurrent;
using System.Diagnostics;

namespace Actors.Io.Sample.Tests.Support;

/// <summary>
/// <c>openssl s_client -quiet -connect 127.0.0.1:PORT</c> as a process, as the README tells people to chat over TLS: lines
/// go to its standard input, the server's plaintext comes out of its standard output (with <c>-quiet</c>, nothing else
/// does; the certificate checks it reports go to standard error).
/// </summary>
internal sealed class OpenSslClient : IDisposable
{
    private readonly Process _process;
    private readonly BlockingCollection<string> _lines = [];
    private readonly ConcurrentQueue<string> _errors = new();
    private readonly Task _pump;

    private OpenSslClient(Process process)
    {
        _process = process;
        _pump = Task.WhenAll(
            Task.Run(async () =>
            {
                while (await process.StandardOutput.ReadLineAsync() is { } line) _lines.Add(line);
                _lines.CompleteAdding();
            }),
            Task.Run(async () =>
            {
                while (await process.StandardError.ReadLineAsync() is { } line) _errors.Enqueue(line);
            }));
    }

    /// <summary>What it printed on standard error (connection and certificate details), for failure messages.</summary>
    public string Errors => string.Join('\n', _errors);

    /// <summary>Starts the client; fails (never skips) when <c>openssl</c> is not installed.</summary>
    public static OpenSslClient Connect(int port)
    {
        var start = new ProcessStartInfo("openssl")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string arg in new[] { "s_client", "-quiet", "-connect", $"127.0.0.1:{port}" }) start.ArgumentList.Add(arg);
        try
        {
            return new OpenSslClient(Process.Start(start) ?? throw new InvalidOperationException("openssl did not start"));
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("These tests need the openssl command line tool (.ci/run installs it): " + e.Message, e);
        }
    }

    public async Task SendLineAsync(string line)
    {
        await _process.StandardInput.WriteAsync(line + "\n");
        await _process.StandardInput.FlushAsync();
    }

    /// <summary>The next line from the server; null once the client ended (the server closed).</summary>
    public async Task<string?> ReadLineAsync(TimeSpan timeout)
    {
        string? line = null;
        if (await Task.Run(() => _lines.TryTake(out line, timeout))) return line;
        if (_lines.IsCompleted) return null;
        throw new TimeoutException($"no line from openssl s_client within {timeout}; its standard error:\n{Errors}");
    }

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

        // The pumps end with the process's output; the lines go only after they stopped adding.
        _ = Task.WhenAny(_pump, Task.Delay(TimeSpan.FromSeconds(10))).GetAwaiter().GetResult();
        if (_pump.IsCompleted) _lines.Dispose();
        _process.Dispose();
    }
}
