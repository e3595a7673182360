using System.Net;

namespace Actors.Io.TestKit;

/// <summary>
/// How a <see cref="TestUdpSocket"/> behaves: what the real socket reads from configuration (<c>actors-io.udp.*</c>),
/// the address it reports as bound, and how its simulated kernel takes sends.
/// </summary>
public sealed record TestUdpSocketSettings
{
    /// <summary>
    /// The defaults: the library's reference configuration (<see cref="ActorsIo.ReferenceConfig"/>), a kernel that takes
    /// every send at once.
    /// </summary>
    public static readonly TestUdpSocketSettings Default = From(ActorsIoSettings.Create(ActorsIo.ReferenceConfig).Udp);

    /// <summary>
    /// The largest datagram (<c>actors-io.udp.max-datagram-size</c>): a larger <c>Send</c> fails with
    /// <c>CommandFailed</c>, a larger pushed datagram is dropped, as the real socket drops it.
    /// </summary>
    public int MaxDatagramSize { get; init; } = 64 * 1024;

    /// <summary>
    /// Sends held while the kernel's send buffer is full (<c>actors-io.udp.max-queued-sends</c>): past it a <c>Send</c>
    /// fails with <c>CommandFailed</c>. Only a held kernel (<see cref="KernelTakesSends"/> false) holds sends.
    /// </summary>
    public int MaxQueuedSends { get; init; } = 1024;

    /// <summary>
    /// True (the default): the kernel takes every send at once, so its ack follows at once. False: sends wait until
    /// <see cref="TestUdpSocket.AckPending"/> or <see cref="TestUdpSocket.ReleaseSends"/>, as with a full send buffer.
    /// </summary>
    public bool KernelTakesSends { get; init; } = true;

    /// <summary>
    /// The address reported in <c>Bound</c> by <see cref="TestUdpSocket.BindTo"/>; for a <c>Bind</c> that asks port 0,
    /// its port stands for the one the kernel would pick.
    /// </summary>
    public IPEndPoint LocalAddress { get; init; } = new(IPAddress.Loopback, 50000);

    /// <summary>
    /// The settings of a socket configured as <paramref name="udp"/> (for a test's own configuration:
    /// <c>From(ActorsIoSettings.Create(Sys.Settings.Config.WithFallback(ActorsIo.ReferenceConfig)).Udp)</c>), a kernel
    /// that takes every send at once.
    /// </summary>
    public static TestUdpSocketSettings From(UdpSettings udp)
    {
        ArgumentNullException.ThrowIfNull(udp);
        return new TestUdpSocketSettings { MaxDatagramSize = udp.MaxDatagramSize, MaxQueuedSends = udp.MaxQueuedSends };
    }
}
