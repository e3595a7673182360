namespace Actors.Io.Sample.Tests.Support;

/// <summary>Bounded polling for what the cluster makes true a little later (membership, pub/sub gossip, death watch).</summary>
internal static class Eventually
{
    /// <summary>Runs <paramref name="attempt"/> until <paramref name="done"/> holds of its result or <paramref name="timeout"/> passes.</summary>
    public static async Task<T> MatchAsync<T>(Func<Task<T>> attempt, Func<T, bool> done, TimeSpan timeout, string what)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        T last;
        while (true)
        {
            last = await attempt();
            if (done(last)) return last;
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{what}: still {last} after {timeout}");
            await Task.Delay(100);
        }
    }

    /// <summary>Sends a command until it answers <paramref name="expected"/>.</summary>
    public static Task<string> AnswersAsync(ChatTestClient client, string command, string expected, TimeSpan? timeout = null) =>
        MatchAsync(() => client.CommandAsync(command), line => line == expected, timeout ?? TimeSpan.FromSeconds(20), $"'{command}' answering '{expected}'");

    /// <summary>
    /// Waits until a message from <paramref name="sender"/> reaches every one of <paramref name="receivers"/>: distributed
    /// pub/sub learns a room's subscribers on another node by gossip, a moment after they join. Sends numbered probes
    /// (lines that carry <see cref="ChatTestClient.ProbeMarker"/>) until each receiver has seen one.
    /// </summary>
    public static async Task RoomLinkedAsync(ChatTestClient sender, params ChatTestClient[] receivers)
    {
        DateTime deadline = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        var waiting = receivers.ToList();
        for (int n = 0; waiting.Count > 0; n++)
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"{sender.Nick}'s messages did not reach {string.Join(", ", waiting.Select(w => w.Nick))}");
            string probe = $"{ChatTestClient.ProbeMarker}{n}";
            await sender.SendLineAsync(probe);
            foreach (ChatTestClient receiver in waiting.ToList())
            {
                DateTime until = DateTime.UtcNow + TimeSpan.FromMilliseconds(300);
                while (DateTime.UtcNow < until && await receiver.ReadRawLineAsync(until - DateTime.UtcNow) is { } line)
                {
                    if (line.EndsWith(": " + probe, StringComparison.Ordinal))
                    {
                        waiting.Remove(receiver);
                        break;
                    }

                    Assert.Contains(ChatTestClient.ProbeMarker, line);
                }
            }
        }
    }
}
