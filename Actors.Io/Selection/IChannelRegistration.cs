namespace Actors.Io.Selection;

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
