using System.Globalization;

namespace Actors.Io.Benchmarks.Runner;

/// <summary>Run-queue waiting time from /proc/*/task/*/schedstat (run ns, wait ns, timeslices).</summary>
internal static class SchedStat
{
    /// <summary>Each thread's wait time so far under <paramref name="taskDirectory"/>, in nanoseconds, by thread id.</summary>
    public static Dictionary<int, long> WaitSnapshot(string taskDirectory)
    {
        var waits = new Dictionary<int, long>();
        try
        {
            foreach (string task in Directory.EnumerateDirectories(taskDirectory))
            {
                try
                {
                    string[] fields = File.ReadAllText(Path.Combine(task, "schedstat")).Split(' ');
                    waits[int.Parse(Path.GetFileName(task), CultureInfo.InvariantCulture)] = long.Parse(fields[1], CultureInfo.InvariantCulture);
                }
                catch (IOException)
                {
                    // The thread ended meanwhile.
                }
            }
        }
        catch (IOException)
        {
            // The process ended.
        }

        return waits;
    }

    /// <summary>
    /// The wait time, in seconds, that the threads alive now accumulated since <paramref name="before"/> (threads born
    /// since count from 0). Threads that ended meanwhile drop out instead of making the sum go negative.
    /// </summary>
    public static double WaitSecondsSince(Dictionary<int, long> before, Dictionary<int, long> after)
    {
        long total = 0;
        foreach ((int tid, long wait) in after) total += wait - before.GetValueOrDefault(tid);
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
