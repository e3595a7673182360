using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Sample.Tests.Support;

namespace Actors.Io.Sample.Tests.Chat;

/// <summary>The built sample as a user runs it: a process, clients over TCP, Ctrl-C.</summary>
public sealed class SampleProcessTests
{
    [Fact]
    public async Task The_sample_serves_chat_on_loopback_to_max_clients_and_says_goodbye_to_every_client_on_ctrl_c()
    {
        int chatPort = SampleProcess.FreePort();
        int clusterPort = SampleProcess.FreePort();
        using SampleProcess sample = SampleProcess.Start("chat", "--port", $"{chatPort}", "--cluster-port", $"{clusterPort}", "--max-clients", "2");
        string connect = await sample.WaitForLineAsync(l => l.StartsWith("Chat clients connect to", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        // The address the listener is bound to: loopback when no --host is given.
        Assert.Equal($"Chat clients connect to 127.0.0.1:{chatPort}: nc 127.0.0.1 {chatPort}", connect);
        await sample.WaitForLineAsync(l => l.StartsWith($"Chat node akka.tcp://actors-io-chat@127.0.0.1:{clusterPort}", StringComparison.Ordinal), TimeSpan.FromSeconds(5));

        var server = new IPEndPoint(IPAddress.Loopback, chatPort);
        using ChatTestClient ann = await ChatTestClient.ConnectAsync(server, "ann");
        using ChatTestClient bob = await ChatTestClient.ConnectAsync(server, "bob");
        await ann.SendLineAsync("hi bob");
        Assert.Equal("[lobby] ann: hi bob", await bob.ReadLineAsync());
        Assert.Equal("WHO lobby: ann, bob", await ann.CommandAsync("/who"));
        using (ChatTestClient third = await ChatTestClient.ConnectWithoutGreetingAsync(server))
        {
            Assert.Equal("ERR server full", await third.ReadLineAsync());
            Assert.True(await third.ClosedByServerAsync());
        }

        sample.Interrupt();
        Assert.Equal("BYE the server is shutting down", await ann.ReadLineAsync());
        Assert.Equal("BYE the server is shutting down", await bob.ReadLineAsync());
        Assert.True(await ann.ClosedByServerAsync());
        Assert.True(await bob.ClosedByServerAsync());
        Assert.Equal(0, await sample.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("copied")]
    [InlineData("leased")]
    public async Task Echo_mode_listens_on_loopback_unless_told_otherwise_and_echoes(string receive)
    {
        int port = SampleProcess.FreePort();
        using SampleProcess sample = receive == "copied"
            ? SampleProcess.Start("echo", "--port", $"{port}")
            : SampleProcess.Start("echo", "--port", $"{port}", "--receive", receive);
        string listening = await sample.WaitForLineAsync(l => l.StartsWith("Echo server on", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
        Assert.StartsWith($"Echo server on 127.0.0.1:{port} ", listening);
        Assert.Contains($"{receive} receive", listening);

        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        byte[] sent = Encoding.UTF8.GetBytes("ping\n");
        await client.SendAsync(sent);
        byte[] echoed = new byte[sent.Length];
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        for (int read = 0; read < echoed.Length;)
        {
            int n = await client.ReceiveAsync(echoed.AsMemory(read), SocketFlags.None, cts.Token);
            Assert.NotEqual(0, n);
            read += n;
        }

        Assert.Equal(sent, echoed);
        sample.Interrupt();
        Assert.Equal(0, await sample.WaitForExitAsync(TimeSpan.FromSeconds(30)));
    }

    [Theory]
    [InlineData("echo")]
    [InlineData("echo", "leased")]
    [InlineData("chat")]
    public async Task Serves_TLS_with_a_PEM_certificate_and_key(string mode, string receive = "copied")
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("aio-tls");
        try
        {
            (string certFile, string keyFile) = await WritePemAsync(directory);
            using var certificate = System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadCertificateFromFile(certFile);

            int port = SampleProcess.FreePort();
            using SampleProcess sample = mode == "echo"
                ? SampleProcess.Start("echo", "--port", $"{port}", "--tls-cert", certFile, "--tls-key", keyFile, "--receive", receive)
                : SampleProcess.Start("chat", "--port", $"{port}", "--cluster-port", $"{SampleProcess.FreePort()}", "--tls-cert", certFile, "--tls-key", keyFile);
            string listening = await sample.WaitForLineAsync(l => l.StartsWith(mode == "echo" ? "Echo server on" : "Chat clients connect to", StringComparison.Ordinal), TimeSpan.FromSeconds(60));
            Assert.Contains(mode == "echo" ? ", TLS)" : "over TLS: openssl s_client", listening);
            if (mode == "echo") Assert.Contains($"{receive} receive", listening);

            using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            await client.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
            using var tls = new System.Net.Security.SslStream(new NetworkStream(client));
            await tls.AuthenticateAsClientAsync(new System.Net.Security.SslClientAuthenticationOptions
            {
                TargetHost = "localhost",
                RemoteCertificateValidationCallback = (_, presented, _, _) => presented?.GetCertHashString() == certificate.GetCertHashString(),
            });
            if (mode == "echo")
            {
                byte[] sent = Encoding.UTF8.GetBytes("ping over tls\n");
                await tls.WriteAsync(sent);
                byte[] echoed = new byte[sent.Length];
                await tls.ReadExactlyAsync(echoed).AsTask().WaitAsync(TimeSpan.FromSeconds(10));
                Assert.Equal(sent, echoed);
            }
            else
            {
                using var reader = new StreamReader(tls, Encoding.UTF8, leaveOpen: true);
                string? greeting = await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
                Assert.StartsWith("WELCOME guest-", greeting);
            }

            sample.Interrupt();
            Assert.Equal(0, await sample.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task The_chat_over_TLS_serves_openssl_s_client_and_closes_an_idle_one_with_its_goodbye_and_close_notify()
    {
        DirectoryInfo directory = Directory.CreateTempSubdirectory("aio-tls");
        try
        {
            (string certFile, string keyFile) = await WritePemAsync(directory);

            // The node's own configuration with a short idle timeout, which a TLS connection honours as a plain one does.
            string defaults = Path.Combine(Path.GetDirectoryName(SampleProcess.SampleDll())!, "HOCON", "chat-node.conf");
            string config = Path.Combine(directory.FullName, "chat-node.conf");
            await File.WriteAllTextAsync(config, await File.ReadAllTextAsync(defaults) + "\nchat.idle-timeout = 4s\n");

            int port = SampleProcess.FreePort();
            using SampleProcess sample = SampleProcess.Start(
                "chat", "--port", $"{port}", "--cluster-port", $"{SampleProcess.FreePort()}", "--tls-cert", certFile, "--tls-key", keyFile, "--config", config);
            await sample.WaitForLineAsync(l => l.StartsWith("Chat clients connect to", StringComparison.Ordinal), TimeSpan.FromSeconds(60));

            using OpenSslClient ann = OpenSslClient.Connect(port);
            Assert.StartsWith("WELCOME guest-", await ann.ReadLineAsync(TimeSpan.FromSeconds(30)));
            await ann.SendLineAsync("/nick ann");
            Assert.Equal("OK you are ann", await ann.ReadLineAsync(TimeSpan.FromSeconds(10)));
            using OpenSslClient bob = OpenSslClient.Connect(port);
            Assert.StartsWith("WELCOME guest-", await bob.ReadLineAsync(TimeSpan.FromSeconds(30)));
            await bob.SendLineAsync("/nick bob");
            Assert.Equal("OK you are bob", await bob.ReadLineAsync(TimeSpan.FromSeconds(10)));

            await ann.SendLineAsync("hi bob");
            Assert.Equal("[lobby] ann: hi bob", await bob.ReadLineAsync(TimeSpan.FromSeconds(10)));

            // Both fall silent: each is told why and closed with close_notify, which ends openssl s_client.
            Assert.Equal("BYE idle for 4 seconds", await bob.ReadLineAsync(TimeSpan.FromSeconds(30)));
            Assert.Null(await bob.ReadLineAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal("BYE idle for 4 seconds", await ann.ReadLineAsync(TimeSpan.FromSeconds(30)));
            Assert.Null(await ann.ReadLineAsync(TimeSpan.FromSeconds(10)));
            await bob.WaitForExitAsync(TimeSpan.FromSeconds(10));
            await ann.WaitForExitAsync(TimeSpan.FromSeconds(10));

            sample.Interrupt();
            Assert.Equal(0, await sample.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--bogus")]
    [InlineData("chat", "--port", "70000")]
    [InlineData("chat", "--seed", "nohostport")]
    [InlineData("fly")]
    public async Task A_bad_argument_prints_the_usage_and_exits_with_2(params string[] args)
    {
        using SampleProcess sample = SampleProcess.Start(args);
        Assert.Equal(2, await sample.WaitForExitAsync(TimeSpan.FromSeconds(30)));
        Assert.Contains("usage: Actors.Io.Sample", sample.Output);
    }

    /// <summary>A self-signed ECDSA certificate for localhost and its key, as PEM files in <paramref name="directory"/>.</summary>
    private static async Task<(string CertFile, string KeyFile)> WritePemAsync(DirectoryInfo directory)
    {
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=localhost", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        using System.Security.Cryptography.X509Certificates.X509Certificate2 certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        string certFile = Path.Combine(directory.FullName, "cert.pem"), keyFile = Path.Combine(directory.FullName, "key.pem");
        await File.WriteAllTextAsync(certFile, certificate.ExportCertificatePem());
        await File.WriteAllTextAsync(keyFile, key.ExportPkcs8PrivateKeyPem());
        return (certFile, keyFile);
    }
}
