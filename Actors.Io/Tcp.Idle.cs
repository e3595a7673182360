using System.Globalization;

namespace Actors.Io;

public static partial class Tcp
{
    /// <summary>What a connection does when it has been idle for its <see cref="IdleTimeout"/>.</summary>
    public enum IdleAction
    {
        /// <summary>Tells the handler <see cref="Idle"/> (once per idle period) and stays open.</summary>
        Notify,

        /// <summary>Closes as <see cref="Close"/> does (queued writes go out first) and tells the handler <see cref="IdleClosed"/>.</summary>
        Close,
    }

    /// <summary>Which side of a connection went idle.</summary>
    public enum IdleSide
    {
        /// <summary>Nothing was read from the peer for <see cref="IdleTimeout.Reader"/>.</summary>
        Reader,

        /// <summary>Nothing was written to the peer for <see cref="IdleTimeout.Writer"/>.</summary>
        Writer,

        /// <summary>Nothing was read or written for <see cref="IdleTimeout.Both"/>.</summary>
        Both,
    }

    /// <summary>
    /// How long a connection may go without reading, without writing, or without either, and what happens then
    /// (<see cref="Action"/>). Given at <see cref="Register"/> (<c>idleTimeout</c>) or, for every connection registered
    /// without one, by <c>actors-io.tcp.idle-timeout</c> (off by default). A zero duration turns that side's timeout off.
    /// Reading means bytes arrived from the peer; writing means the handler wrote, or queued bytes went out to the kernel.
    /// <para>
    /// Timeouts are checked by a sweep per selector, at a resolution of an eighth of the shortest timeout on it (at least
    /// 100 ms, at most 1 s), so a timeout fires no earlier than its duration and at most two resolutions later.
    /// </para>
    /// </summary>
    public sealed class IdleTimeout
    {
        /// <summary>No idle timeout on any side.</summary>
        public static readonly IdleTimeout Off = new();

        /// <summary>The longest timeout accepted: 365 days.</summary>
        public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(365);

        /// <summary>Creates a timeout; each side is off at <see cref="TimeSpan.Zero"/>.</summary>
        /// <param name="reader">Nothing read for this long: <see cref="IdleSide.Reader"/>.</param>
        /// <param name="writer">Nothing written for this long: <see cref="IdleSide.Writer"/>.</param>
        /// <param name="both">Nothing read nor written for this long: <see cref="IdleSide.Both"/>.</param>
        /// <param name="action">Notify the handler, or close the connection.</param>
        /// <exception cref="ArgumentOutOfRangeException">A duration is negative or over <see cref="MaxTimeout"/>, or
        /// <paramref name="action"/> is not an <see cref="IdleAction"/>.</exception>
        public IdleTimeout(TimeSpan reader = default, TimeSpan writer = default, TimeSpan both = default, IdleAction action = IdleAction.Notify)
        {
            Reader = Checked(reader, nameof(reader));
            Writer = Checked(writer, nameof(writer));
            Both = Checked(both, nameof(both));
            Action = Enum.IsDefined(action) ? action : throw new ArgumentOutOfRangeException(nameof(action), action, "Notify or Close.");
        }

        /// <summary>How long the connection may read nothing; <see cref="TimeSpan.Zero"/> when off.</summary>
        public TimeSpan Reader { get; }

        /// <summary>How long the connection may write nothing; <see cref="TimeSpan.Zero"/> when off.</summary>
        public TimeSpan Writer { get; }

        /// <summary>How long the connection may neither read nor write; <see cref="TimeSpan.Zero"/> when off.</summary>
        public TimeSpan Both { get; }

        /// <summary>What happens when a side passes its timeout.</summary>
        public IdleAction Action { get; }

        /// <summary>True when every side is off.</summary>
        public bool IsOff => Reader == TimeSpan.Zero && Writer == TimeSpan.Zero && Both == TimeSpan.Zero;

        /// <summary>The timeout of <paramref name="side"/>; <see cref="TimeSpan.Zero"/> when off.</summary>
        public TimeSpan Of(IdleSide side) => side switch
        {
            IdleSide.Reader => Reader,
            IdleSide.Writer => Writer,
            _ => Both,
        };

        /// <inheritdoc />
        public override string ToString() =>
            IsOff ? "IdleTimeout(off)" : string.Create(CultureInfo.InvariantCulture, $"IdleTimeout(reader {Reader}, writer {Writer}, both {Both}, {Action})");

        private static TimeSpan Checked(TimeSpan value, string name) =>
            value >= TimeSpan.Zero && value <= MaxTimeout
                ? value
                : throw new ArgumentOutOfRangeException(name, value, "An idle timeout is 0 (off) or a positive duration up to 365 days.");
    }

    /// <summary>
    /// The connection has been idle on <see cref="Side"/> for its <see cref="IdleTimeout"/> (registered with
    /// <see cref="IdleAction.Notify"/>). Sent once per idle period: again only after activity on that side and a new
    /// period without any. One shared instance per side.
    /// </summary>
    public sealed class Idle : Event
    {
        /// <summary>Nothing was read for the reader timeout.</summary>
        public static readonly Idle Reader = new(IdleSide.Reader);

        /// <summary>Nothing was written for the writer timeout.</summary>
        public static readonly Idle Writer = new(IdleSide.Writer);

        /// <summary>Nothing was read nor written for the both-sides timeout.</summary>
        public static readonly Idle Both = new(IdleSide.Both);

        private Idle(IdleSide side) => Side = side;

        /// <summary>The side that went idle.</summary>
        public IdleSide Side { get; }

        /// <summary>The instance for <paramref name="side"/>.</summary>
        public static Idle For(IdleSide side) => side switch
        {
            IdleSide.Reader => Reader,
            IdleSide.Writer => Writer,
            _ => Both,
        };

        /// <inheritdoc />
        public override string ToString() => $"Idle({Side})";
    }

    /// <summary>
    /// The connection closed itself after being idle on <see cref="Side"/> for <see cref="Timeout"/> (registered with
    /// <see cref="IdleAction.Close"/>). The close is a normal one, as after <see cref="Close"/>: queued writes went out,
    /// then the end of stream, so the peer reads everything and then EOF. Not an error: <see cref="ConnectionClosed.IsErrorClosed"/>
    /// is false and no failure is counted.
    /// </summary>
    public sealed class IdleClosed(IdleSide side, TimeSpan timeout) : ConnectionClosed
    {
        /// <summary>The side that went idle.</summary>
        public IdleSide Side { get; } = side;

        /// <summary>The timeout it passed.</summary>
        public TimeSpan Timeout { get; } = timeout;

        /// <inheritdoc />
        public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"IdleClosed({Side} idle for {Timeout})");
    }
}
