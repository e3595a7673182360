namespace Actors.Io.TestKit;

/// <summary>
/// A rule of the Tcp or Udp protocol that the handler under test broke, as a <see cref="TestConnection"/> or a
/// <see cref="TestUdpSocket"/> saw it.
/// </summary>
public sealed class ProtocolViolation
{
    /// <summary>Creates the violation of <paramref name="rule"/>, described by <paramref name="message"/>.</summary>
    public ProtocolViolation(string rule, string message)
    {
        Rule = rule ?? throw new ArgumentNullException(nameof(rule));
        Message = message ?? throw new ArgumentNullException(nameof(message));
    }

    /// <summary>The rule, in a few words: for example <c>one Register per connection</c> or <c>no Write after Close</c>.</summary>
    public string Rule { get; }

    /// <summary>What happened, naming the rule and who broke it.</summary>
    public string Message { get; }

    /// <inheritdoc/>
    public override string ToString() => Message;
}
