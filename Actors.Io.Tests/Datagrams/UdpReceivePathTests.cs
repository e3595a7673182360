using System.Net;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Actors.Io.Native;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Akka.TestKit;
using UdpMsg = Actors.Io.Udp;

namespace Actors.Io.Tests.Datagrams;

/// <summary>
/// Both receive paths (<c>recvmmsg</c>, and <c>recvfrom</c> as on macOS/BSD or after the fallback): a round trip, and a
/// datagram longer than <c>max-datagram-size</c> dropped, never delivered cut short. And the run-time fallback: a
/// <c>recvmmsg</c> refused as a call (ENOSYS, as under seccomp) switches the process to <c>recvfrom</c> once, with one
/// warning, and the datagram that met the refusal is still delivered. The drop warning is rate-limited. Each test gives
/// its system its own <c>recvmmsg</c> switch (<see cref="UdpSettings.RecvMmsg"/>), so the process's is never touched.
/// </summary>
public sealed class UdpReceivePathTests() : Akka.TestKit.Xunit2.TestKit(TestConfigs.With(TestConfigs.Quiet + "\nactors-io.udp.max-datagram-size = 256"))
{
    private static readonly TimeSpan Wait = TestWaits.Expect;

    public static TheoryData<string> Paths => new() { "recvmmsg", "recvfrom" };

    [SkippableTheory]
    [MemberData(nameof(Paths))]
    public void Round_trip_with_the_sender_and_a_datagram_over_the_limit_is_dropped(string path)
    {
        Skip.If(path == "recvmmsg" && !DatagramCalls.HasRecvMmsg, "recvmmsg exists only on 64-bit Linux; recvfrom is the only path here");
        var recvMmsg = new RecvMmsgCalls();
        if (path == "recvfrom") recvMmsg.TurnOff();
        AdjustedIo.Start(Sys, settings => settings.Udp.RecvMmsg = recvMmsg);
        TestProbe handler = CreateTestProbe();
        (IActorRef socket, IPEndPoint local) = Bind(handler);
        using Socket peer = Peer();

        EventFilter.Warning(contains: "longer than actors-io.udp.max-datagram-size = 256").ExpectOne(() =>
        {
            peer.SendTo(new byte[257], local);
            peer.SendTo(Filled(256, 7), local);
            UdpMsg.Received full = handler.ExpectMsg<UdpMsg.Received>(Wait);
            Assert.Equal(256, full.Data.Count);
            Assert.Equal(7, full.Data[255]);
            Assert.Equal(peer.LocalEndPoint, full.Sender);
        });

        socket.Tell(UdpMsg.Send.Create(ByteString.FromString("back"), peer.LocalEndPoint!));
        byte[] buffer = new byte[64];
        Assert.Equal("back", System.Text.Encoding.ASCII.GetString(buffer, 0, peer.Receive(buffer)));
        peer.SendTo("x"u8.ToArray(), local);
        Assert.Equal("x", handler.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [SkippableFact]
    public void Only_a_refusal_of_the_call_itself_turns_recvmmsg_off()
    {
        Skip.IfNot(DatagramCalls.HasRecvMmsg, "recvmmsg exists only on 64-bit Linux");

        // Here the call works, so EPERM and EINVAL came from the socket (the probe on no descriptor answers EBADF).
        Assert.True(DatagramCalls.RecvMmsgUnusable(Errno.ENOSYS));
        Assert.False(DatagramCalls.RecvMmsgUnusable(Errno.EPERM));
        Assert.False(DatagramCalls.RecvMmsgUnusable(Errno.EINVAL));
        Assert.False(DatagramCalls.RecvMmsgUnusable(Errno.EAGAIN));
    }

    [SkippableFact]
    public void A_refused_recvmmsg_switches_the_process_to_recvfrom_with_one_warning()
    {
        Skip.IfNot(DatagramCalls.HasRecvMmsg, "recvmmsg exists only on 64-bit Linux; there is nothing to fall back from here");
        var recvMmsg = new RefusingRecvMmsg();
        AdjustedIo.Start(Sys, settings => settings.Udp.RecvMmsg = recvMmsg);
        TestProbe handler = CreateTestProbe();
        (_, IPEndPoint local) = Bind(handler);
        using Socket peer = Peer();
        recvMmsg.RefuseOnce(Errno.ENOSYS);

        EventFilter.Warning(contains: "recvmmsg is unusable here").ExpectOne(() =>
        {
            for (int i = 0; i < 3; i++) peer.SendTo(new[] { (byte)i }, local);
            for (int i = 0; i < 3; i++) Assert.Equal((byte)i, handler.ExpectMsg<UdpMsg.Received>(Wait).Data[0]);
        });
        Assert.False(recvMmsg.InUse);
        Assert.True(RecvMmsgCalls.Process.InUse);

        // Once switched, no more warnings, and a socket bound later receives too.
        TestProbe later = CreateTestProbe();
        (_, IPEndPoint laterLocal) = Bind(later);
        EventFilter.Warning(contains: "recvmmsg").Expect(0, () =>
        {
            peer.SendTo("a"u8.ToArray(), local);
            peer.SendTo("b"u8.ToArray(), laterLocal);
            Assert.Equal("a", handler.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
            Assert.Equal("b", later.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
        });
    }

    [SkippableTheory]
    [InlineData(Errno.EPERM)]
    [InlineData(Errno.EINVAL)]
    public void A_socket_error_that_looks_like_a_refusal_leaves_recvmmsg_on(int errno)
    {
        Skip.IfNot(DatagramCalls.HasRecvMmsg, "recvmmsg exists only on 64-bit Linux");
        var recvMmsg = new RefusingRecvMmsg();
        AdjustedIo.Start(Sys, settings => settings.Udp.RecvMmsg = recvMmsg);
        TestProbe handler = CreateTestProbe();
        (_, IPEndPoint local) = Bind(handler);
        using Socket peer = Peer();
        recvMmsg.RefuseOnce(errno);

        // The probe on no descriptor answers EBADF: the call works, so the error was the socket's, and reading goes on.
        EventFilter.Warning(contains: "Receiving on").ExpectOne(() =>
        {
            peer.SendTo("x"u8.ToArray(), local);
            Assert.Equal("x", handler.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
        });
        Assert.True(recvMmsg.InUse);
    }

    [Fact]
    public void Oversized_datagrams_are_warned_about_once_per_interval_with_the_count_held_back()
    {
        AdjustedIo.Start(Sys, settings => settings.Udp.WarningInterval = TimeSpan.FromSeconds(1));
        TestProbe handler = CreateTestProbe();
        (_, IPEndPoint local) = Bind(handler);
        using Socket peer = Peer();

        EventFilter.Warning(contains: "longer than").ExpectOne(() =>
        {
            for (int i = 0; i < 5; i++) peer.SendTo(new byte[300], local);
            peer.SendTo("x"u8.ToArray(), local);
            Assert.Equal("x", handler.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
        });

        // Every drop is counted (actors-io.datagrams.dropped), warned about or not.
        Assert.Equal(5, DroppedDatagrams());

        // The interval passes; the next one is warned about with the four held back.
        handler.ExpectNoMsg(TimeSpan.FromMilliseconds(1100));
        EventFilter.Warning(contains: "(4 more dropped since the last warning)").ExpectOne(() =>
        {
            peer.SendTo(new byte[300], local);
            peer.SendTo("y"u8.ToArray(), local);
            Assert.Equal("y", handler.ExpectMsg<UdpMsg.Received>(Wait).Data.ToString());
        });
    }

    private long DroppedDatagrams() => ActorsIo.Get(Sys).Selector(0).Counters.DatagramsDropped;

    /// <summary>The real <c>recvmmsg</c>, made to fail once with a chosen errno as a seccomp filter or a socket would.</summary>
    private sealed unsafe class RefusingRecvMmsg : RecvMmsgCalls
    {
        private int _refusal;

        public void RefuseOnce(int errno) => Volatile.Write(ref _refusal, errno);

        public override int Receive(SafeHandle fd, DatagramCalls.MMsgHdr* messages, uint count, out int errno)
        {
            errno = Interlocked.Exchange(ref _refusal, 0);
            return errno == 0 ? base.Receive(fd, messages, count, out errno) : -1;
        }
    }

    private static byte[] Filled(int length, byte value)
    {
        byte[] bytes = new byte[length];
        Array.Fill(bytes, value);
        return bytes;
    }

    private static Socket Peer()
    {
        var peer = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = TestWaits.ExpectMilliseconds };
        peer.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return peer;
    }

    private (IActorRef Socket, IPEndPoint Local) Bind(TestProbe handler)
    {
        TestProbe commander = CreateTestProbe();
        Sys.Io().Tell(new UdpMsg.Bind(handler, new IPEndPoint(IPAddress.Loopback, 0)), commander);
        UdpMsg.Bound bound = commander.ExpectMsg<UdpMsg.Bound>(Wait);
        return (commander.LastSender, (IPEndPoint)bound.LocalAddress);
    }
}
