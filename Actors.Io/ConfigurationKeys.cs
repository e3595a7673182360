using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Actors.Io;

/// <summary>
/// Finds the keys set under a section that the reference configuration does not know, and the known key each one is
/// most likely a typo of.
/// </summary>
internal static class ConfigurationKeys
{
    /// <summary>
    /// Sections whose keys Akka reads, not Actors.Io: anything Akka accepts there is allowed. <c>compact-mailbox</c> is
    /// a mailbox configuration (Akka reads <c>mailbox-type</c>, <c>mailbox-capacity</c>, <c>stash-capacity</c>,
    /// <c>mailbox-push-timeout-time</c> and whatever the mailbox type itself reads). <c>loop-dispatcher</c> is not
    /// here: Akka never reads it (the loops' dispatchers are built in code), so only its <c>throughput</c> is known.
    /// </summary>
    private static readonly string[] ReadByAkka = ["compact-mailbox"];

    /// <summary>
    /// Keys (relative paths) set under <paramref name="section"/> in <paramref name="config"/>, any layer of its fallback
    /// chain, that are not in <paramref name="reference"/>'s <paramref name="section"/>, sorted, each with the nearest
    /// known key (relative) or null when none is close.
    /// </summary>
    public static List<(string Key, string? Nearest)> Unknown(Config config, Config reference, string section)
    {
        var known = new HashSet<string>(StringComparer.Ordinal);
        var knownLeaves = new List<string>();
        foreach (string path in Paths(reference, section, includeObjects: true))
        {
            if (known.Add(path) && !IsObject(reference, section, path)) knownLeaves.Add(path);
        }

        var unknown = new List<(string, string?)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (string path in Paths(config, section, includeObjects: false))
        {
            if (known.Contains(path) || !seen.Add(path) || Array.Exists(ReadByAkka, s => path.StartsWith(s + ".", StringComparison.Ordinal))) continue;
            unknown.Add((path, Nearest(path, knownLeaves)));
        }

        // Sorted: HOCON does not keep the order keys were written in, and a stable message is easier to act on.
        unknown.Sort((x, y) => string.CompareOrdinal(x.Item1, y.Item1));
        return unknown;
    }

    /// <summary>The known key most likely meant by <paramref name="key"/>, or null when none is close enough.</summary>
    internal static string? Nearest(string key, IReadOnlyList<string> known)
    {
        string leaf = Leaf(key, out string parent);
        int limit = Math.Clamp(leaf.Length / 4, 1, 4);
        string? best = null;
        int bestScore = int.MaxValue;
        foreach (string candidate in known)
        {
            // The whole path, or the last segment alone (a key put in the wrong section costs one more).
            string candidateLeaf = Leaf(candidate, out string candidateParent);
            int score = Math.Min(
                Distance(key, candidate),
                Distance(leaf, candidateLeaf) + (parent == candidateParent ? 0 : 1));
            if (score < bestScore)
            {
                bestScore = score;
                best = candidate;
            }
        }

        return bestScore <= limit ? best : null;
    }

    /// <summary>Damerau-Levenshtein distance (optimal string alignment): insertions, deletions, substitutions and swaps of neighbours.</summary>
    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                int value = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + cost);
                if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1]) value = Math.Min(value, d[i - 2, j - 2] + 1);
                d[i, j] = value;
            }
        }

        return d[a.Length, b.Length];
    }

    private static string Leaf(string path, out string parent)
    {
        int dot = path.LastIndexOf('.');
        parent = dot < 0 ? string.Empty : path[..dot];
        return dot < 0 ? path : path[(dot + 1)..];
    }

    private static bool IsObject(Config config, string section, string path)
    {
        HoconValue? value = config.GetValue($"{section}.{path}");
        return value is not null && value.IsObject();
    }

    /// <summary>
    /// The relative paths under <paramref name="section"/> of every layer of <paramref name="config"/>: its leaves (an
    /// empty object counts as one), and with <paramref name="includeObjects"/> the objects on the way too.
    /// </summary>
    private static IEnumerable<string> Paths(Config config, string section, bool includeObjects)
    {
        for (Config? layer = config; layer is not null; layer = layer.Fallback)
        {
            HoconValue? root = layer.Root;
            if (root is null || !root.IsObject()) continue;
            HoconValue? sectionValue = root.GetObject().GetKey(section);
            if (sectionValue is null || !sectionValue.IsObject()) continue;
            foreach (string path in Walk(sectionValue.GetObject(), string.Empty, includeObjects)) yield return path;
        }
    }

    private static IEnumerable<string> Walk(HoconObject obj, string prefix, bool includeObjects)
    {
        foreach (KeyValuePair<string, HoconValue> item in obj.Items)
        {
            string path = prefix + item.Key;
            if (item.Value.IsObject() && item.Value.GetObject().Items.Count > 0)
            {
                if (includeObjects) yield return path;
                foreach (string inner in Walk(item.Value.GetObject(), path + ".", includeObjects)) yield return inner;
            }
            else
            {
                yield return path;
            }
        }
    }
}
