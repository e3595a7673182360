namespace Actors.Io.Streams;

/// <summary>
/// Where a stream connection is in its life. The usual path is AwaitingRegister → Open → Closing → Finished (an outgoing
/// connection starts in Connecting, one accepted behind a PROXY protocol proxy in ReadingProxyHeader); a peer that closes first leads through PeerClosed (keep-open) or straight to
/// Closing; ConfirmedClose passes HalfClosed; a close that may leave the peer's input unread passes Lingering; a
/// connection closed before anyone registered waits in ClosedUnreported.
/// Whether reading is suspended or pulled, and writing suspended, is kept apart from the state.
/// </summary>
internal enum ConnectionState : byte
{
    /// <summary>Outgoing: resolving the name and connecting; nobody has heard of the connection yet.</summary>
    Connecting,

    /// <summary>
    /// Accepted by a listener with <see cref="Tcp.SO.ProxyProtocol"/>: reading the proxy's header; nobody has heard of
    /// the connection yet, and nobody will if the header fails.
    /// </summary>
    ReadingProxyHeader,

    /// <summary>Connected was sent; waiting for Register (writes are taken, nothing is read).</summary>
    AwaitingRegister,

    /// <summary>Registered; reading and writing.</summary>
    Open,

    /// <summary>The peer's EOF was read and reported; the handler kept the connection open for writing.</summary>
    PeerClosed,

    /// <summary>A close was asked for (or the peer closed): flushing the queued writes before closing.</summary>
    Closing,

    /// <summary>ConfirmedClose: output shut down, reading until the peer's EOF.</summary>
    HalfClosed,

    /// <summary>Closed before anyone registered: waits (socket closed) for Register or its timeout to report how.</summary>
    ClosedUnreported,

    /// <summary>
    /// Closed and reported, output shut down: discarding what the peer still sends until its EOF, the linger time or the
    /// byte bound (<c>close-linger</c>), so the kernel does not reset the connection over unread input.
    /// </summary>
    Lingering,

    /// <summary>Closed and reported; the actor is stopping.</summary>
    Finished,
}
