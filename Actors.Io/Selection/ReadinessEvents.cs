using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

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
