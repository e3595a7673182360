namespace Actors.Io.Tests.Support;

/// <summary>How long a test waits for what it expects.</summary>
internal static class TestWaits
{
    /// <summary>
    /// The longest a test waits for anything it expects: a message, a condition, a connect, a socket read or write. A
    /// passing test never waits this long; a failing one fails after it.
    /// </summary>
    public static readonly TimeSpan Expect = TimeSpan.FromSeconds(5);

    /// <summary><see cref="Expect"/> in milliseconds, for socket send and receive timeouts.</summary>
    public static int ExpectMilliseconds => (int)Expect.TotalMilliseconds;
}
