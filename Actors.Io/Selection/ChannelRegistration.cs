using System.Runtime.InteropServices;
using Actors.Io.Native;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// One channel's place on a selector: its token (slot + generation), its descriptor, its owner and the interest the
/// owner has armed. The owner arms through this object with a direct, thread-safe system call (no message); the selector
/// reports events through <see cref="OnEvent"/>. For the owner, interest is one-shot per operation: once an operation's
/// message is sent it is disarmed until the owner arms it again.
/// <para>
/// In the kernel the interest stays armed (level-triggered, persistent) as long as it is wanted, so an owner that
/// re-arms after each event (a connection reading on every <see cref="Readable"/>) costs no system call to re-arm.
/// Disarming is lazy: only when an event arrives that nobody armed is the kernel's interest narrowed, and then in
/// one-shot mode, so an unmaskable hang-up or error reports once more at most.
/// </para>
/// </summary>
internal sealed class ChannelRegistration : IChannelRegistration
{
    private readonly IPoller _poller;
    private readonly Selector _selector;
    private readonly Lock _gate = new();
    private Interest _interest;
    private PollInterest _kernel;
    private bool _persistent;
    private bool _hangUpReported;
    private bool _closed;

    internal ChannelRegistration(IPoller poller, Selector selector, int slot, uint generation, SafeHandle handle, IActorRef owner)
    {
        _poller = poller;
        _selector = selector;
        Slot = slot;
        Generation = generation;
        Token = ((ulong)generation << 32) | (uint)slot;
        Handle = handle;
        Owner = owner;
    }

    /// <summary>The descriptor; owned by the registration and closed by <see cref="Close"/>.</summary>
    public SafeHandle Handle { get; }

    /// <summary>The actor that receives this channel's readiness events.</summary>
    public IActorRef Owner { get; }

    /// <inheritdoc/>
    public IInlineReader? InlineReader { get; set; }

    /// <summary>The id of the loop dispatcher of the selector holding this channel (put actors there to skip thread hops).</summary>
    public string LoopDispatcherId => _selector.Loop.Id;

    /// <summary>The index of the selector (and loop) holding this channel.</summary>
    public int SelectorIndex => _selector.Index;

    /// <summary>The interest currently armed (as far as the owner knows).</summary>
    public Interest Interest
    {
        get
        {
            lock (_gate) return _interest;
        }
    }

    /// <inheritdoc />
    public Exception? Failure { get; private set; }

    /// <summary>True once <see cref="Close"/> ran (or the selector closed the channel).</summary>
    public bool IsClosed
    {
        get
        {
            lock (_gate) return _closed;
        }
    }

    internal int Slot { get; }

    internal uint Generation { get; }

    internal ulong Token { get; }

    /// <summary>Next registration of the same owner; read and written by <see cref="RegistrationTable"/> only (selector thread).</summary>
    internal ChannelRegistration? NextOfOwner { get; set; }

    /// <summary>This channel's handler watch; read and written by <see cref="HandlerWatches"/> only (selector thread).</summary>
    internal HandlerWatches.Link HandlerLink;

    /// <summary>
    /// Arms <paramref name="ops"/> in addition to what is armed. <c>Arm(Interest.None)</c> re-arms only the hang-up and
    /// error watch after an event disarmed it (call it when you will not re-arm reading for a while).
    /// Returns false when the channel is closed or the system call failed.
    /// </summary>
    public bool Arm(Interest ops)
    {
        lock (_gate)
        {
            if (_closed) return false;
            _interest |= ops;
            PollInterest needed = ToPoll(_interest);
            if (_persistent && (_kernel & needed) == needed) return true;
            return Apply(needed, oneShot: false);
        }
    }

    /// <summary>Disarms <paramref name="ops"/>; hang-up and errors stay watched. The kernel is narrowed lazily, when an
    /// unwanted event arrives.</summary>
    public bool Disarm(Interest ops)
    {
        lock (_gate)
        {
            if (_closed) return false;
            _interest &= ~ops;
            return true;
        }
    }

    /// <inheritdoc />
    public void Close(IDisposable? resource = null)
    {
        lock (_gate)
        {
            if (_closed) return;
            _closed = true;
            _interest = Interest.None;
            _ = _poller.Remove(Handle);
        }

        _selector.Trace?.Debug("Channel of {0} deregistered and closed", Owner.Path);
        (resource ?? Handle).Dispose();
        _selector.Release(this);
    }

    /// <summary>Adds the channel to the poller (selector thread). Returns errno.</summary>
    internal int Register(Interest initial)
    {
        lock (_gate)
        {
            _interest = initial;
            _kernel = ToPoll(initial);
            int rc = _poller.Add(Handle, Token, _kernel, oneShot: false);
            _persistent = rc == 0;
            return rc;
        }
    }

    /// <summary>Set at registration: on a selector failure the descriptor is left open for the owner to register again.</summary>
    internal bool KeepOpenOnSelectorFailure { get; init; }

    /// <summary>Set at registration: the owner is the selector's child, whose end the selector learns without a watch.</summary>
    internal bool OwnerIsChild { get; init; }

    /// <summary>
    /// Closes the channel from the selector's side without telling the selector (it is stopping). On a failure a
    /// registration that keeps its descriptor is only deregistered; returns true when the descriptor was kept.
    /// </summary>
    internal bool CloseBySelector(Exception? failure)
    {
        if (failure is not null) Failure ??= failure;
        bool keep = failure is not null && KeepOpenOnSelectorFailure;
        lock (_gate)
        {
            if (_closed) return keep;
            _closed = true;
            _interest = Interest.None;
            _ = _poller.Remove(Handle);
        }

        if (!keep) Handle.Dispose();
        return keep;
    }

    /// <summary>
    /// Turns a poller event into the messages to send (selector thread): each armed operation the event covers fires and
    /// is disarmed; a hang-up or error that no armed operation covers becomes <see cref="HangUp"/>, once.
    /// Returns the operations that fired; <paramref name="hangUp"/> says whether to send <see cref="HangUp"/>.
    /// </summary>
    internal Interest OnEvent(PollEvents events, out bool hangUp)
    {
        hangUp = false;
        lock (_gate)
        {
            if (_closed) return Interest.None;
            const PollEvents readLike = PollEvents.Readable | PollEvents.ReadHangUp | PollEvents.HangUp | PollEvents.Error;
            const PollEvents writeLike = PollEvents.Writable | PollEvents.HangUp | PollEvents.Error;
            Interest fired = Interest.None;
            if ((events & readLike) != 0) fired |= _interest & (Interest.Read | Interest.Accept);
            if ((events & writeLike) != 0) fired |= _interest & (Interest.Write | Interest.Connect);
            if ((events & (PollEvents.ReadHangUp | PollEvents.HangUp | PollEvents.Error)) != 0)
            {
                // Only a HangUp actually sent counts as reported: when a Readable or Writable covered the event, the
                // owner may not act on it (reading suspended), so the hang-up must still be reported when it recurs.
                hangUp = fired == Interest.None && !_hangUpReported;
                if (hangUp) _hangUpReported = true;
            }

            _interest &= ~fired;
            if (!_persistent)
            {
                // One-shot mode: the kernel disabled the registration with this event.
                if (_interest != Interest.None) Apply(ToPoll(_interest), oneShot: false);
            }
            else if (fired == Interest.None)
            {
                // Nobody wanted this (level-triggered, it would repeat every wait): narrow the kernel to what is armed.
                Apply(ToPoll(_interest), oneShot: true);
            }

            return fired;
        }
    }

    private bool Apply(PollInterest interest, bool oneShot)
    {
        _selector.Trace?.Debug("Channel of {0}: interest {1}{2}", Owner.Path, _interest, _hangUpReported ? string.Empty : " + hang-up");
        int rc = _poller.Modify(Handle, Token, interest, withHangUp: !_hangUpReported, oneShot);
        _kernel = interest;
        _persistent = rc == 0 && !oneShot;
        return rc == 0;
    }

    private static PollInterest ToPoll(Interest interest)
    {
        PollInterest poll = PollInterest.None;
        if ((interest & (Interest.Read | Interest.Accept)) != 0) poll |= PollInterest.Read;
        if ((interest & (Interest.Write | Interest.Connect)) != 0) poll |= PollInterest.Write;
        return poll;
    }
}
