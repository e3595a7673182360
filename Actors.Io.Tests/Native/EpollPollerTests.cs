using System.Diagnostics;
using System.Net.Sockets;
using Actors.Io.Native;
using Actors.Io.Tests.Support;

namespace Actors.Io.Tests.Native;

public sealed class EpollPollerTests
{
    private const ulong Token = 42;
    private const int ReadyTimeoutMs = 1000;
    private const int QuietTimeoutMs = 100;

    private static readonly byte[] OneByte = [1];

    [Fact]
    public void Readable_FiresOncePerArm()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read));

        RawIo.WriteAll(pair.Right, OneByte);

        PollEvents events = WaitSingle(poller, Token);
        Assert.True(events.HasFlag(PollEvents.Readable));
        Assert.False(events.HasFlag(PollEvents.Writable));
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public void Modify_RearmsAndFiresAgainWhileDataRemains()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read));
        RawIo.WriteAll(pair.Right, OneByte);
        Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.Readable));

        Assert.Equal(0, poller.Modify(pair.Left, Token, PollInterest.Read, withHangUp: true));

        Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.Readable));
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public void Persistent_ReportsAtEveryWaitWhileDataRemains_WithoutModify()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read, oneShot: false));
        RawIo.WriteAll(pair.Right, OneByte);

        for (int i = 0; i < 3; i++) Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.Readable));

        // Narrowed in one-shot mode: one more report at most, then quiet.
        Assert.Equal(0, poller.Modify(pair.Left, Token, PollInterest.None, withHangUp: true, oneShot: true));
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public void Writable_FiresOnAnEmptySocket()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Write));

        PollEvents events = WaitSingle(poller, Token);
        Assert.True(events.HasFlag(PollEvents.Writable));
        Assert.False(events.HasFlag(PollEvents.Readable));
    }

    [Fact]
    public void Remove_StopsEvents()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read));
        Assert.Equal(0, poller.Remove(pair.Left));

        RawIo.WriteAll(pair.Right, OneByte);

        Assert.Equal(0, poller.Wait(QuietTimeoutMs));
    }

    [Fact]
    public void Wait_WithNothingReady_TimesOutWithZero()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read));

        Assert.Equal(0, poller.Wait(0));
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public async Task Wake_ReleasesABlockedWaitPromptly()
    {
        using var poller = new EpollPoller(16);
        using var waiting = new ManualResetEventSlim();
        Task<(int Count, ulong Token, PollEvents Events, TimeSpan Elapsed)> waiter = Task.Factory.StartNew(
            () =>
            {
                waiting.Set();
                var clock = Stopwatch.StartNew();
                int n = poller.Wait(5000);
                TimeSpan elapsed = clock.Elapsed;
                ulong token = 0;
                PollEvents events = PollEvents.None;
                if (n > 0) poller.GetEvent(0, out token, out events);
                return (n, token, events, elapsed);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default);
        Assert.True(waiting.Wait(TestWaits.Expect));

        poller.Wake();

        var result = await waiter.WaitAsync(TestWaits.Expect);
        Assert.Equal(1, result.Count);
        Assert.Equal(IPoller.WakeToken, result.Token);
        Assert.True(result.Events.HasFlag(PollEvents.Readable));
        // Well under the 5 s timeout, with room for a loaded machine's stalls.
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(4), $"Wait returned after {result.Elapsed}");

        poller.ClearWake();
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public void Wake_StaysReportedUntilCleared()
    {
        using var poller = new EpollPoller(16);
        poller.Wake();

        Assert.Equal(IPoller.WakeToken, WaitSingleToken(poller));
        Assert.Equal(IPoller.WakeToken, WaitSingleToken(poller));

        poller.ClearWake();
        Assert.Equal(0, poller.Wait(50));
    }

    [Fact]
    public void ClearWake_WithoutAWake_DoesNotBlock()
    {
        using var poller = new EpollPoller(16);
        poller.ClearWake();
        Assert.Equal(0, poller.Wait(0));
    }

    [Fact]
    public void HangUp_IsReportedWithNoInterestArmed_WhenThePeerCloses()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.None));
        Assert.Equal(0, poller.Wait(50));

        pair.Right.Dispose();

        PollEvents events = WaitSingle(poller, Token);
        Assert.True((events & (PollEvents.ReadHangUp | PollEvents.HangUp)) != 0, $"events: {events}");
        Assert.False(events.HasFlag(PollEvents.Readable));
    }

    [Fact]
    public void ReadHangUp_IsReportedWithNoInterestArmed_WhenThePeerHalfCloses()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.None));

        Assert.Equal(0, Sockets.Shutdown(pair.Right, Sockets.SHUT_WR));

        PollEvents events = WaitSingle(poller, Token);
        Assert.Equal(PollEvents.ReadHangUp, events);
    }

    [Fact]
    public void HangUp_IsReportedWithNoInterestArmed_OnAPipeWhoseWriterCloses()
    {
        using var poller = new EpollPoller(16);
        using var pipe = PipePair.Create();
        Assert.Equal(0, poller.Add(pipe.Read, Token, PollInterest.None));

        pipe.Write.Dispose();

        Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.HangUp));
    }

    [Fact]
    public void Error_IsReportedWithNoInterestArmed_WhenThePeerResets()
    {
        using var poller = new EpollPoller(16);
        using var tcp = TcpPair.Create();
        Assert.Equal(0, poller.Add(tcp.Server.SafeHandle, Token, PollInterest.None));

        tcp.Client.LingerState = new LingerOption(true, 0);
        tcp.Client.Close();

        PollEvents events = WaitSingle(poller, Token);
        Assert.True((events & (PollEvents.Error | PollEvents.HangUp)) != 0, $"events: {events}");
        Assert.Equal(0, Sockets.GetPendingError(tcp.Server.SafeHandle, out int socketError));
        Assert.Equal(Errno.ECONNRESET, socketError);
    }

    [Fact]
    public void ModifyWithoutHangUp_AfterAHalfClose_ReportsNothing()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.None));
        Assert.Equal(0, Sockets.Shutdown(pair.Right, Sockets.SHUT_WR));
        Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.ReadHangUp));

        // Re-arming the hang-up would report the same condition again at once (level-triggered)...
        Assert.Equal(0, poller.Modify(pair.Left, Token, PollInterest.None, withHangUp: true));
        Assert.True(WaitSingle(poller, Token).HasFlag(PollEvents.ReadHangUp));

        // ...so a caller that has seen it re-arms without it, and the poller stays quiet.
        Assert.Equal(0, poller.Modify(pair.Left, Token, PollInterest.None, withHangUp: false));
        Assert.Equal(0, poller.Wait(QuietTimeoutMs));
    }

    [Fact]
    public void Modify_OnAnUnregisteredDescriptor_ReturnsEnoent()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();

        Assert.Equal(Errno.ENOENT, poller.Modify(pair.Left, Token, PollInterest.Read, withHangUp: true));
        Assert.Equal(Errno.ENOENT, poller.Remove(pair.Left));
        Assert.Equal(2, Errno.ENOENT);
    }

    [Fact]
    public void Add_Twice_ReturnsEexist()
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();

        Assert.Equal(0, poller.Add(pair.Left, Token, PollInterest.Read));
        Assert.Equal(Errno.EEXIST, poller.Add(pair.Left, Token, PollInterest.Read));
        Assert.Equal(17, Errno.EEXIST);
    }

    [Fact]
    public void Calls_WithAClosedDescriptorHandle_ReturnEbadf()
    {
        using var poller = new EpollPoller(16);
        var pair = UnixPair.Create();
        pair.Dispose();

        Assert.Equal(Errno.EBADF, poller.Add(pair.Left, Token, PollInterest.Read));
        Assert.Equal(Errno.EBADF, poller.Modify(pair.Left, Token, PollInterest.Read, withHangUp: true));
        Assert.Equal(Errno.EBADF, poller.Remove(pair.Left));
    }

    [Fact]
    public void Calls_AfterThePollerIsDisposed_ReturnErrnoInsteadOfThrowing()
    {
        var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        poller.Dispose();

        Assert.Equal(-Errno.EBADF, poller.Wait(0));
        Assert.Equal(Errno.EBADF, poller.Add(pair.Left, Token, PollInterest.Read));
        Assert.Equal(Errno.EBADF, poller.Modify(pair.Left, Token, PollInterest.Read, withHangUp: true));
        Assert.Equal(Errno.EBADF, poller.Remove(pair.Left));
    }

    [Fact]
    public void Dispose_TwiceAndWakeAfterDispose_DoNotThrow()
    {
        var poller = new EpollPoller(16);
        poller.Dispose();
        poller.Wake();
        poller.ClearWake();
        poller.Dispose();
    }

    [Theory]
    [InlineData(0xFEDC_BA98_7654_3210UL)]
    [InlineData(0x8000_0000_0000_0001UL)]
    [InlineData(0UL)]
    [InlineData(ulong.MaxValue - 1)]
    public void Token_ComesBackIntact(ulong token)
    {
        using var poller = new EpollPoller(16);
        using var pair = UnixPair.Create();
        Assert.Equal(0, poller.Add(pair.Left, token, PollInterest.Write));

        Assert.True(WaitSingle(poller, token).HasFlag(PollEvents.Writable));
    }

    [Fact]
    public void Wait_ReturnsAtMostCapacityEvents()
    {
        using var poller = new EpollPoller(1);
        using var first = UnixPair.Create();
        using var second = UnixPair.Create();
        Assert.Equal(0, poller.Add(first.Left, 1, PollInterest.Write));
        Assert.Equal(0, poller.Add(second.Left, 2, PollInterest.Write));

        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));
        poller.GetEvent(0, out ulong firstToken, out _);
        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));
        poller.GetEvent(0, out ulong secondToken, out _);

        Assert.Equal([1UL, 2UL], new[] { firstToken, secondToken }.Order());
        Assert.Equal(0, poller.Wait(0));
    }

    [Fact]
    public void Constructor_RejectsANonPositiveCapacity()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpollPoller(0));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EpollPoller(-1));
    }

    /// <summary>Waits for exactly one event, asserts its token, and returns what it reported.</summary>
    private static PollEvents WaitSingle(EpollPoller poller, ulong expectedToken)
    {
        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));
        poller.GetEvent(0, out ulong token, out PollEvents events);
        Assert.Equal(expectedToken, token);
        return events;
    }

    private static ulong WaitSingleToken(EpollPoller poller)
    {
        Assert.Equal(1, poller.Wait(ReadyTimeoutMs));
        poller.GetEvent(0, out ulong token, out _);
        return token;
    }
}
