using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>The operations a registrant can arm on its channel.</summary>
[Flags]
internal enum Interest : byte
{
    /// <summary>Nothing armed; hang-up and errors are still reported.</summary>
    None = 0,

    /// <summary>Report <see cref="Readable"/>.</summary>
    Read = 1,

    /// <summary>Report <see cref="Writable"/>.</summary>
    Write = 2,

    /// <summary>Report <see cref="Acceptable"/> (a listening socket has a pending connection).</summary>
    Accept = 4,

    /// <summary>Report <see cref="Connectable"/> (a non-blocking connect finished, well or badly).</summary>
    Connect = 8,
}

/// <summary>Marker for the readiness messages a selector sends its registrants.</summary>
internal abstract class ReadinessEvent : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
}

/// <summary>The channel can be read (or has reached EOF or an error). Read interest is now disarmed.</summary>
internal sealed class Readable : ReadinessEvent
{
    public static readonly Readable Instance = new();

    private Readable()
    {
    }
}

/// <summary>The channel can be written (or has an error). Write interest is now disarmed.</summary>
internal sealed class Writable : ReadinessEvent
{
    public static readonly Writable Instance = new();

    private Writable()
    {
    }
}

/// <summary>A listening channel has connections to accept. Accept interest is now disarmed.</summary>
internal sealed class Acceptable : ReadinessEvent
{
    public static readonly Acceptable Instance = new();

    private Acceptable()
    {
    }
}

/// <summary>A connecting channel finished connecting (check SO_ERROR). Connect interest is now disarmed.</summary>
internal sealed class Connectable : ReadinessEvent
{
    public static readonly Connectable Instance = new();

    private Connectable()
    {
    }
}

/// <summary>
/// The peer closed its side, or the channel has an error, and no armed interest covered it. Sent once per registration,
/// even while nothing is armed, so a close is never missed while reading is suspended.
/// </summary>
internal sealed class HangUp : ReadinessEvent
{
    public static readonly HangUp Instance = new();

    private HangUp()
    {
    }
}

/// <summary>Asks the IoManager to place a channel on a selector. The reply goes to <see cref="Owner"/>.</summary>
/// <param name="Handle">The channel's descriptor. The registration owns it from now on and closes it.</param>
/// <param name="Owner">The actor that receives readiness events; its death closes the registration.</param>
/// <param name="InitialInterest">What to arm at once.</param>
/// <param name="KeepOpenOnSelectorFailure">When the selector fails, deregister but leave the descriptor open and
/// tell the owner (<see cref="SelectorFailed.HandleKept"/>), which registers it again: a listener survives that way.</param>
internal sealed record RegisterChannel(System.Runtime.InteropServices.SafeHandle Handle, IActorRef Owner, Interest InitialInterest, bool KeepOpenOnSelectorFailure = false)
    : INoSerializationVerificationNeeded;

/// <summary>The channel is registered; the owner drives its interest through <see cref="Registration"/>.</summary>
internal sealed record ChannelRegistered(IChannelRegistration Registration) : INoSerializationVerificationNeeded;

/// <summary>
/// Asks a selector to create a channel actor as its child, on its loop, and (when <paramref name="Handle"/> is given) to
/// register that descriptor for it at once: the child's first message is then <see cref="ChannelRegistered"/>. The
/// sender has already placed the channel (<see cref="SelectorPool.TryPlace"/>).
/// </summary>
internal sealed record SpawnChannel(Props Props, System.Runtime.InteropServices.SafeHandle? Handle, Interest InitialInterest)
    : INoSerializationVerificationNeeded;

/// <summary>What a channel actor needs of its registration; the selector's <see cref="ChannelRegistration"/> or a test fake.</summary>
internal interface IChannelRegistration
{
    /// <summary>Arms <paramref name="ops"/>; <c>Arm(Interest.None)</c> re-arms only the hang-up watch. False when closed.</summary>
    bool Arm(Interest ops);

    /// <summary>Disarms <paramref name="ops"/>.</summary>
    bool Disarm(Interest ops);

    /// <summary>
    /// Deregisters, then closes the descriptor by disposing <paramref name="resource"/> (the <see cref="System.Net.Sockets.Socket"/>
    /// that wraps it, so a TCP close is graceful) or, without one, the handle itself; idempotent.
    /// </summary>
    void Close(IDisposable? resource = null);

    /// <summary>The selector's failure that closed the channel, if that is what closed it.</summary>
    Exception? Failure { get; }

    /// <summary>
    /// The channel's reader that the selector calls on a read event instead of sending <see cref="Readable"/> (see
    /// <see cref="IInlineReader"/>); null sends the message. Set and read on the loop thread only.
    /// </summary>
    IInlineReader? InlineReader { get; set; }
}

/// <summary>
/// A channel that can serve a read event where the selector sees it, on the loop thread, saving the hop through its
/// mailbox. It does so only when that is the same as handling <see cref="Readable"/> now: the channel is idle (nothing
/// queued for it) and the read ends normally. Otherwise it answers false and the selector sends the message.
/// </summary>
internal interface IInlineReader
{
    /// <summary>Reads for a read event, or returns false for the selector to send <see cref="Readable"/>. Never throws.</summary>
    bool TryReadInline();
}

/// <summary>The channel could not be registered; its handle has been closed.</summary>
internal sealed record RegistrationFailed(Exception Cause) : INoSerializationVerificationNeeded;

/// <summary>
/// The selector holding the channel failed. The channel is deregistered; it is closed too unless it was registered with
/// <see cref="RegisterChannel.KeepOpenOnSelectorFailure"/> (<see cref="HandleKept"/>), in which case the owner may
/// register the same descriptor again (the selector restarts with a new poller).
/// </summary>
internal sealed record SelectorFailed(Exception Cause, bool HandleKept = false) : INoSerializationVerificationNeeded;

/// <summary>Raised when a registration would exceed <c>actors-io.max-channels</c>.</summary>
public sealed class ChannelLimitExceededException : Exception
{
    /// <summary>Creates the exception for a limit of <paramref name="maxChannels"/>.</summary>
    public ChannelLimitExceededException(int maxChannels)
        : base($"actors-io.max-channels = {maxChannels} reached; the channel was refused and closed.") =>
        MaxChannels = maxChannels;

    /// <summary>The configured limit.</summary>
    public int MaxChannels { get; }
}

/// <summary>Raised when a selector's poller fails; registrants of that selector receive it as the cause.</summary>
public sealed class SelectorFailedException : Exception
{
    /// <summary>Creates the exception with a message naming the selector and the failed call.</summary>
    public SelectorFailedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}

/// <summary>
/// From a channel's owner to its selector: watch <see cref="Handler"/> for me and tell me <see cref="HandlerTerminated"/>
/// when it dies. The selector holds one watch per handler however many channels it serves, so a connection does not pay
/// for a watch of its own (Akka keeps a watcher dictionary and more in every actor that watches). Answered with
/// <see cref="HandlerWatchRefused"/> when the selector does not know the owner's channel.
/// </summary>
internal sealed record WatchHandler(IActorRef Handler) : INoSerializationVerificationNeeded;

/// <summary>The handler that <see cref="WatchHandler"/> asked about has stopped.</summary>
internal sealed class HandlerTerminated : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly HandlerTerminated Instance = new();

    private HandlerTerminated()
    {
    }
}

/// <summary>The selector has no channel of the sender to hang a <see cref="WatchHandler"/> on: watch it yourself.</summary>
internal sealed class HandlerWatchRefused : INoSerializationVerificationNeeded, IDeadLetterSuppression
{
    public static readonly HandlerWatchRefused Instance = new();

    private HandlerWatchRefused()
    {
    }
}
