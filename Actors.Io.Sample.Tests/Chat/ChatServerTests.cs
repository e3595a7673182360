using Actors.Io.Sample.Chat;
using Akka.Actor;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class ChatServerTests() : Akka.TestKit.Xunit2.TestKit(ChatNode.LoadConfig().WithFallback(ActorsIo.ReferenceConfig))
{
    [Fact]
    public void The_session_report_comes_in_parts_that_fit_a_remote_message()
    {
        ChatSettings settings = ChatSettings.FromConfig(Sys.Settings.Config) with { Port = 0 };
        IActorRef server = Sys.ActorOf(ChatServer.Props(settings, CreateTestProbe().Ref, CreateTestProbe().Ref, "test"));
        const int Sessions = 2 * SessionsReport.MaxEntries + 88;
        for (int i = 0; i < Sessions; i++) server.Tell(new ChatServer.SessionState($"guest-{i}", "lobby"), CreateTestProbe().Ref);

        server.Tell(ReportSessions.Instance, TestActor);
        var parts = new[] { ExpectMsg<SessionsReport>(), ExpectMsg<SessionsReport>(), ExpectMsg<SessionsReport>() };
        Assert.Equal([SessionsReport.MaxEntries, SessionsReport.MaxEntries, 88], parts.Select(p => p.Sessions.Count));
        Assert.Equal([false, false, true], parts.Select(p => p.Last));
        Assert.Equal(Sessions, parts.SelectMany(p => p.Sessions).Select(s => s.Nick).Distinct().Count());

        // A node without sessions still answers, with one empty last part.
        IActorRef empty = Sys.ActorOf(ChatServer.Props(settings, CreateTestProbe().Ref, CreateTestProbe().Ref, "test"));
        empty.Tell(ReportSessions.Instance, TestActor);
        Assert.True(ExpectMsg<SessionsReport>() is { Sessions.Count: 0, Last: true });
    }
}
