using Akka.IO;

namespace Actors.Io.Sample.Chat;

/// <summary>What <see cref="LineReader.Next"/> found.</summary>
internal enum LineStatus
{
    /// <summary>No complete line: feed more bytes.</summary>
    NeedMore,

    /// <summary>A line (without its <c>\n</c> or <c>\r\n</c>).</summary>
    Line,

    /// <summary>A line passed the limit: it is discarded up to its end, and the caller reports it once.</summary>
    TooLong,
}

/// <summary>
/// Splits a client's byte stream into lines ending in <c>\n</c> or <c>\r\n</c>, at most <c>maxLineBytes</c> each (the
/// terminator not counted). Lines are found in the received bytes in place; only a line split across reads is copied,
/// into a buffer that exists while that line is incomplete, so an idle client holds no buffer. A line over the limit is
/// reported as soon as it passes it and its bytes are dropped as they come, so it never costs more than the limit.
/// Bytes are not decoded here: a UTF-8 character split across reads is whole again once its line is.
/// </summary>
internal sealed class LineReader(int maxLineBytes)
{
    private ByteString _input = ByteString.Empty;
    private int _position;
    private byte[]? _partial;
    private int _partialLength;
    private bool _discarding;
    private bool _partialHandedOut;

    /// <summary>True while bytes fed earlier are not all consumed.</summary>
    public bool HasInput => _position < _input.Count;

    /// <summary>True while an incomplete line is buffered.</summary>
    public bool HasPartialLine => _partialLength > 0 && !_partialHandedOut;

    /// <summary>The bytes held: the unconsumed input and the incomplete line's buffer (at most the limit plus one byte).</summary>
    public long BufferedBytes => (HasInput ? _input.Count - _position : 0) + (_partial?.Length ?? 0);

    /// <summary>Adds received bytes; call only when <see cref="HasInput"/> is false.</summary>
    public void Feed(ByteString data)
    {
        if (HasInput) throw new InvalidOperationException("the previous input is not consumed yet");
        _input = data.IsCompact ? data : data.Compact();
        _position = 0;
    }

    /// <summary>
    /// The next line in <paramref name="line"/>, valid until the next call; or <see cref="LineStatus.TooLong"/> (once per
    /// long line), or <see cref="LineStatus.NeedMore"/> when the fed bytes are used up.
    /// </summary>
    public LineStatus Next(out ReadOnlySpan<byte> line)
    {
        line = default;
        if (_partialHandedOut)
        {
            // The line handed out last time lived in the buffer: it is consumed now.
            ReleasePartial();
        }

        while (HasInput)
        {
            ReadOnlySpan<byte> rest = _input.ToReadOnlySpan()[_position..];
            int end = rest.IndexOf((byte)'\n');
            if (end < 0)
            {
                _position = _input.Count;
                _input = ByteString.Empty;
                if (_discarding) return LineStatus.NeedMore;
                if (!Append(rest) || PartialPassedLimit())
                {
                    _discarding = true;
                    ReleasePartial();
                    return LineStatus.TooLong;
                }

                return LineStatus.NeedMore;
            }

            _position += end + 1;
            ReadOnlySpan<byte> segment = rest[..end];
            if (!HasInput) _input = ByteString.Empty;
            if (_discarding)
            {
                _discarding = false;
                continue;
            }

            ReadOnlySpan<byte> candidate;
            if (_partialLength == 0) candidate = segment;
            else if (Append(segment))
            {
                candidate = _partial.AsSpan(0, _partialLength);
                _partialHandedOut = true;
            }
            else
            {
                ReleasePartial();
                return LineStatus.TooLong;
            }

            if (candidate.Length > 0 && candidate[^1] == (byte)'\r') candidate = candidate[..^1];
            if (candidate.Length > maxLineBytes)
            {
                if (_partialHandedOut) ReleasePartial();
                return LineStatus.TooLong;
            }

            line = candidate;
            return LineStatus.Line;
        }

        return LineStatus.NeedMore;
    }

    // An incomplete line may reach the limit plus one byte: that byte may be the '\r' of its "\r\n".
    private bool PartialPassedLimit() =>
        _partialLength > maxLineBytes + 1 || (_partialLength == maxLineBytes + 1 && _partial![_partialLength - 1] != (byte)'\r');

    private bool Append(ReadOnlySpan<byte> bytes)
    {
        int needed = _partialLength + bytes.Length;
        if (needed > maxLineBytes + 1) return false;
        if (_partial is null || _partial.Length < needed)
        {
            int size = Math.Min(maxLineBytes + 1, Math.Max(needed, Math.Max(256, (_partial?.Length ?? 0) * 2)));
            var grown = new byte[size];
            _partial?.AsSpan(0, _partialLength).CopyTo(grown);
            _partial = grown;
        }

        bytes.CopyTo(_partial.AsSpan(_partialLength));
        _partialLength = needed;
        return true;
    }

    private void ReleasePartial()
    {
        _partial = null;
        _partialLength = 0;
        _partialHandedOut = false;
    }
}
