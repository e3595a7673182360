namespace Actors.Io.Channels;

/// <summary>
/// A command of one of the protocols (<see cref="Tcp"/>, <see cref="Udp"/>, <see cref="UdpConnected"/>) together with the
/// failure that answers it, so the manager and the channels refuse any command through one path.
/// </summary>
internal interface IProtocolCommand
{
    /// <summary>The protocol's <c>CommandFailed</c> for this command with <paramref name="cause"/>.</summary>
    object FailureMessage(Exception cause);
}
