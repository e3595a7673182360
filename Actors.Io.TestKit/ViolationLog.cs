using Akka.Actor;
using Akka.TestKit;

namespace Actors.Io.TestKit;

/// <summary>
/// The violations a test actor reported (to <see cref="Ref"/>), as the test side sees them: the ones not yet expected
/// fail the next expectation.
/// </summary>
internal sealed class ViolationLog(TestProbe reports, ITestKitAssertions assertions)
{
    private readonly List<ProtocolViolation> _seen = [];

    /// <summary>Where the test actor reports a violation.</summary>
    public IActorRef Ref => reports.Ref;

    /// <summary>The violations reported so far and not yet expected.</summary>
    public IReadOnlyList<ProtocolViolation> Unexpected
    {
        get
        {
            Drain();
            return [.. _seen];
        }
    }

    /// <summary>The violation the test actor reports when <paramref name="rule"/> is broken as <paramref name="detail"/> says.</summary>
    public static ProtocolViolation Of(string rule, string detail) => new(rule, $"Protocol violation ({rule}): {detail}.");

    /// <summary>Waits for a violation of <paramref name="rule"/> and returns it.</summary>
    public ProtocolViolation Expect(string rule, TimeSpan? timeout)
    {
        Drain();
        ProtocolViolation? found = _seen.Find(v => v.Rule == rule);
        found ??= reports.FishForMessage<ProtocolViolation>(v => v.Rule == rule || Keep(v), timeout);
        _seen.Remove(found);
        return found;
    }

    /// <summary>Fails the test with every violation not expected.</summary>
    public void AssertNone()
    {
        Drain();
        if (_seen.Count > 0) assertions.Fail("{0}", string.Join(Environment.NewLine, _seen));
    }

    private bool Keep(ProtocolViolation violation)
    {
        _seen.Add(violation);
        return false;
    }

    private void Drain()
    {
        while (reports.HasMessages && reports.ReceiveOne(TimeSpan.Zero) is ProtocolViolation violation) _seen.Add(violation);
    }
}
