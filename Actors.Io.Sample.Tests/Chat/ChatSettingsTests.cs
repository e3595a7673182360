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
        Assert.Equal(32 * 1024, With("chat.socket-send-buffer = 32 KiB").SendBufferSize);
    }

    [Theory]
    [InlineData("chat.host = nowhere", "chat.host")]
    [InlineData("chat.port = 70000", "chat.port")]
    [InlineData("chat.max-line-bytes = 2", "chat.max-line-bytes")]
    [InlineData("chat.registry-timeout = 0s", "chat.registry-timeout")]
    [InlineData("chat.socket-send-buffer = 10", "chat.socket-send-buffer")]
    public void A_bad_value_names_its_key(string hocon, string key) =>
        Assert.StartsWith(key + " = ", Assert.Throws<ArgumentException>(() => With(hocon)).Message);
}
