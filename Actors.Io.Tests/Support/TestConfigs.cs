using Akka.Configuration;

namespace Actors.Io.Tests.Support;

internal static class TestConfigs
{
    public static Config With(string hocon) => ConfigurationFactory.ParseString(hocon);

    public const string Quiet = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;

    /// <summary>The settings Akka.NET's own IO specs run with: every actor's props and every message checked for serialization.</summary>
    public const string AkkaIoSpecs = """
        akka.actor.serialize-creators = on
        akka.actor.serialize-messages = on
        """;
}
