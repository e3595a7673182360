using System.Diagnostics;
using System.Net;
using System.Net.Security;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Tls;

/// <summary>
/// A Register's idle timeout on a TLS connection: measured on plaintext at the TLS stage, told or closed (with
/// close_notify after the pending writes) exactly as on a plain connection.
/// </summary>
public sealed class TlsIdleTimeoutTests(ITestOutputHelper output) : TlsTestKit(output)
{
    private static readonly TimeSpan Short = TimeSpan.FromMilliseconds(300);

    [Fact]
    public async Task Reader_idle_is_told_once_per_period_and_plaintext_from_the_peer_starts_a_new_one()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        long registered = Stopwatch.GetTimestamp();
        connection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: Short)));

        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        Assert.True(Stopwatch.GetElapsedTime(registered) >= Short, $"told after {Stopwatch.GetElapsedTime(registered)}");
        ExpectNoMsg(Short * 3);

        await client.WriteAsync("ping"u8.ToArray());
        Assert.Equal("ping", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        Assert.Same(TcpMsg.Idle.Reader, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public async Task A_peer_trickling_an_unfinished_record_is_reader_idle_until_the_record_completes()
    {
        EndPoint server = BindTls();
        System.Net.Sockets.Socket socket = NewClient();
        await socket.ConnectAsync(server);
        var held = new HoldingStream(new System.Net.Sockets.NetworkStream(socket, ownsSocket: false));
        using var client = new SslStream(held);
        await client.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = "localhost",
            RemoteCertificateValidationCallback = TestCertificates.TrustTestAuthority,
        }).WaitAsync(Handshake);
        ExpectMsg<TcpMsg.Connected>(Handshake);
        LastSender.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: Short)));

        // One record, kept back and sent a byte at a time: bytes keep arriving, but no plaintext.
        held.Holding = true;
        await client.WriteAsync("x"u8.ToArray());
        byte[] record = held.Held();
        object? first = null;
        int sent = 0;
        while (sent < record.Length - 1 && first is null)
        {
            socket.Send(record.AsSpan(sent++, 1));
            first = ReceiveOne(TimeSpan.FromMilliseconds(100));
        }

        Assert.Same(TcpMsg.Idle.Reader, first ?? ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        socket.Send(record.AsSpan(sent));
        Assert.Equal("x", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
    }

    [Fact]
    public async Task Writer_idle_is_told_while_only_the_peer_sends_and_a_write_starts_a_new_period()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        connection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(writer: Short)));
        await client.WriteAsync("hello"u8.ToArray());
        ExpectMsg<TcpMsg.Received>(TestWaits.Expect);
        Assert.Same(TcpMsg.Idle.Writer, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
        ExpectNoMsg(Short * 2);

        connection.Tell(TcpMsg.Write.Create(ByteString.FromString("hi")));
        Assert.Equal("hi", await ReadTextAsync(client, 2));
        Assert.Same(TcpMsg.Idle.Writer, ExpectMsg<TcpMsg.Idle>(TestWaits.Expect));
    }

    [Fact]
    public async Task Close_on_idle_sends_the_queued_answer_then_close_notify_and_tells_the_handler_why()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        Watch(connection);
        connection.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(reader: Short, action: TcpMsg.IdleAction.Close)));
        byte[] welcome = Pattern(50_000);
        connection.Tell(TcpMsg.Write.Create(ByteString.FromBytes(welcome)));

        var closed = ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect);
        Assert.Equal(TcpMsg.IdleSide.Reader, closed.Side);
        Assert.Equal(Short, closed.Timeout);
        Assert.False(closed.IsErrorClosed);
        byte[] got = await ReadBytesAsync(client, welcome.Length);
        AssertSameBytes(welcome, got);
        await AssertEndAsync(client);

        // A normal close: the peer's close ends it, and nothing else reaches the handler.
        await client.ShutdownAsync();
        client.Dispose();
        ExpectTerminated(connection, TestWaits.Expect);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public async Task A_TLS_connect_takes_its_Registers_idle_timeout_too()
    {
        TestProbe server = CreateTestProbe();
        EndPoint address = BindTls(server);
        Sys.Io().Tell(new TcpMsg.Connect(address, tls: ClientTls()));
        ExpectMsg<TcpMsg.Connected>(Handshake);
        IActorRef outgoing = LastSender;
        server.ExpectMsg<TcpMsg.Connected>(Handshake);
        IActorRef incoming = server.LastSender;
        incoming.Tell(new TcpMsg.Register(server));
        outgoing.Tell(new TcpMsg.Register(TestActor, idleTimeout: new TcpMsg.IdleTimeout(both: Short, action: TcpMsg.IdleAction.Close)));

        Assert.Equal(TcpMsg.IdleSide.Both, ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect).Side);
        server.ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
    }
}

/// <summary>The configured default, <c>actors-io.tcp.idle-timeout</c>, for a TLS connection registered without one.</summary>
public sealed class TlsDefaultIdleTimeoutTests(ITestOutputHelper output)
    : TlsTestKit(output, "actors-io.tcp.idle-timeout { reader = 300ms, action = close }")
{
    [Fact]
    public async Task A_TLS_connection_registered_without_a_timeout_closes_on_the_configured_one_with_close_notify()
    {
        (SslStream client, IActorRef connection) = await AcceptTlsAsync(BindTls());
        connection.Tell(new TcpMsg.Register(TestActor));

        Assert.Equal(TcpMsg.IdleSide.Reader, ExpectMsg<TcpMsg.IdleClosed>(TestWaits.Expect).Side);
        await AssertEndAsync(client);

        // Only the stage's timeout runs: the connection under it is told nothing of its own.
        ExpectNoMsg(TimeSpan.FromMilliseconds(500));
    }
}

/// <summary>Passes a TLS client's writes to the socket, or, while <see cref="Holding"/>, keeps them for the test to send.</summary>
internal sealed class HoldingStream(Stream inner) : Stream
{
    private readonly MemoryStream _held = new();

    public bool Holding { get; set; }

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    public byte[] Held() => _held.ToArray();

    public override int Read(byte[] buffer, int offset, int count) => inner.Read(buffer, offset, count);

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => inner.ReadAsync(buffer, cancellationToken);

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => inner.ReadAsync(buffer, offset, count, cancellationToken);

    public override void Write(byte[] buffer, int offset, int count)
    {
        if (Holding) _held.Write(buffer, offset, count);
        else inner.Write(buffer, offset, count);
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (!Holding) return inner.WriteAsync(buffer, cancellationToken);
        _held.Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Flush() => inner.Flush();

    public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();
}
