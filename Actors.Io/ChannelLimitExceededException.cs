namespace Actors.Io;

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
