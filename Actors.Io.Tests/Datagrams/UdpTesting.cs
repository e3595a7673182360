namespace Actors.Io.Tests.Datagrams;

/// <summary>What the UDP tests share: the bounded wait and the loopback addresses every round trip runs on.</summary>
internal static class UdpTesting
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    public static TheoryData<string> Loopbacks => new() { "127.0.0.1", "::1" };
}
