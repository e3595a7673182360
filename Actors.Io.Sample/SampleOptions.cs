using System.Globalization;
using System.Net;

namespace Actors.Io.Sample;

/// <summary>The sample's command line: <c>chat</c> (the default) or <c>echo</c>, with their options.</summary>
internal sealed record SampleOptions(
    string Mode,
    IPAddress? Host,
    int? Port,
    int? ClusterPort,
    IReadOnlyList<DnsEndPoint> Seeds,
    string? ConfigPath,
    bool Help,
    int? MaxClients = null,
    Tcp.ReceiveMode Receive = Tcp.ReceiveMode.Copied,
    string? TlsCertificate = null,
    string? TlsKey = null,
    string? TlsPassword = null)
{
    public const string Usage = """
        usage: Actors.Io.Sample [chat] [--port P] [--cluster-port C] [--host H] [--seed HOST:PORT ...] [--max-clients N]
                                [--config FILE]
                                [--tls-cert FILE [--tls-key FILE | --tls-password X]]
               Actors.Io.Sample echo [--port P] [--host H] [--receive copied|leased] [--tls-cert FILE [--tls-key FILE | --tls-password X]]

          chat                  a chat node (the default): clients connect with nc or telnet, nodes form an Akka.NET cluster
            --port P            chat port, 0 to 65535 (default 4000; 0 picks a free one)
            --cluster-port C    cluster (Akka.Remote) port, 0 to 65535 (default 4053)
            --host H            IP address for both, reachable by the other nodes (default 127.0.0.1)
            --seed HOST:PORT    the cluster port of a node to join; repeat or list several (default: none, the node
                                seeds itself and others join it)
            --max-clients N     clients served at once, 1 to 1000000 (default 1000); one more gets "ERR server full"
            --tls-cert FILE     serve the chat over TLS (as for echo, below)
            --config FILE       the node's HOCON (default HOCON/chat-node.conf beside the program); options win over it
          echo                  a TCP echo server: every byte comes back in order
            --port P            default 4000
            --host H            default 127.0.0.1
            --receive M         copied (default: each read copied into a ByteString) or leased (pooled buffers lent to
                                the handler and written back without a copy; see "Zero-copy receive" in the README)
            --tls-cert FILE     serve TLS with this certificate: a PEM file with --tls-key FILE (its PEM private
                                key), or a PKCS#12 file (.pfx, .p12) with --tls-password X if it has one
          --help                this text
        """;

    /// <summary>Parses the arguments; a bad one throws an <see cref="ArgumentException"/> that says what is wrong.</summary>
    public static SampleOptions Parse(IReadOnlyList<string> args)
    {
        string mode = "chat";
        IPAddress? host = null;
        int? port = null;
        int? clusterPort = null;
        var seeds = new List<DnsEndPoint>();
        string? config = null;
        int? maxClients = null;
        Tcp.ReceiveMode receive = Tcp.ReceiveMode.Copied;
        string? tlsCertificate = null, tlsKey = null, tlsPassword = null;
        int i = 0;
        if (args.Count > 0 && !args[0].StartsWith('-'))
        {
            mode = args[0];
            i = 1;
            if (mode is not ("chat" or "echo")) throw new ArgumentException($"unknown mode '{mode}' (chat or echo)");
        }

        for (; i < args.Count; i++)
        {
            string name = args[i];
            if (name is "--help" or "-h") return new SampleOptions(mode, host, port, clusterPort, seeds, config, Help: true);
            if (mode == "echo" && name is "--cluster-port" or "--seed" or "--config" or "--max-clients") throw new ArgumentException($"{name} is a chat option");
            if (mode == "chat" && name is "--receive") throw new ArgumentException($"{name} is an echo option");
            string value = i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)
                ? args[++i]
                : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--port":
                    port = ParsePort(name, value);
                    break;
                case "--cluster-port":
                    clusterPort = ParsePort(name, value);
                    break;
                case "--host":
                    host = IPAddress.TryParse(value, out IPAddress? parsed) ? parsed : throw new ArgumentException($"bad --host '{value}': an IP address");
                    break;
                case "--seed":
                    seeds.Add(ParseSeed(value));
                    while (i + 1 < args.Count && !args[i + 1].StartsWith("--", StringComparison.Ordinal)) seeds.Add(ParseSeed(args[++i]));
                    break;
                case "--config":
                    config = value;
                    break;
                case "--max-clients":
                    maxClients = int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int max) && max is >= 1 and <= Chat.ChatSettings.MaxClientsLimit
                        ? max
                        : throw new ArgumentException($"bad --max-clients '{value}': 1 to {Chat.ChatSettings.MaxClientsLimit}");
                    break;
                case "--tls-cert":
                    tlsCertificate = value;
                    break;
                case "--tls-key":
                    tlsKey = value;
                    break;
                case "--tls-password":
                    tlsPassword = value;
                    break;
                case "--receive":
                    receive = value switch
                    {
                        "copied" => Tcp.ReceiveMode.Copied,
                        "leased" => Tcp.ReceiveMode.Leased,
                        _ => throw new ArgumentException($"bad --receive '{value}': copied or leased"),
                    };
                    break;
                default:
                    throw new ArgumentException($"unknown option '{name}'");
            }
        }

        if (tlsCertificate is null && (tlsKey ?? tlsPassword) is not null) throw new ArgumentException("--tls-key and --tls-password need --tls-cert");
        if (tlsKey is not null && tlsPassword is not null) throw new ArgumentException("--tls-key goes with a PEM certificate, --tls-password with a PKCS#12 one: not both");
        return new SampleOptions(mode, host, port, clusterPort, seeds, config, Help: false, maxClients, receive, tlsCertificate, tlsKey, tlsPassword);
    }

    private static int ParsePort(string name, string value) =>
        int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int port) && port <= 65535
            ? port
            : throw new ArgumentException($"bad {name} '{value}': 0 to 65535");

    private static DnsEndPoint ParseSeed(string value)
    {
        int colon = value.LastIndexOf(':');
        string host = colon > 0 ? value[..colon].Trim('[', ']') : string.Empty;
        if (colon <= 0
            || Uri.CheckHostName(host) == UriHostNameType.Unknown
            || !int.TryParse(value.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port)
            || port is < 1 or > 65535)
        {
            throw new ArgumentException($"bad --seed '{value}': HOST:PORT with the cluster port of a running node, e.g. 127.0.0.1:4053");
        }

        return new DnsEndPoint(host, port);
    }
}
