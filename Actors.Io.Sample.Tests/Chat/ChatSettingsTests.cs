using System.Net;
using Actors.Io.Sample.Chat;
using Akka.Configuration;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class ChatSettingsTests
{
    private static ChatSettings With(string hocon) =>
        ChatSettings.FromConfig(ConfigurationFactory.ParseString(hocon).WithFallback(ChatNode.LoadConfig()));

    [Fact]
    public void The_node_configuration_gives_the_documented_defaults()
    {
        ChatSettings settings = With(string.Empty);
        Assert.Equal(IPAddress.Loopback, settings.Host);
        Assert.Equal(4000, settings.Port);
        Assert.Equal(4096, settings.MaxLineBytes);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.RegistryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), settings.RecoveryTimeout);
        Assert.Equal(TimeSpan.FromSeconds(2), settings.GoodbyeTimeout);
        Assert.Null(settings.SendBufferSize);
        Assert.Equal(1000, settings.MaxClients);
        Assert.Equal(TimeSpan.FromMinutes(30), settings.IdleTimeout);
        Assert.Equal(TimeSpan.FromSeconds(90), With("chat.idle-timeout = 90s").IdleTimeout);
        Assert.Equal(1, With("chat.max-clients = 1").MaxClients);
        Assert.Equal(32 * 1024, With("chat.socket-send-buffer = 32 KiB").SendBufferSize);
    }

    [Theory]
    [InlineData("chat.host = nowhere", "chat.host")]
    [InlineData("chat.port = 70000", "chat.port")]
    [InlineData("chat.max-line-bytes = 2", "chat.max-line-bytes")]
    [InlineData("chat.registry-timeout = 0s", "chat.registry-timeout")]
    [InlineData("chat.socket-send-buffer = 10", "chat.socket-send-buffer")]
    [InlineData("chat.max-clients = 0", "chat.max-clients")]
    [InlineData("chat.max-clients = 1000001", "chat.max-clients")]
    [InlineData("chat.idle-timeout = 0s", "chat.idle-timeout")]
    [InlineData("chat.idle-timeout = 400d", "chat.idle-timeout")]
    public void A_bad_value_names_its_key(string hocon, string key) =>
        Assert.StartsWith(key + " = ", Assert.Throws<ArgumentException>(() => With(hocon)).Message);

    [Fact]
    public void A_bad_max_clients_says_the_range() =>
        Assert.Equal(
            "chat.max-clients = -5 is not allowed: use 1 to 1000000",
            Assert.Throws<ArgumentException>(() => With("chat.max-clients = -5")).Message);
}
