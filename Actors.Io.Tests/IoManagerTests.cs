using Actors.Io.Tests.Support;
using Akka.Actor;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests;

/// <summary>The IoManager takes Bind and Connect; any other command is answered with CommandFailed.</summary>
public sealed class IoManagerTests(ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet), output: output)
{
    [Fact]
    public void A_command_for_a_connection_or_listener_sent_to_the_manager_fails()
    {
        TcpMsg.Command[] commands = [new TcpMsg.Register(TestActor), TcpMsg.Unbind.Instance, new TcpMsg.ResumeAccepting(1), TcpMsg.Close.Instance];
        foreach (TcpMsg.Command command in commands)
        {
            Sys.Io().Tell(command);
            var failed = ExpectMsg<TcpMsg.CommandFailed>();
            Assert.Same(command, failed.Cmd);
            var cause = Assert.IsType<NotSupportedException>(failed.Cause);
            Assert.Contains(command.GetType().Name, cause.Message);
        }
    }
}
