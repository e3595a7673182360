using System.Globalization;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>Run-queue waiting time from /proc/*/task/*/schedstat (run ns, wait ns, timeslices).</summary>
internal static class SchedStat
{
    /// <summary>The summed wait time of every thread under <paramref name="taskDirectory"/>, in seconds (0 if unknown).</summary>
    public static double WaitSeconds(string taskDirectory)
    {
        long total = 0;
        try
        {
            foreach (string task in Directory.EnumerateDirectories(taskDirectory))
            {
                try
                {
                    string[] fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    total += long.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (IOException)
        {
            return 0;
        }

        return total / 1e9;
    }

    /// <summary>This thread's own wait time in seconds.</summary>
    public static double ThreadWaitSeconds()
    {
        try
        {
            string[] fields = File.ReadAllText("/proc/thread-self/schedstat").Split(' ');
            return long.Parse(fields[1], CultureInfo.InvariantCulture) / 1e9;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>The "some" line of /proc/pressure/cpu (share of time some task waited for a CPU), or "n/a".</summary>
    public static string CpuPressure()
    {
        try
        {
            string line = File.ReadLines("/proc/pressure/cpu").First();
            return line.Replace("some ", string.Empty, StringComparison.Ordinal);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return "n/a";
        }
    }
}
