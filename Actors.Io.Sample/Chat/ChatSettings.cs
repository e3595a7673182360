using System.Net;
using Akka.Configuration;

namespace Actors.Io.Sample.Chat;

/// <summary>The <c>chat</c> section of a node's configuration (see <c>HOCON/chat-node.conf</c>).</summary>
internal sealed record ChatSettings(
    IPAddress Host,
    int Port,
    int MaxLineBytes,
    TimeSpan RegistryTimeout,
    TimeSpan RecoveryTimeout,
    TimeSpan GoodbyeTimeout,
    int? SendBufferSize,
    int MaxClients,
    TimeSpan IdleTimeout)
{
    /// <summary>The highest <c>chat.max-clients</c> allowed.</summary>
    public const int MaxClientsLimit = 1_000_000;

    /// <summary>Reads and checks the <c>chat</c> section; a bad value throws naming the key.</summary>
    public static ChatSettings FromConfig(Config config)
    {
        Config chat = config.GetConfig("chat") ?? throw new ArgumentException("the configuration has no 'chat' section");
        string hostText = chat.GetString("host", "127.0.0.1");
        if (!IPAddress.TryParse(hostText, out IPAddress? host)) throw Bad("host", hostText, "an IP address");
        int port = chat.GetInt("port", 4000);
        if (port is < 0 or > 65535) throw Bad("port", port, "0 to 65535");
        long maxLine = chat.GetByteSize("max-line-bytes") ?? 4096;
        if (maxLine is < 16 or > 1024 * 1024) throw Bad("max-line-bytes", maxLine, "16 B to 1 MiB");
        TimeSpan registryTimeout = Positive(chat, "registry-timeout", TimeSpan.FromSeconds(5));
        TimeSpan recoveryTimeout = Positive(chat, "recovery-timeout", TimeSpan.FromSeconds(3));
        TimeSpan goodbyeTimeout = Positive(chat, "goodbye-timeout", TimeSpan.FromSeconds(2));
        int? sendBuffer = null;
        if (chat.HasPath("socket-send-buffer") && chat.GetString("socket-send-buffer") is { } text && text != "default")
        {
            long bytes = chat.GetByteSize("socket-send-buffer") ?? 0;
            if (bytes is < 1024 or > 64 * 1024 * 1024) throw Bad("socket-send-buffer", text, "default or 1 KiB to 64 MiB");
            sendBuffer = (int)bytes;
        }

        int maxClients = chat.GetInt("max-clients", 1000);
        if (maxClients is < 1 or > MaxClientsLimit) throw Bad("max-clients", maxClients, $"1 to {MaxClientsLimit}");

        TimeSpan idleTimeout = Positive(chat, "idle-timeout", TimeSpan.FromMinutes(30));
        if (idleTimeout > Actors.Io.Tcp.IdleTimeout.MaxTimeout) throw Bad("idle-timeout", idleTimeout, "a positive duration up to 365 days");

        return new ChatSettings(host, port, (int)maxLine, registryTimeout, recoveryTimeout, goodbyeTimeout, sendBuffer, maxClients, idleTimeout);
    }

    private static TimeSpan Positive(Config chat, string key, TimeSpan fallback)
    {
        TimeSpan value = chat.GetTimeSpan(key, fallback, allowInfinite: false);
        return value > TimeSpan.Zero ? value : throw Bad(key, value, "a positive duration");
    }

    private static ArgumentException Bad(string key, object value, string allowed) =>
        new($"chat.{key} = {value} is not allowed: use {allowed}");
}
