namespace Actors.Io.Selection;

/// <summary>The operations a registrant can arm on its channel.</summary>
[Flags]
internal enum Interest : byte
{
    /// <summary>Nothing armed; hang-up and errors are still reported.</summary>
    None = 0,

    /// <summary>Report <see cref="Readable"/>.</summary>
    Read = 1,

    /// <summary>Report <see cref="Writable"/>.</summary>
    Write = 2,

    /// <summary>Report <see cref="Acceptable"/> (a listening socket has a pending connection).</summary>
    Accept = 4,

    /// <summary>Report <see cref="Connectable"/> (a non-blocking connect finished, well or badly).</summary>
    Connect = 8,
}
