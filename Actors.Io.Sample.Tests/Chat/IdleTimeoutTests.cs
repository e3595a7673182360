using Actors.Io.Sample.Chat;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>A client that sends nothing for <c>chat.idle-timeout</c> is told why and closed; one that talks stays.</summary>
public sealed class IdleTimeoutTests
{
    [Fact]
    public async Task A_silent_client_gets_bye_idle_and_an_orderly_close_while_a_talking_one_stays()
    {
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.idle-timeout = 2s");
        ChatTestNode node = cluster[0];
        using ChatTestClient silent = await ChatTestClient.ConnectAsync(node.Chat, "ann");
        using ChatTestClient talker = await ChatTestClient.ConnectAsync(node.Chat, "bob");

        // bob talks every 500 ms; ann hears each message (receiving does not count as activity) and says nothing.
        var started = DateTime.UtcNow;
        for (int i = 0; i < 5; i++)
        {
            await talker.SendLineAsync($"still here {i}");
            Assert.Equal($"[lobby] bob: still here {i}", await silent.ReadLineAsync());
            await Task.Delay(500);
        }

        Assert.Equal("BYE idle for 2 seconds", await silent.ReadLineAsync());
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(2), "dropped before chat.idle-timeout");
        Assert.True(await silent.EndOfStreamAsync(), "the idle client's connection was reset or stayed open");

        Assert.Equal("WHO lobby: bob", await talker.CommandAsync("/who"));
    }

    [Theory]
    [InlineData(30 * 60, "30 minutes")]
    [InlineData(60, "1 minute")]
    [InlineData(2 * 3600, "2 hours")]
    [InlineData(86400, "1 day")]
    [InlineData(45, "45 seconds")]
    public void The_goodbye_names_the_timeout_in_its_largest_whole_unit(int seconds, string words) =>
        Assert.Equal($"BYE idle for {words}", ChatText.IdleBye(TimeSpan.FromSeconds(seconds)));

    [Fact]
    public void A_fraction_of_a_second_is_said_in_milliseconds() =>
        Assert.Equal("BYE idle for 1500 ms", ChatText.IdleBye(TimeSpan.FromMilliseconds(1500)));
}
