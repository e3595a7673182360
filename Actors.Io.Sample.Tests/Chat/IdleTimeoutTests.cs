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

        // bob talks every 500 ms for longer than the timeout; ann hears him (receiving does not count) and says nothing.
        for (int i = 0; i < 6; i++)
        {
            await talker.SendLineAsync($"still here {i}");
            await Task.Delay(500);
        }

        string line;
        while ((line = await silent.ReadLineAsync()).StartsWith("[lobby] bob: still here", StringComparison.Ordinal))
        {
        }

        Assert.Equal("BYE idle for 2 seconds", line);
        Assert.True(await silent.EndOfStreamAsync(), "the idle client's connection was reset or stayed open");

        await Eventually.AnswersAsync(talker, "/who", "WHO lobby: bob");
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
