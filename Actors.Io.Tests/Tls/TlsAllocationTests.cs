using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>
/// A TLS echo on the loop allocates the plaintext leg's messages and byte strings (to and from the handler) and the
/// ciphertext write's message, nothing more: the connection lends the stage its ciphertext reads, and the stage
/// gathers, encrypts and flushes through pooled buffers, the write wrapping its buffer without a copy.
/// </summary>
public sealed class TlsAllocationTests : Akka.TestKit.Xunit2.TestKit
{
    private const int Size = 64;

    /// <summary>A TLS 1.3 record of <see cref="Size"/> bytes: a 5-byte header, the content type and a 16-byte tag.</summary>
    private const int RecordSize = Size + 22;

    private readonly ITestOutputHelper _output;

    public TlsAllocationTests(ITestOutputHelper output)
        : base(TestConfigs.With("actors-io.nr-of-selectors = 1\n" + TestConfigs.Quiet), output: output) => _output = output;

    [Fact]
    public async Task TLS_echo_round_trips_allocate_only_the_messages_of_both_legs()
    {
        ActorsIo io = ActorsIo.Get(Sys);
        IActorRef server = Sys.ActorOf(Props.Create(() => new Server(TestActor, io.LoopDispatcherIds[0])));
        int port = ((IPEndPoint)ExpectMsg<TcpMsg.Bound>().LocalAddress).Port;

        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true, ReceiveTimeout = TestWaits.ExpectMilliseconds };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        using var client = new SslStream(new NetworkStream(socket, ownsSocket: false));
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        }).WaitAsync(TimeSpan.FromSeconds(15));

        byte[] message = new byte[Size];
        byte[] echo = new byte[Size];
        for (int i = 0; i < LoopAllocations.RoundTrips; i++)
        {
            message[0] = (byte)i;
            client.Write(message);
            client.ReadExactly(echo);
            if (echo[0] != (byte)i) Assert.Fail($"round trip {i} echoed {echo[0]}");
        }

        byte[] plain = new byte[Size];
        byte[] cipher = new byte[RecordSize];
        double plaintextLeg = LoopAllocations.BytesPerCall(() => TcpMsg.Write.Create(new TcpMsg.Received(ByteString.CopyFrom(plain, 0, Size)).Data));
        // The stage reads ciphertext leased (no allocation) and writes it from its pooled buffer (a wrapper, no copy).
        double ciphertextLeg = LoopAllocations.BytesPerCall(() => TcpMsg.Write.Create(ByteString.FromBytes(cipher, 0, RecordSize), TcpMsg.NoAck.Instance));
        LoopAllocations.AssertOnlyThePayload(
            ExpectMsg<long>(TimeSpan.FromSeconds(30)),
            plaintextLeg + ciphertextLeg,
            _output,
            "Received + ByteString + Write for the plaintext, Write + ByteString for the ciphertext");
        Sys.Stop(server);
    }

    private sealed class Server : ReceiveActor
    {
        public Server(IActorRef probe, string loopDispatcher)
        {
            Context.System.Io().Tell(new TcpMsg.Bind(Self, new IPEndPoint(IPAddress.Loopback, 0), tls: new TcpMsg.TlsServerSettings(TestCertificates.Server)));
            Receive<TcpMsg.Bound>(bound => probe.Tell(bound));
            Receive<TcpMsg.Connected>(_ =>
            {
                IActorRef handler = Context.ActorOf(Props.Create(() => new MeasuringEcho(Sender, probe)).WithDispatcher(loopDispatcher));
                Sender.Tell(new TcpMsg.Register(handler));
            });
        }
    }

    private sealed class MeasuringEcho(IActorRef connection, IActorRef probe) : UntypedActor
    {
        private readonly LoopAllocations.Meter _meter = new(probe);

        protected override void OnReceive(object message)
        {
            if (message is not TcpMsg.Received received) return;
            _meter.Count();
            connection.Tell(TcpMsg.Write.Create(received.Data));
        }
    }
}
