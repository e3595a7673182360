using Akka.Actor;

namespace Actors.Io.Selection;

/// <summary>Asks a selector to register a channel's descriptor (the sender placed the channel there first, see
/// <see cref="SelectorPool.TryPlace"/>). The reply goes to <see cref="Owner"/>.</summary>
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
    : INoSerializationVerificationNeeded
{
    /// <summary>
    /// An actor to create first, also a child of the selector, that stands between the channel and its user (a TLS
    /// stage); <see cref="Props"/> is then made by <see cref="Behind"/> from its ref. Null for a plain channel.
    /// </summary>
    public Props? Front { get; init; }

    /// <summary>Makes the channel's props from <see cref="Front"/>'s ref.</summary>
    public Func<IActorRef, Props>? Behind { get; init; }
}

/// <summary>The channel could not be registered; its handle has been closed.</summary>
internal sealed record RegistrationFailed(Exception Cause) : INoSerializationVerificationNeeded;

/// <summary>
/// The selector holding the channel failed. The channel is deregistered; it is closed too unless it was registered with
/// <see cref="RegisterChannel.KeepOpenOnSelectorFailure"/> (<see cref="HandleKept"/>), in which case the owner may
/// register the same descriptor again (the selector restarts with a new poller).
/// </summary>
internal sealed record SelectorFailed(Exception Cause, bool HandleKept = false) : INoSerializationVerificationNeeded;
