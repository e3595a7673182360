using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>TLS on Bind and Connect against .NET's own <see cref="SslStream"/> on loopback: handshakes, validation, data, closes.</summary>
public sealed class TlsConnectionTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.tls.max-concurrent-handshakes = 2")
{
    /// <summary>The first handshake of a process loads the platform's TLS library and trust store: allow for it.</summary>
    private static readonly TimeSpan Handshake = TimeSpan.FromSeconds(15);

    private static TcpMsg.TlsServerSettings ServerTls => new(TestCertificates.Server);

    [Theory]
    [InlineData(SslProtocols.Tls13)]
    [InlineData(SslProtocols.Tls12)]
    public async Task An_SslStream_client_echoes_through_a_TLS_listener_and_the_handler_sees_plaintext(SslProtocols protocol)
    {
        IPEndPoint server = BindTls(ServerTls);
        using SslStream client = await ConnectClientAsync(server, protocol: protocol);

        var connected = ExpectMsg<TcpMsg.Connected>(Handshake);
        Assert.NotNull(connected.Tls);
        Assert.Equal(protocol, connected.Tls.Protocol);
        Assert.Equal("localhost", connected.Tls.ServerName);
        Assert.Null(connected.Tls.RemoteCertificate);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));

        await client.WriteAsync("hello over tls"u8.ToArray());
        Assert.Equal("hello over tls", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("and back"), new Ack(1)));
        ExpectMsg(new Ack(1), TestWaits.Expect);
        Assert.Equal("and back", await ReadTextAsync(client, 8));
    }

    [Fact]
    public async Task A_TLS_connect_reaches_an_SslStream_server_and_reports_its_certificate()
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Task<SslStream> serving = AcceptServerAsync(listener, new SslServerAuthenticationOptions { ServerCertificate = TestCertificates.Server });

        Sys.Io().Tell(new TcpMsg.Connect(listener.LocalEndPoint!, tls: ClientTls()));
        var connected = ExpectMsg<TcpMsg.Connected>(Handshake);
        using SslStream server = await serving.WaitAsync(Handshake);
        Assert.Equal(TestCertificates.Server.Thumbprint, connected.Tls!.RemoteCertificate!.Thumbprint);
        Assert.Equal("localhost", connected.Tls.ServerName);
        LastSender.Tell(new TcpMsg.Register(TestActor));

        LastSender.Tell(TcpMsg.Write.Create(ByteString.FromString("ping")));
        Assert.Equal("ping", await ReadTextAsync(server, 4));
        await server.WriteAsync("pong"u8.ToArray());
        Assert.Equal("pong", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public void A_server_certificate_the_client_does_not_trust_fails_the_Connect_with_the_authentication_error()
    {
        IPEndPoint server = BindTls(ServerTls, CreateTestProbe());
        var connect = new TcpMsg.Connect(server, tls: new TcpMsg.TlsClientSettings("localhost"));
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(Handshake);
        Assert.Same(connect, failed.Cmd);
        Assert.IsAssignableFrom<AuthenticationException>(failed.Cause);
    }

    [Fact]
    public void A_server_that_never_answers_the_handshake_fails_the_Connect_at_its_timeout()
    {
        using var silent = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        silent.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        silent.Listen();
        var connect = new TcpMsg.Connect(silent.LocalEndPoint!, tls: new TcpMsg.TlsClientSettings("localhost") { HandshakeTimeout = TimeSpan.FromMilliseconds(500) });
        Sys.Io().Tell(connect);

        var failed = ExpectMsg<TcpMsg.CommandFailed>(TestWaits.Expect);
        Assert.Same(connect, failed.Cmd);
        Assert.IsType<TimeoutException>(failed.Cause);
    }

    [Fact]
    public void The_wrong_host_name_fails_the_Connect()
    {
        IPEndPoint server = BindTls(ServerTls, CreateTestProbe());
        Sys.Io().Tell(new TcpMsg.Connect(server, tls: ClientTls("other.test")));
        Assert.IsAssignableFrom<AuthenticationException>(ExpectMsg<TcpMsg.CommandFailed>(Handshake).Cause);
    }

    [Fact]
    public void Mutual_TLS_admits_a_client_with_a_trusted_certificate_and_reports_it()
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(
            new TcpMsg.TlsServerSettings(TestCertificates.Server)
            {
                ClientCertificateRequired = true,
                RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
            },
            handler);

        Sys.Io().Tell(new TcpMsg.Connect(server, tls: ClientTls()));
        ExpectMsg<TcpMsg.Connected>(Handshake);
        var accepted = handler.ExpectMsg<TcpMsg.Connected>(Handshake);
        Assert.Equal(TestCertificates.Client.Thumbprint, accepted.Tls!.RemoteCertificate!.Thumbprint);
    }

    [Theory]
    [InlineData("none")]
    [InlineData("stranger")]
    public void Mutual_TLS_refuses_a_client_without_a_certificate_or_from_another_CA_and_the_handler_never_hears_of_it(string offered)
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(
            new TcpMsg.TlsServerSettings(TestCertificates.Server)
            {
                ClientCertificateRequired = true,
                RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
            },
            handler);

        X509CertificateCollection? certificates = offered == "stranger" ? [TestCertificates.StrangerClient] : null;
        Sys.Io().Tell(new TcpMsg.Connect(server, tls: new TcpMsg.TlsClientSettings("localhost")
        {
            RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
            ClientCertificates = certificates,
        }));

        // TLS 1.3 reports the server's refusal after the client's side of the handshake completed: either way the
        // client does not get a working connection, and the bind handler hears nothing.
        object answer = ExpectMsg<object>(m => m is TcpMsg.CommandFailed or TcpMsg.Connected, Handshake);
        if (answer is TcpMsg.Connected)
        {
            LastSender.Tell(new TcpMsg.Register(TestActor));
            FishForMessage(m => m is TcpMsg.ErrorClosed or TcpMsg.PeerClosed, TestWaits.Expect);
        }

        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(300));
    }

    [Fact]
    public void The_server_chooses_its_certificate_by_the_SNI_name()
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(
            new TcpMsg.TlsServerSettings(TestCertificates.Server)
            {
                ServerCertificateSelector = name => name == "other.test" ? TestCertificates.OtherServer : TestCertificates.Server,
            },
            handler);

        Sys.Io().Tell(new TcpMsg.Connect(server, tls: ClientTls("other.test")));
        var connected = ExpectMsg<TcpMsg.Connected>(Handshake);
        Assert.Equal(TestCertificates.OtherServer.Thumbprint, connected.Tls!.RemoteCertificate!.Thumbprint);
        Assert.Equal("other.test", handler.ExpectMsg<TcpMsg.Connected>(Handshake).Tls!.ServerName);
    }

    [Fact]
    public void ALPN_is_negotiated_and_reported_on_both_sides()
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(
            new TcpMsg.TlsServerSettings(TestCertificates.Server) { ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11] },
            handler);

        Sys.Io().Tell(new TcpMsg.Connect(server, tls: new TcpMsg.TlsClientSettings("localhost")
        {
            RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
            ApplicationProtocols = [SslApplicationProtocol.Http11],
        }));
        Assert.Equal(SslApplicationProtocol.Http11, ExpectMsg<TcpMsg.Connected>(Handshake).Tls!.ApplicationProtocol);
        Assert.Equal(SslApplicationProtocol.Http11, handler.ExpectMsg<TcpMsg.Connected>(Handshake).Tls!.ApplicationProtocol);
    }

    [Fact]
    public async Task A_plaintext_client_and_a_silent_one_are_closed_and_the_listener_goes_on()
    {
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(new TcpMsg.TlsServerSettings(TestCertificates.Server) { HandshakeTimeout = TimeSpan.FromSeconds(1) }, handler);

        Socket plain = NewClient();
        await plain.ConnectAsync(server);
        await plain.SendAsync("GET / HTTP/1.1\r\nHost: x\r\n\r\n"u8.ToArray());
        Socket silent = NewClient();
        await silent.ConnectAsync(server);

        AssertClosedWithin(plain, TestWaits.Expect);
        AssertClosedWithin(silent, TimeSpan.FromSeconds(5));
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        using SslStream client = await ConnectClientAsync(server);
        handler.ExpectMsg<TcpMsg.Connected>(Handshake);
    }

    [Fact]
    public async Task Handshakes_are_counted_and_timed_by_result_and_side()
    {
        using var meter = new MeterRecorder(Sys.Name);
        TestProbe handler = CreateTestProbe();
        IPEndPoint server = BindTls(ServerTls, handler);
        using (SslStream client = await ConnectClientAsync(server))
        {
            handler.ExpectMsg<TcpMsg.Connected>(Handshake);
        }

        Socket plain = NewClient();
        await plain.ConnectAsync(server);
        await plain.SendAsync(new byte[64]);
        AssertClosedWithin(plain, TestWaits.Expect);

        AwaitTrue(() => Handshakes(meter, "succeeded").Count > 0 && Handshakes(meter, "failed").Count > 0, "both handshakes are recorded");
        Assert.All(Handshakes(meter, "succeeded"), seconds => Assert.InRange(seconds, 0, 15));
    }

    [Fact]
    public async Task Past_max_concurrent_handshakes_new_clients_wait_in_the_backlog_until_a_handshake_ends()
    {
        TestProbe handler = CreateTestProbe();
        TestProbe commander = CreateTestProbe();
        var bindSettings = new TcpMsg.TlsServerSettings(TestCertificates.Server) { HandshakeTimeout = TimeSpan.FromSeconds(30) };
        Sys.Io().Tell(new TcpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0), tls: bindSettings), commander);
        var server = (IPEndPoint)commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;

        // Two silent clients hold both handshakes (the limit is 2 in this class); a real client waits behind them.
        Socket first = NewClient();
        await first.ConnectAsync(server);
        Socket second = NewClient();
        await second.ConnectAsync(server);
        Task<SslStream> waiting = ConnectClientAsync(server);
        await Task.Delay(300);
        Assert.False(waiting.IsCompleted, "a third handshake ran while two were under way");

        // One silent client leaves: its handshake ends, and the waiting client is accepted and served.
        first.Close();
        using SslStream client = await waiting.WaitAsync(Handshake);
        handler.ExpectMsg<TcpMsg.Connected>(Handshake);
    }

    [Fact]
    public async Task Close_sends_close_notify_after_the_pending_writes()
    {
        IPEndPoint server = BindTls(ServerTls);
        using SslStream client = await ConnectClientAsync(server);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        IActorRef connection = LastSender;
        connection.Tell(new TcpMsg.Register(TestActor));

        byte[] last = Pattern(100_000);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(last)));
        connection.Tell(TcpMsg.Close.Instance);

        byte[] got = new byte[last.Length];
        await client.ReadExactlyAsync(got).AsTask().WaitAsync(TestWaits.Expect);
        AssertSameBytes(last, got);
        Assert.Equal(0, await client.ReadAsync(new byte[1]).AsTask().WaitAsync(TestWaits.Expect));
        ExpectMsg<TcpMsg.Closed>(TestWaits.Expect);
    }

    [Fact]
    public async Task ConfirmedClose_waits_for_the_peers_close_notify()
    {
        IPEndPoint server = BindTls(ServerTls);
        using SslStream client = await ConnectClientAsync(server);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        LastSender.Tell(new TcpMsg.Register(TestActor));
        LastSender.Tell(TcpMsg.ConfirmedClose.Instance);

        Assert.Equal(0, await client.ReadAsync(new byte[1]).AsTask().WaitAsync(TestWaits.Expect));
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        await client.ShutdownAsync();
        ExpectMsg<TcpMsg.ConfirmedClosed>(TestWaits.Expect);
    }

    [Fact]
    public async Task The_peers_close_notify_is_PeerClosed_and_an_end_without_it_is_a_truncation()
    {
        IPEndPoint server = BindTls(ServerTls);
        using (SslStream polite = await ConnectClientAsync(server))
        {
            ExpectMsg<TcpMsg.Connected>(Handshake);
            LastSender.Tell(new TcpMsg.Register(TestActor));
            await polite.ShutdownAsync();
            ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        }

        Socket rude = NewClient();
        await rude.ConnectAsync(server);
        var stream = new SslStream(new NetworkStream(rude, ownsSocket: false));
        await stream.AuthenticateAsClientAsync(ClientOptions()).WaitAsync(Handshake);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        LastSender.Tell(new TcpMsg.Register(TestActor));
        rude.Shutdown(SocketShutdown.Send);

        var closed = ExpectMsg<TcpMsg.ErrorClosed>(TestWaits.Expect);
        Assert.Contains("truncated", closed.Cause);
    }

    [Fact]
    public async Task Abort_resets_without_close_notify()
    {
        IPEndPoint server = BindTls(ServerTls);
        using SslStream client = await ConnectClientAsync(server);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        LastSender.Tell(new TcpMsg.Register(TestActor));
        LastSender.Tell(TcpMsg.Abort.Instance);

        ExpectMsg<TcpMsg.Aborted>(TestWaits.Expect);
        await Assert.ThrowsAnyAsync<IOException>(() => client.ReadAsync(new byte[1]).AsTask().WaitAsync(TestWaits.Expect));
    }

    private static List<double> Handshakes(MeterRecorder meter, string result) =>
        [.. meter.Recorded("actors-io.tls.handshake.duration")
            .Where(r => Equals(r.Tags.GetValueOrDefault("result"), result) && Equals(r.Tags.GetValueOrDefault("side"), "server"))
            .Select(r => r.Value)];

    private IPEndPoint BindTls(TcpMsg.TlsServerSettings tls, TestProbe? handler = null)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new TcpMsg.Bind(handler?.Ref ?? TestActor, new IPEndPoint(IPAddress.Loopback, 0), tls: tls), commander);
        return (IPEndPoint)commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
    }

    private static TcpMsg.TlsClientSettings ClientTls(string host = "localhost") => new(host)
    {
        RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
        ClientCertificates = [TestCertificates.Client],
    };

    private static SslClientAuthenticationOptions ClientOptions(SslProtocols protocol = SslProtocols.None) => new()
    {
        TargetHost = "localhost",
        EnabledSslProtocols = protocol,
        RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
    };

    private async Task<SslStream> ConnectClientAsync(IPEndPoint server, SslProtocols protocol = SslProtocols.None)
    {
        Socket socket = NewClient();
        await socket.ConnectAsync(server);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await stream.AuthenticateAsClientAsync(ClientOptions(protocol)).WaitAsync(Handshake);
        return stream;
    }

    private static async Task<SslStream> AcceptServerAsync(Socket listener, SslServerAuthenticationOptions options)
    {
        Socket accepted = await listener.AcceptAsync();
        var stream = new SslStream(new NetworkStream(accepted, ownsSocket: true));
        await stream.AuthenticateAsServerAsync(options);
        return stream;
    }

    private static async Task<string> ReadTextAsync(SslStream stream, int length)
    {
        byte[] buffer = new byte[length];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TestWaits.Expect);
        return System.Text.Encoding.UTF8.GetString(buffer);
    }

    private static void AssertClosedWithin(Socket socket, TimeSpan within)
    {
        socket.ReceiveTimeout = (int)within.TotalMilliseconds;
        byte[] buffer = new byte[4096];
        try
        {
            while (socket.Receive(buffer) > 0)
            {
                // A TLS alert may come before the end.
            }
        }
        catch (SocketException e) when (e.SocketErrorCode is SocketError.ConnectionReset)
        {
            // Closed by a reset.
        }
    }
}
