using System.Net;

namespace Actors.Io.TestKit;

/// <summary>
/// How a <see cref="TestConnection"/> behaves: what the real connection reads from configuration
/// (<c>actors-io.tcp.*</c>) and from the Bind or Connect that opened it, and how its simulated kernel takes writes.
/// </summary>
public sealed record TestConnectionSettings
{
    /// <summary>
    /// The defaults: the library's reference configuration (<see cref="ActorsIo.ReferenceConfig"/>), a kernel that takes
    /// every write at once.
    /// </summary>
    public static readonly TestConnectionSettings Default = From(ActorsIoSettings.Create(ActorsIo.ReferenceConfig).Tcp);

    /// <summary>
    /// The bound on bytes queued and not yet taken by the kernel (<c>actors-io.tcp.max-pending-write-bytes</c>): a write
    /// that finds bytes queued and would pass it is NACKed. Only a held kernel (<see cref="KernelTakesWrites"/> false)
    /// queues bytes.
    /// </summary>
    public long MaxPendingWriteBytes { get; init; } = 4 * 1024 * 1024;

    /// <summary>
    /// The settings of a connection configured as <paramref name="tcp"/> (for a test's own configuration:
    /// <c>From(ActorsIoSettings.Create(Sys.Settings.Config.WithFallback(ActorsIo.ReferenceConfig)).Tcp)</c>), a kernel
    /// that takes every write at once.
    /// </summary>
    public static TestConnectionSettings From(TcpSettings tcp)
    {
        ArgumentNullException.ThrowIfNull(tcp);
        return new TestConnectionSettings { MaxPendingWriteBytes = tcp.MaxPendingWriteBytes, RegisterTimeout = tcp.RegisterTimeout, IdleTimeout = tcp.IdleTimeout };
    }

    /// <summary>How long the connection waits for <c>Register</c> (<c>actors-io.tcp.register-timeout</c>).</summary>
    public TimeSpan RegisterTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// The idle timeout of a connection registered without one (<c>actors-io.tcp.idle-timeout</c>; off by default).
    /// Time passes for it only through <see cref="TestConnection.ElapseIdle"/>.
    /// </summary>
    public Tcp.IdleTimeout IdleTimeout { get; init; } = Tcp.IdleTimeout.Off;

    /// <summary>As if opened in pull mode: nothing is delivered until <c>ResumeReading</c>, then one push per request.</summary>
    public bool PullMode { get; init; }

    /// <summary>
    /// True (the default): the kernel takes every write as soon as it is queued, so it is acked at once. False: writes
    /// wait until <see cref="TestConnection.AckPending"/> or <see cref="TestConnection.ReleaseWrites"/>, as for a peer
    /// that reads slowly.
    /// </summary>
    public bool KernelTakesWrites { get; init; } = true;

    /// <summary>The peer's address, reported in <c>Connected</c>.</summary>
    public EndPoint RemoteAddress { get; init; } = new IPEndPoint(IPAddress.Loopback, 50001);

    /// <summary>This side's address, reported in <c>Connected</c>.</summary>
    public EndPoint LocalAddress { get; init; } = new IPEndPoint(IPAddress.Loopback, 50000);
}
