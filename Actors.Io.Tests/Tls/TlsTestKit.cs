using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>What the TLS suites share: a TLS listener, an <see cref="SslStream"/> client for it, the client settings.</summary>
public abstract class TlsTestKit(ITestOutputHelper output, string hocon = "") : LoopbackTestKit(output, hocon)
{
    /// <summary>The first handshake of a process loads the platform's TLS library and trust store: allow for it.</summary>
    protected static readonly TimeSpan Handshake = TimeSpan.FromSeconds(15);

    /// <summary>Binds a TLS listener with the test server certificate on <paramref name="address"/> (default: a free loopback port); in pull mode it accepts one connection.</summary>
    protected EndPoint BindTls(IActorRef? handler = null, EndPoint? address = null, bool pullMode = false, params TcpMsg.SocketOption[] options)
    {
        TestProbe commander = CreateTestProbe();
        var bind = new TcpMsg.Bind(
            handler ?? TestActor, address ?? new IPEndPoint(IPAddress.Loopback, 0), options: options, pullMode: pullMode, tls: new TcpMsg.TlsServerSettings(TestCertificates.Server));
        Sys.Io().Tell(bind, commander);
        EndPoint bound = commander.ExpectMsg<TcpMsg.Bound>(TestWaits.Expect).LocalAddress;
        if (pullMode) commander.LastSender.Tell(new TcpMsg.ResumeAccepting(1));
        return bound;
    }

    /// <summary>Client settings that trust the test authority.</summary>
    protected static TcpMsg.TlsClientSettings ClientTls(SslProtocols protocol = SslProtocols.None) => new("localhost")
    {
        RemoteCertificateValidation = TestCertificates.TrustTestAuthority,
        EnabledProtocols = protocol,
    };

    /// <summary>An <see cref="SslStream"/> client, handshake done; small kernel buffers when <paramref name="bufferSize"/> is set.</summary>
    protected async Task<SslStream> ConnectClientAsync(EndPoint server, SslProtocols protocol = SslProtocols.None, int bufferSize = 0)
    {
        Socket socket = NewClient(bufferSize);
        if (bufferSize > 0) socket.SendBufferSize = bufferSize;
        await socket.ConnectAsync(server);
        var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
        await stream.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            EnabledSslProtocols = protocol,
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        }).WaitAsync(Handshake);
        return stream;
    }

    /// <summary>A client connected and its connection's <see cref="TcpMsg.Connected"/> taken: the connection (the TLS stage).</summary>
    protected async Task<(SslStream Client, IActorRef Connection)> AcceptTlsAsync(EndPoint server, SslProtocols protocol = SslProtocols.None, int bufferSize = 0)
    {
        SslStream client = await ConnectClientAsync(server, protocol, bufferSize);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        return (client, LastSender);
    }

    protected static async Task<byte[]> ReadBytesAsync(SslStream stream, int count)
    {
        byte[] buffer = new byte[count];
        await stream.ReadExactlyAsync(buffer).AsTask().WaitAsync(TestWaits.Expect);
        return buffer;
    }

    protected static async Task<string> ReadTextAsync(SslStream stream, int count) =>
        System.Text.Encoding.UTF8.GetString(await ReadBytesAsync(stream, count));

    /// <summary>The peer's close_notify (or its end of stream) is next.</summary>
    protected static async Task AssertEndAsync(SslStream stream) =>
        Assert.Equal(0, await stream.ReadAsync(new byte[1]).AsTask().WaitAsync(TestWaits.Expect));

    /// <summary>Leases lent by every selector's pool and not given back yet.</summary>
    protected long Outstanding()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        long total = 0;
        for (int i = 0; i < io.Pool.Count; i++) total += io.Pool[i].ReceiveBuffers.Outstanding;
        return total;
    }
}
