using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Hosting;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Hosting;

public sealed class WithActorsIoTests
{
    private static readonly ActorsIoSettings Reference = ActorsIoSettings.Create(ActorsIo.ReferenceConfig);

    [Fact]
    public async Task Options_are_in_the_settings_and_unset_keys_keep_the_reference_defaults()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo(io =>
        {
            io.NrOfSelectors = 2;
            io.Tcp.MaxReceivedMessageSize = 4096;
            io.Tcp.RegisterTimeout = TimeSpan.FromMilliseconds(750);
        }));

        await TestHosts.RunAsync(host, async (system, ct) =>
        {
            ActorsIoSettings settings = ActorsIo.Get(system).Settings;
            Assert.Equal(2, settings.NrOfSelectors);
            Assert.Equal(4096, settings.Tcp.MaxReceivedMessageSize);
            Assert.Equal(TimeSpan.FromMilliseconds(750), settings.Tcp.RegisterTimeout);
            Assert.Equal(2, ActorsIo.Get(system).LoopDispatcherIds.Count);
            AssertReferenceDefaults(settings);

            // Registered under the marker type, in the registry and for IRequiredActor<T>.
            IActorRef manager = ActorsIo.Get(system).Manager;
            Assert.Equal(manager, ActorRegistry.For(system).Get<ActorsIoManager>());
            var required = host.Services.GetRequiredService<IRequiredActor<ActorsIoManager>>();
            Assert.Equal(manager, await required.GetAsync(ct));
            Assert.Equal(manager, system.Io());
        });
    }

    [Fact]
    public async Task Raw_hocon_overload_overrides_the_reference()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo("""
            actors-io {
              nr-of-selectors = 3
              tcp.register-timeout = 1500ms
              tcp.max-pending-write-bytes = 64 KiB
            }
            """));

        await TestHosts.RunAsync(host, (system, _) =>
        {
            ActorsIoSettings settings = ActorsIo.Get(system).Settings;
            Assert.Equal(3, settings.NrOfSelectors);
            Assert.Equal(TimeSpan.FromMilliseconds(1500), settings.Tcp.RegisterTimeout);
            Assert.Equal(64 * 1024, settings.Tcp.MaxPendingWriteBytes);
            Assert.Equal(Reference.Tcp.MaxReceivedMessageSize, settings.Tcp.MaxReceivedMessageSize);
            Assert.Equal(Reference.MaxChannels, settings.MaxChannels);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Options_win_over_earlier_hocon_which_keeps_the_keys_they_leave_unset()
    {
        IHost host = TestHosts.Build(akka => akka
            .AddHocon(ConfigurationFactory.ParseString("actors-io { max-channels = 10, max-events-per-wait = 128 }"), HoconAddMode.Append)
            .WithActorsIo(io => io.MaxChannels = 20));

        await TestHosts.RunAsync(host, (system, _) =>
        {
            ActorsIoSettings settings = ActorsIo.Get(system).Settings;
            Assert.Equal(20, settings.MaxChannels);
            Assert.Equal(128, settings.MaxEventsPerWait);
            Assert.Equal(Reference.NrOfSelectors, settings.NrOfSelectors);
            return Task.CompletedTask;
        });
    }

    [Fact]
    public async Task Without_options_every_key_keeps_its_reference_default()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo().WithActorsIo());

        await TestHosts.RunAsync(host, async (system, ct) =>
        {
            ActorsIoSettings settings = ActorsIo.Get(system).Settings;
            Assert.Equal(Reference.NrOfSelectors, settings.NrOfSelectors);
            Assert.Equal(Reference.Tcp.MaxReceivedMessageSize, settings.Tcp.MaxReceivedMessageSize);
            Assert.Equal(Reference.Tcp.RegisterTimeout, settings.Tcp.RegisterTimeout);
            AssertReferenceDefaults(settings);
            Assert.Equal(system.Io(), await host.Services.GetRequiredService<IRequiredActor<ActorsIoManager>>().GetAsync(ct));
        });
    }

    [Fact]
    public async Task A_service_binds_through_the_required_manager_and_a_socket_client_is_echoed()
    {
        IHost host = TestHosts.Build(
            akka => akka.WithActorsIo(io => io.Tcp.RegisterTimeout = TimeSpan.FromSeconds(5)),
            services => services.AddSingleton<EchoListenerService>().AddHostedService(sp => sp.GetRequiredService<EchoListenerService>()));

        await TestHosts.RunAsync(host, async (_, ct) =>
        {
            var service = host.Services.GetRequiredService<EchoListenerService>();
            TcpMsg.Bound bound = await service.Bound.WaitAsync(ct);
            int port = ((IPEndPoint)bound.LocalAddress).Port;
            Assert.NotEqual(0, port);

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port), ct);
            byte[] message = Encoding.ASCII.GetBytes("hello through Akka.Hosting");
            await client.SendAsync(message, SocketFlags.None, ct);

            var echoed = new byte[message.Length];
            for (int read = 0; read < echoed.Length;)
            {
                int n = await client.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, ct);
                Assert.NotEqual(0, n);
                read += n;
            }

            Assert.Equal(message, echoed);

            // Our half-close: the handler (kept open on PeerClosed) closes, and we read the end of the stream.
            client.Shutdown(SocketShutdown.Send);
            Assert.Equal(0, await client.ReceiveAsync(new byte[16], SocketFlags.None, ct));
        });
    }

    [Fact]
    public async Task A_bad_option_fails_the_host_start_naming_the_key()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo(io => io.NrOfSelectors = 0));
        await AssertStartFailsAsync(host, "actors-io.nr-of-selectors", "0");
    }

    [Fact]
    public async Task A_bad_raw_hocon_value_fails_the_host_start_naming_the_key()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo("actors-io.tcp.register-timeout = 0ms"));
        await AssertStartFailsAsync(host, "actors-io.tcp.register-timeout", "0ms");
    }

    private static async Task AssertStartFailsAsync(IHost host, string key, string value)
    {
        using var cts = new CancellationTokenSource(TestHosts.Timeout);
        try
        {
            var error = await Assert.ThrowsAsync<ActorsIoConfigurationException>(() => host.StartAsync(cts.Token));
            Assert.Equal(key, error.Key);
            Assert.Equal(value, error.Value);
            Assert.Contains(key, error.Message, StringComparison.Ordinal);

            // The failed start shuts the actor system down.
            await host.Services.GetRequiredService<ActorSystem>().WhenTerminated.WaitAsync(cts.Token);
        }
        finally
        {
            await host.StopAsync(cts.Token);
            host.Dispose();
        }
    }

    private static void AssertReferenceDefaults(ActorsIoSettings settings)
    {
        Assert.Equal(Reference.Backend, settings.Backend);
        Assert.Equal(Reference.MaxEventsPerWait, settings.MaxEventsPerWait);
        Assert.Equal(Reference.MaxChannels, settings.MaxChannels);
        Assert.Equal(Reference.LoopThroughput, settings.LoopThroughput);
        Assert.Equal(Reference.LoopStallWarning, settings.LoopStallWarning);
        Assert.Equal(Reference.TraceLogging, settings.TraceLogging);
        Assert.Equal(Reference.Tcp.BatchAcceptLimit, settings.Tcp.BatchAcceptLimit);
        Assert.Equal(Reference.Tcp.MaxPendingWriteBytes, settings.Tcp.MaxPendingWriteBytes);
        Assert.Equal(Reference.Tcp.ReceiveBudgetPerEvent, settings.Tcp.ReceiveBudgetPerEvent);
        Assert.Equal(Reference.Tcp.MaxWritesPerSyscall, settings.Tcp.MaxWritesPerSyscall);
        Assert.Equal(Reference.Tcp.ConnectTimeout, settings.Tcp.ConnectTimeout);
        Assert.Equal(Reference.Tcp.ConnectionAttemptDelay, settings.Tcp.ConnectionAttemptDelay);
        Assert.Equal(Reference.Tcp.AcceptBackoffMin, settings.Tcp.AcceptBackoffMin);
        Assert.Equal(Reference.Tcp.AcceptBackoffMax, settings.Tcp.AcceptBackoffMax);
    }
}

/// <summary>A hosted service that gets the IoManager through <see cref="IRequiredActor{TActor}"/> and binds an echo listener.</summary>
public sealed class EchoListenerService(IRequiredActor<ActorsIoManager> io, ActorSystem system) : IHostedService
{
    private readonly TaskCompletionSource<TcpMsg.Bound> _bound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task<TcpMsg.Bound> Bound => _bound.Task;

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        IActorRef manager = await io.GetAsync(cancellationToken);
        system.ActorOf(Props.Create(() => new EchoListener(manager, _bound)), "echo-listener");
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}

/// <summary>Binds on a free loopback port, reports Bound (or the failure), and echoes every connection.</summary>
public sealed class EchoListener : ReceiveActor
{
    public EchoListener(IActorRef manager, TaskCompletionSource<TcpMsg.Bound> bound)
    {
        manager.Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0)));
        Receive<TcpMsg.Bound>(b => bound.TrySetResult(b));
        Receive<TcpMsg.CommandFailed>(failed => bound.TrySetException(new InvalidOperationException($"bind failed: {failed.Cause?.Message}")));
        Receive<TcpMsg.Connected>(_ =>
        {
            IActorRef connection = Sender;
            IActorRef handler = Context.ActorOf(Props.Create(() => new EchoConnection(connection)));
            connection.Tell(new TcpMsg.Register(handler, keepOpenOnPeerClosed: true));
        });
    }
}

/// <summary>Writes back what it receives; closes when the peer half-closes.</summary>
public sealed class EchoConnection : ReceiveActor
{
    public EchoConnection(IActorRef connection)
    {
        Receive<TcpMsg.Received>(received => connection.Tell(TcpMsg.Write.Create(received.Data)));
        Receive<TcpMsg.PeerClosed>(_ => connection.Tell(TcpMsg.Close.Instance));
        Receive<TcpMsg.ConnectionClosed>(_ => Context.Stop(Self));
    }
}
