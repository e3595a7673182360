using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>The socket file a listener creates: removed however the listener ends, a stale one (also one left by a
/// process killed with SIGKILL) replaced only on request, and nothing the listener did not create ever deleted.</summary>
public sealed class UnixSocketFileTests(ITestOutputHelper output) : LoopbackTestKit(output)
{
    [Fact]
    public void Unbind_removes_the_socket_file_it_created()
    {
        string path = SocketPath();
        (EndPoint bound, IActorRef listener) = BindTo(SocketFile(), TestActor);
        Assert.Equal(path, bound.ToString());
        Assert.True(File.Exists(path));

        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        Assert.False(File.Exists(path), "the socket file outlived Unbind");

        // The path is free again.
        BindTo(SocketFile(), TestActor);
    }

    [Fact]
    public void The_death_of_the_bind_handler_removes_the_socket_file()
    {
        string path = SocketPath();
        TestProbe handler = CreateTestProbe();
        (_, IActorRef listener) = BindTo(SocketFile(), handler);
        Watch(listener);

        Sys.Stop(handler);
        ExpectTerminated(listener, TestWaits.Expect);
        AwaitTrue(() => !File.Exists(path), "the socket file is removed");
    }

    [Fact]
    public async Task Actor_system_shutdown_removes_the_socket_file()
    {
        string path = SocketPath();
        ActorSystem system = ActorSystem.Create("unix-shutdown", TestConfigs.With(TestConfigs.Quiet));
        try
        {
            TestProbe probe = CreateTestProbe(system);
            system.Io().Tell(new TcpMsg.Bind(probe, SocketFile()), probe);
            probe.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect);
            Assert.True(File.Exists(path));
        }
        finally
        {
            await system.Terminate().WaitAsync(TestWaits.Expect);
        }

        Assert.False(File.Exists(path), "the socket file outlived the actor system");
    }

    [Fact]
    public void A_stale_socket_file_fails_the_bind_naming_the_option_and_is_left_alone()
    {
        string path = SocketPath();
        LeaveStaleSocketFile(path);

        var failed = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile()));
        var cause = Assert.IsType<SocketException>(failed.Cause);
        Assert.Equal(SocketError.AddressAlreadyInUse, cause.SocketErrorCode);
        Assert.Contains($"the file {path} already exists", cause.Message);
        Assert.Contains("Tcp.SO.ReplaceStaleSocketFile", cause.Message);
        Assert.True(File.Exists(path));
    }

    [Fact]
    public void ReplaceStaleSocketFile_replaces_a_socket_file_nobody_listens_on()
    {
        string path = SocketPath();
        LeaveStaleSocketFile(path);

        (EndPoint bound, IActorRef listener) = BindTo(SocketFile(), TestActor, options: new TcpMsg.SO.ReplaceStaleSocketFile());
        Socket client = NewClient(AddressFamily.Unix);
        client.Connect(bound);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);

        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task The_socket_file_of_a_process_killed_with_SIGKILL_is_replaced_on_request()
    {
        string path = SocketPath();
        var start = new ProcessStartInfo(ChildProcesses.DotnetHost())
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(ChildProcesses.HostDll());
        start.ArgumentList.Add("unix-bind");
        start.ArgumentList.Add(path);
        using (Process child = Process.Start(start)!)
        {
            try
            {
                Assert.Equal("BOUND", await child.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(20)));
            }
            finally
            {
                child.Kill(); // SIGKILL: no chance to remove the file
                await child.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
        }

        Assert.True(File.Exists(path), "the killed process left no socket file");
        var plain = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile()));
        Assert.Contains($"the file {path} already exists", plain.Cause!.Message);

        (EndPoint bound, IActorRef listener) = BindTo(SocketFile(), TestActor, options: new TcpMsg.SO.ReplaceStaleSocketFile());
        Socket client = NewClient(AddressFamily.Unix);
        client.Connect(bound);
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public void A_live_listener_is_never_replaced_and_keeps_its_file()
    {
        string path = SocketPath();
        Socket live = NewClient(AddressFamily.Unix);
        live.Bind(SocketFile());
        live.Listen();

        var failed = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile(), options: [new TcpMsg.SO.ReplaceStaleSocketFile()]));
        Assert.Contains($"the file {path} is in use by a live listener", failed.Cause!.Message);
        Assert.True(File.Exists(path));

        // The probe that found it alive was one short connection, closed at once; the listener still serves the next.
        using (Socket probe = live.Accept()) AssertEof(probe);
        Socket client = NewClient(AddressFamily.Unix);
        client.Connect(SocketFile());
        using Socket accepted = live.Accept();
        client.Send("still here"u8);
        Assert.Equal("still here", System.Text.Encoding.ASCII.GetString(ReadExactly(accepted, 10)));
    }

    [Fact]
    public void A_live_Actors_Io_listener_keeps_its_file_when_a_second_bind_fails()
    {
        string path = SocketPath();
        BindTo(SocketFile(), TestActor);

        ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile()));
        ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile(), options: [new TcpMsg.SO.ReplaceStaleSocketFile()]));
        Assert.True(File.Exists(path));
        Socket client = NewClient(AddressFamily.Unix);
        client.Connect(SocketFile());
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
    }

    [Fact]
    public void A_regular_file_is_never_deleted()
    {
        string path = SocketPath();
        File.WriteAllText(path, "precious");

        var plain = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile()));
        Assert.Contains("already exists", plain.Cause!.Message);
        var replacing = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile(), options: [new TcpMsg.SO.ReplaceStaleSocketFile()]));
        Assert.Contains($"the file {path} is not a socket file; it is never deleted", replacing.Cause!.Message);
        Assert.Equal("precious", File.ReadAllText(path));
    }

    [Fact]
    public void A_symbolic_link_is_never_followed_or_deleted()
    {
        string target = SocketPath("t");
        LeaveStaleSocketFile(target);
        string link = SocketPath();
        File.CreateSymbolicLink(link, target);

        var failed = ExpectFailure(new TcpMsg.Bind(TestActor, SocketFile(), options: [new TcpMsg.SO.ReplaceStaleSocketFile()]));
        Assert.Contains("is a symbolic link", failed.Cause!.Message);
        Assert.NotNull(new FileInfo(link).LinkTarget);
        Assert.True(File.Exists(target));
    }

    [Fact]
    public void Abstract_names_leave_no_file_on_Linux_and_are_refused_elsewhere()
    {
        UnixDomainSocketEndPoint name = AbstractName();
        if (!OperatingSystem.IsLinux())
        {
            var failed = ExpectFailure(new TcpMsg.Bind(TestActor, name));
            Assert.IsType<PlatformNotSupportedException>(failed.Cause);
            Assert.Contains("only on Linux", failed.Cause!.Message);
            return;
        }

        (EndPoint bound, IActorRef listener) = BindTo(name, TestActor);
        Assert.Equal(name, bound);
        Assert.StartsWith("@aio-", bound.ToString(), StringComparison.Ordinal);
        listener.Tell(TcpMsg.Unbind.Instance);
        ExpectMsg<TcpMsg.Unbound>(TestWaits.Expect);

        // Free again at once: nothing was left on disk to clean up.
        BindTo(name, TestActor);
    }
}
