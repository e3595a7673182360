using System.Net;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class SampleOptionsTests
{
    [Fact]
    public void No_arguments_is_a_chat_node_with_the_configured_defaults()
    {
        SampleOptions options = SampleOptions.Parse([]);
        Assert.Equal("chat", options.Mode);
        Assert.Null(options.Host);
        Assert.Null(options.Port);
        Assert.Null(options.ClusterPort);
        Assert.Empty(options.Seeds);
        Assert.Null(options.MaxClients);
    }

    [Fact]
    public void Chat_takes_max_clients_from_1_to_a_million()
    {
        Assert.Equal(50, SampleOptions.Parse(["--max-clients", "50"]).MaxClients);
        Assert.Equal(1_000_000, SampleOptions.Parse(["chat", "--max-clients", "1000000"]).MaxClients);
        Assert.Equal("bad --max-clients '0': 1 to 1000000", Assert.Throws<ArgumentException>(() => SampleOptions.Parse(["--max-clients", "0"])).Message);
    }

    [Fact]
    public void Chat_takes_ports_host_and_several_seeds()
    {
        SampleOptions options = SampleOptions.Parse(["chat", "--port", "4001", "--cluster-port", "4054", "--host", "10.0.0.5", "--seed", "127.0.0.1:4053", "node-b:4055", "--seed", "[::1]:4056"]);
        Assert.Equal(4001, options.Port);
        Assert.Equal(4054, options.ClusterPort);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), options.Host);
        Assert.Equal(["127.0.0.1:4053", "node-b:4055", "::1:4056"], options.Seeds.Select(s => $"{s.Host}:{s.Port}"));
    }

    [Fact]
    public void Echo_takes_port_and_host()
    {
        SampleOptions options = SampleOptions.Parse(["echo", "--port", "0", "--host", "127.0.0.1"]);
        Assert.Equal("echo", options.Mode);
        Assert.Equal(0, options.Port);
        Assert.Equal(Tcp.ReceiveMode.Copied, options.Receive);
    }

    [Fact]
    public void Echo_takes_leased_receive() =>
        Assert.Equal(Tcp.ReceiveMode.Leased, SampleOptions.Parse(["echo", "--receive", "leased"]).Receive);

    [Fact]
    public void Echo_takes_leased_receive_with_TLS()
    {
        SampleOptions options = SampleOptions.Parse(["echo", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--receive", "leased"]);
        Assert.Equal(Tcp.ReceiveMode.Leased, options.Receive);
        Assert.Equal("c.pem", options.TlsCertificate);
    }

    [Theory]
    [InlineData("fly")]
    [InlineData("--port")]
    [InlineData("--port", "65536")]
    [InlineData("--port", "-1")]
    [InlineData("--port", "x")]
    [InlineData("--host", "localhost")]
    [InlineData("--seed", "127.0.0.1")]
    [InlineData("--seed", "127.0.0.1:0")]
    [InlineData("--seed", ":4053")]
    [InlineData("--colour", "red")]
    [InlineData("echo", "--seed", "127.0.0.1:4053")]
    [InlineData("--max-clients", "1000001")]
    [InlineData("--max-clients", "many")]
    [InlineData("echo", "--max-clients", "5")]
    [InlineData("echo", "--receive", "borrowed")]
    [InlineData("chat", "--receive", "leased")]
    [InlineData("echo", "--tls-key", "k.pem")]
    [InlineData("echo", "--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-password", "x")]
    public void A_bad_argument_says_what_is_wrong(params string[] args) =>
        Assert.Throws<ArgumentException>(() => SampleOptions.Parse(args));

    [Fact]
    public void Help_is_not_an_error() => Assert.True(SampleOptions.Parse(["chat", "--help"]).Help);
}
