using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Actors.Io.Tests.Hosting;

/// <summary>Builds generic hosts with AddAkka for the Hosting tests; every wait is bounded by <see cref="Timeout"/>.</summary>
internal static class TestHosts
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);

    public static IHost Build(Action<AkkaConfigurationBuilder> configure, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddAkka("hosting-tests", akka =>
        {
            akka.AddHocon(ConfigurationFactory.ParseString(TestConfigs.Quiet), HoconAddMode.Append);
            configure(akka);
        });
        services?.Invoke(builder.Services);
        return builder.Build();
    }

    /// <summary>Starts a host, runs <paramref name="test"/> with its actor system, and stops the host in any case.</summary>
    public static async Task RunAsync(IHost host, Func<ActorSystem, CancellationToken, Task> test)
    {
        using var cts = new CancellationTokenSource(Timeout);
        try
        {
            await host.StartAsync(cts.Token);
            await test(host.Services.GetRequiredService<ActorSystem>(), cts.Token);
        }
        finally
        {
            using var stop = new CancellationTokenSource(Timeout);
            await host.StopAsync(stop.Token);
            host.Dispose();
        }
    }
}
