using System.Net;

namespace Actors.Io.Sample;

/// <summary>The sample's command line.</summary>
internal sealed record SampleOptions(string Mode, IPAddress Host, int Port)
{
    public const string Usage = """
        usage: Actors.Io.Sample [echo] [--port P] [--host H]
          echo        a TCP echo server (the default for now)
          --port P    port to listen on, 0 to 65535 (default 4000; 0 picks a free one)
          --host H    address to listen on (default 127.0.0.1)
        """;

    public static SampleOptions Parse(string[] args)
    {
        string mode = "echo";
        IPAddress host = IPAddress.Loopback;
        int port = 4000;
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith('-'))
        {
            mode = args[0];
            i = 1;
            if (mode != "echo") throw new ArgumentException($"unknown mode '{mode}'");
        }

        for (; i < args.Length; i++)
        {
            string name = args[i];
            string value = i + 1 < args.Length ? args[++i] : throw new ArgumentException($"{name} needs a value");
            switch (name)
            {
                case "--port":
                    if (!int.TryParse(value, out port) || port is < 0 or > 65535) throw new ArgumentException($"bad port '{value}'");
                    break;
                case "--host":
                    if (!IPAddress.TryParse(value, out IPAddress? parsed)) throw new ArgumentException($"bad host '{value}' (an IP address)");
                    host = parsed;
                    break;
                default:
                    throw new ArgumentException($"unknown option '{name}'");
            }
        }

        return new SampleOptions(mode, host, port);
    }
}
