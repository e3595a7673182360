using Akka.Configuration;

namespace Actors.Io.Tests.Support;

internal static class TestConfigs
{
    public static Config With(string hocon) => ConfigurationFactory.ParseString(hocon);

    public const string Quiet = """
        akka.loglevel = WARNING
        akka.stdout-loglevel = WARNING
        """;
}
