using Actors.Io.Hosting;
using Actors.Io.Tests.Hosting;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.Configuration;
using Akka.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Actors.Io.Tests.Configuration;

public sealed class UnknownKeyTests
{
    private const string Extensions = "akka.extensions = [\"Actors.Io.ActorsIoProvider, Actors.Io\"]\n";

    private static ActorsIoConfigurationException CreateFails(string hocon) =>
        Assert.Throws<ActorsIoConfigurationException>(
            () => ActorsIoSettings.Create(ConfigurationFactory.ParseString(hocon).WithFallback(ActorsIo.ReferenceConfig)));

    [Theory]
    [InlineData("actors-io.nr-of-selector = 2", "actors-io.nr-of-selector", "2", "actors-io.nr-of-selectors")]
    [InlineData("actors-io.tcp.max-recieved-message-size = 1 MiB", "actors-io.tcp.max-recieved-message-size", "1 MiB", "actors-io.tcp.max-received-message-size")]
    [InlineData("actors-io.max-recieved-message-size = 1 MiB", "actors-io.max-recieved-message-size", "1 MiB", "actors-io.tcp.max-received-message-size")]
    [InlineData("actors-io.udp { max-queued-send = 5 }", "actors-io.udp.max-queued-send", "5", "actors-io.udp.max-queued-sends")]
    [InlineData("actors-io.loop-dispatcher.througput = 8", "actors-io.loop-dispatcher.througput", "8", "actors-io.loop-dispatcher.throughput")]
    [InlineData("actors-io.tcp.idle-timeout.readr = 1s", "actors-io.tcp.idle-timeout.readr", "1s", "actors-io.tcp.idle-timeout.reader")]
    [InlineData("actors-io.tcp.close-linger-max-byte = 1 MiB", "actors-io.tcp.close-linger-max-byte", "1 MiB", "actors-io.tcp.close-linger-max-bytes")]
    public void A_typo_fails_naming_the_key_and_the_key_it_likely_meant(string hocon, string key, string value, string nearest)
    {
        ActorsIoConfigurationException e = CreateFails(hocon);
        Assert.Equal(key, e.Key);
        Assert.Equal(value, e.Value);
        Assert.Equal([new UnknownConfigurationKey(key, nearest)], e.UnknownKeys);
        Assert.Contains($"Unknown configuration key {key} (did you mean {nearest}?)", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_key_far_from_every_known_key_fails_with_no_suggestion()
    {
        ActorsIoConfigurationException e = CreateFails("actors-io.completely-unrelated-setting = yes");
        Assert.Equal([new UnknownConfigurationKey("actors-io.completely-unrelated-setting", null)], e.UnknownKeys);
        Assert.Contains("actors-io.completely-unrelated-setting.", e.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("did you mean", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Several_unknown_keys_are_listed_in_one_message()
    {
        ActorsIoConfigurationException e = CreateFails("""
            actors-io {
              nr-of-selector = 2
              tcp.register-timout = 1s
              zzz = 1
              tcp.connect-timeout = 2s
            }
            """);
        Assert.Equal(
            [
                new UnknownConfigurationKey("actors-io.nr-of-selector", "actors-io.nr-of-selectors"),
                new UnknownConfigurationKey("actors-io.tcp.register-timout", "actors-io.tcp.register-timeout"),
                new UnknownConfigurationKey("actors-io.zzz", null),
            ],
            e.UnknownKeys);
        Assert.Contains(
            "Unknown configuration keys: actors-io.nr-of-selector (did you mean actors-io.nr-of-selectors?), "
            + "actors-io.tcp.register-timout (did you mean actors-io.tcp.register-timeout?), actors-io.zzz.",
            e.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_keys_in_any_layer_of_the_fallback_chain_are_found()
    {
        Config config = ConfigurationFactory.ParseString("actors-io.nr-of-selectors = 2")
            .WithFallback(ConfigurationFactory.ParseString("actors-io.tcp.batch-acept-limit = 3"))
            .WithFallback(ActorsIo.ReferenceConfig);
        ActorsIoConfigurationException e = Assert.Throws<ActorsIoConfigurationException>(() => ActorsIoSettings.Create(config));
        Assert.Equal([new UnknownConfigurationKey("actors-io.tcp.batch-acept-limit", "actors-io.tcp.batch-accept-limit")], e.UnknownKeys);
    }

    [Fact]
    public void Keys_akka_reads_in_the_mailbox_section_are_not_refused()
    {
        // compact-mailbox is a mailbox configuration: Akka reads keys there that the reference does not set.
        ActorsIoSettings settings = ActorsIoSettings.Create(ConfigurationFactory.ParseString("""
            actors-io.compact-mailbox {
              mailbox-capacity = 1000
              mailbox-push-timeout-time = 10s
              stash-capacity = 10
            }
            """).WithFallback(ActorsIo.ReferenceConfig));
        Assert.Equal(1, settings.NrOfSelectors);
    }

    [Fact]
    public void A_known_key_with_a_bad_value_still_fails_as_before()
    {
        ActorsIoConfigurationException e = CreateFails("actors-io.tcp.max-received-message-size = 32 MiB");
        Assert.Equal("actors-io.tcp.max-received-message-size", e.Key);
        Assert.Equal("32 MiB", e.Value);
        Assert.Equal("a size from 256 B to 16 MiB", e.Allowed);
        Assert.Empty(e.UnknownKeys);
        Assert.Equal("Invalid configuration actors-io.tcp.max-received-message-size = 32 MiB: allowed a size from 256 B to 16 MiB.", e.Message);
    }

    [Fact]
    public void Distance_counts_a_swap_of_neighbours_as_one_edit()
    {
        Assert.Equal(1, ConfigurationKeys.Distance("recieved", "received"));
        Assert.Equal(1, ConfigurationKeys.Distance("nr-of-selector", "nr-of-selectors"));
        Assert.Equal(3, ConfigurationKeys.Distance("kitten", "sitting"));
        Assert.Equal(0, ConfigurationKeys.Distance("", ""));
    }

    [Fact]
    public async Task Akka_extensions_starts_the_extension_with_the_actor_system()
    {
        ActorSystem system = ActorSystem.Create("extensions-good", TestConfigs.With(Extensions + "actors-io.nr-of-selectors = 2\n" + TestConfigs.Quiet));
        try
        {
            Assert.True(system.HasExtension<ActorsIo>());
            Assert.Equal(2, ActorsIo.Get(system).Settings.NrOfSelectors);
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Theory]
    [InlineData("actors-io.nr-of-selector = 2", "actors-io.nr-of-selector")]
    [InlineData("actors-io.nr-of-selectors = 0", "actors-io.nr-of-selectors")]
    public void Akka_extensions_fails_actor_system_create_on_a_typo_or_a_bad_value(string hocon, string key)
    {
        ActorsIoConfigurationException e = Assert.Throws<ActorsIoConfigurationException>(
            () => ActorSystem.Create("extensions-bad", TestConfigs.With(Extensions + hocon + "\n" + TestConfigs.Quiet)));
        Assert.Equal(key, e.Key);
    }

    [Theory]
    [InlineData("README.md")]
    [InlineData("HOCON/actors-io.conf")]
    public void The_documented_akka_extensions_line_is_the_tested_one(string file)
    {
        string text = File.ReadAllText(Path.Combine(FindRoot(), file));
        Assert.Contains(Extensions.TrimEnd('\n'), text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hosting_fails_the_start_on_a_typo_in_raw_hocon()
    {
        IHost host = TestHosts.Build(akka => akka.WithActorsIo("actors-io.tcp.max-recieved-message-size = 1 MiB"));
        await AssertStartFailsAsync(host, "actors-io.tcp.max-recieved-message-size", "actors-io.tcp.max-received-message-size");
    }

    [Fact]
    public async Task Hosting_fails_the_start_on_a_typo_in_other_hocon_next_to_options()
    {
        IHost host = TestHosts.Build(akka => akka
            .AddHocon(ConfigurationFactory.ParseString("actors-io.nr-of-selector = 2"), HoconAddMode.Append)
            .WithActorsIo(io => io.MaxChannels = 20));
        await AssertStartFailsAsync(host, "actors-io.nr-of-selector", "actors-io.nr-of-selectors");
    }

    private static string FindRoot()
    {
        for (DirectoryInfo? dir = new(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "actors-io.sln"))) return dir.FullName;
        }

        throw new InvalidOperationException("actors-io.sln not found above " + AppContext.BaseDirectory);
    }

    private static async Task AssertStartFailsAsync(IHost host, string key, string nearest)
    {
        using var cts = new CancellationTokenSource(TestHosts.Timeout);
        try
        {
            var error = await Assert.ThrowsAsync<ActorsIoConfigurationException>(() => host.StartAsync(cts.Token));
            Assert.Equal([new UnknownConfigurationKey(key, nearest)], error.UnknownKeys);
            await host.Services.GetRequiredService<ActorSystem>().WhenTerminated.WaitAsync(cts.Token);
        }
        finally
        {
            await host.StopAsync(cts.Token);
            host.Dispose();
        }
    }
}
