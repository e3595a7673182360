namespace Actors.Io;

/// <summary>Raised when a selector's poller fails; registrants of that selector receive it as the cause.</summary>
public sealed class SelectorFailedException : Exception
{
    /// <summary>Creates the exception with a message naming the selector and the failed call.</summary>
    public SelectorFailedException(string message, Exception? inner = null)
        : base(message, inner)
    {
    }
}
