using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace Actors.Io.Streams;

/// <summary>How far <see cref="ProxyHeader.Parse"/> got.</summary>
internal enum ProxyHeaderStatus
{
    /// <summary>A valid beginning: more bytes are needed, at most <see cref="ProxyHeaderResult.Length"/> in all.</summary>
    Incomplete,

    /// <summary>A whole header of <see cref="ProxyHeaderResult.Length"/> bytes; the bytes after it are the connection's.</summary>
    Complete,

    /// <summary>Not a PROXY header, or one of a version not accepted: <see cref="ProxyHeaderResult.Error"/> says why.</summary>
    Invalid,
}

/// <summary>
/// What <see cref="ProxyHeader.Parse"/> found. <see cref="Source"/> is the client's address, null when the header gives
/// none (version 2 LOCAL, version 1 UNKNOWN, an unspecified or Unix family): then the socket's peer stands.
/// </summary>
internal readonly record struct ProxyHeaderResult(ProxyHeaderStatus Status, int Length, IPEndPoint? Source, IPEndPoint? Destination, string? Error);

/// <summary>
/// The PROXY protocol header parser (HAProxy's proxy-protocol.txt, versions 1 and 2). It looks only at the bytes given,
/// so it is called again with more until the header is complete; it never asks for more than the header can hold, so a
/// reader that takes exactly <see cref="ProxyHeaderResult.Length"/> bytes leaves the connection's own bytes unread.
/// </summary>
internal static class ProxyHeader
{
    /// <summary>The longest version 1 line, its CRLF included.</summary>
    public const int V1MaxLength = 107;

    /// <summary>The fixed part of a version 2 header: signature, version and command, family and protocol, length.</summary>
    public const int V2FixedLength = 16;

    /// <summary>
    /// The most bytes of addresses and TLVs a version 2 header may carry here (the format allows 65535): enough for the
    /// TLVs load balancers send (TLS details, endpoint ids), and a bound on what an unauthenticated peer can make us hold.
    /// </summary>
    public const int V2MaxBlockLength = 4096;

    public const string NotProxy = "not a PROXY protocol header";
    public const string V1NotAccepted = "a version 1 header where only version 2 is accepted";
    public const string V2NotAccepted = "a version 2 header where only version 1 is accepted";
    public const string V1TooLong = "a version 1 line without CRLF in its first 107 bytes";
    public const string V1BadCharacter = "a version 1 line with a byte that is not printable ASCII";
    public const string V1BadProtocol = "a version 1 protocol other than TCP4, TCP6 or UNKNOWN";
    public const string V1BadFields = "a version 1 line without exactly source, destination, source port and destination port";
    public const string V1BadAddress = "a version 1 address that is not one of its protocol's family";
    public const string V1BadPort = "a version 1 port that is not a number from 0 to 65535 without leading zeros";
    public const string V2BadVersion = "a version 2 signature with a version other than 2";
    public const string V2BadCommand = "a version 2 command other than LOCAL or PROXY";
    public const string V2BadFamily = "a version 2 address family other than UNSPEC, INET, INET6 or UNIX";
    public const string V2NotStream = "a version 2 header for a protocol other than a stream";
    public const string V2TooLong = "a version 2 header with more than 4096 bytes of addresses and TLVs";
    public const string V2ShortAddresses = "a version 2 header shorter than its family's addresses";
    public const string V2BadTlv = "a version 2 TLV that does not fit in the header";

    private const int Local = 0;
    private const int UnixAddressLength = 216;

    private static ReadOnlySpan<byte> V2Signature => "\r\n\r\n\0\r\nQUIT\n"u8;

    private static ReadOnlySpan<byte> V1Prefix => "PROXY "u8;

    /// <summary>Parses the header at the start of <paramref name="data"/>, accepting the <paramref name="accepted"/> versions.</summary>
    public static ProxyHeaderResult Parse(ReadOnlySpan<byte> data, Tcp.ProxyProtocolVersions accepted)
    {
        if (data.IsEmpty) return Incomplete(V2FixedLength);
        if (data[0] == V2Signature[0])
        {
            if (!StartsLike(data, V2Signature)) return Invalid(NotProxy);
            if ((accepted & Tcp.ProxyProtocolVersions.V2) == 0) return Invalid(V2NotAccepted);
            return ParseV2(data);
        }

        if (!StartsLike(data, V1Prefix)) return Invalid(NotProxy);
        if ((accepted & Tcp.ProxyProtocolVersions.V1) == 0) return Invalid(V1NotAccepted);
        return ParseV1(data);
    }

    /// <summary>True when <paramref name="data"/> and <paramref name="prefix"/> agree as far as both go.</summary>
    private static bool StartsLike(ReadOnlySpan<byte> data, ReadOnlySpan<byte> prefix)
    {
        int n = Math.Min(data.Length, prefix.Length);
        return data[..n].SequenceEqual(prefix[..n]);
    }

    private static ProxyHeaderResult ParseV1(ReadOnlySpan<byte> data)
    {
        if (data.Length < V1Prefix.Length) return Incomplete(V1MaxLength);
        int limit = Math.Min(data.Length, V1MaxLength);
        int end = -1;
        for (int i = V1Prefix.Length; i < limit; i++)
        {
            byte b = data[i];
            if (b == '\r')
            {
                if (i + 1 == limit) break;
                if (data[i + 1] != '\n') return Invalid(V1BadCharacter);
                end = i;
                break;
            }

            if (b is < 0x20 or > 0x7E) return Invalid(V1BadCharacter);
        }

        if (end < 0) return limit == V1MaxLength ? Invalid(V1TooLong) : Incomplete(V1MaxLength);
        int length = end + 2;
        ReadOnlySpan<byte> line = data[V1Prefix.Length..end];
        if (line.SequenceEqual("UNKNOWN"u8) || line.StartsWith("UNKNOWN "u8)) return new ProxyHeaderResult(ProxyHeaderStatus.Complete, length, null, null, null);

        AddressFamily family;
        if (line.StartsWith("TCP4 "u8)) family = AddressFamily.InterNetwork;
        else if (line.StartsWith("TCP6 "u8)) family = AddressFamily.InterNetworkV6;
        else return Invalid(V1BadProtocol);

        ReadOnlySpan<byte> rest = line[5..];
        if (!NextField(ref rest, out ReadOnlySpan<byte> source) || !NextField(ref rest, out ReadOnlySpan<byte> destination)
            || !NextField(ref rest, out ReadOnlySpan<byte> sourcePort) || !NextField(ref rest, out ReadOnlySpan<byte> destinationPort)
            || !rest.IsEmpty)
        {
            return Invalid(V1BadFields);
        }

        if (ParseAddress(source, family) is not { } sourceAddress || ParseAddress(destination, family) is not { } destinationAddress)
        {
            return Invalid(V1BadAddress);
        }

        if (ParsePort(sourcePort) is not { } sport || ParsePort(destinationPort) is not { } dport) return Invalid(V1BadPort);
        return new ProxyHeaderResult(ProxyHeaderStatus.Complete, length, new IPEndPoint(sourceAddress, sport), new IPEndPoint(destinationAddress, dport), null);
    }

    /// <summary>The next field of a line of fields separated by single spaces; false for an empty one.</summary>
    private static bool NextField(ref ReadOnlySpan<byte> rest, out ReadOnlySpan<byte> field)
    {
        int space = rest.IndexOf((byte)' ');
        field = space < 0 ? rest : rest[..space];
        rest = space < 0 ? [] : rest[(space + 1)..];
        return !field.IsEmpty && (space < 0 || !rest.IsEmpty);
    }

    private static IPAddress? ParseAddress(ReadOnlySpan<byte> text, AddressFamily family) =>
        family == AddressFamily.InterNetwork ? ParseIPv4(text) : ParseIPv6(text);

    /// <summary>Four decimal numbers of 0 to 255 without leading zeros (no shorthand forms, no octal, no hex).</summary>
    private static IPAddress? ParseIPv4(ReadOnlySpan<byte> text)
    {
        Span<byte> octets = stackalloc byte[4];
        for (int i = 0; i < 4; i++)
        {
            int dot = text.IndexOf((byte)'.');
            if ((dot < 0) != (i == 3)) return null;
            ReadOnlySpan<byte> part = dot < 0 ? text : text[..dot];
            if (Decimal(part, 3) is not { } value || value > 255) return null;
            octets[i] = (byte)value;
            text = dot < 0 ? [] : text[(dot + 1)..];
        }

        return new IPAddress(octets);
    }

    /// <summary>An IPv6 address in its text forms, without a scope id or brackets.</summary>
    private static IPAddress? ParseIPv6(ReadOnlySpan<byte> text)
    {
        if (text.Length is < 2 or > 45) return null;
        Span<char> chars = stackalloc char[text.Length];
        for (int i = 0; i < text.Length; i++)
        {
            byte b = text[i];
            if (!char.IsAsciiHexDigit((char)b) && b != ':' && b != '.') return null;
            chars[i] = (char)b;
        }

        return IPAddress.TryParse(chars, out IPAddress? address) && address.AddressFamily == AddressFamily.InterNetworkV6 ? address : null;
    }

    private static int? ParsePort(ReadOnlySpan<byte> text) => Decimal(text, 5) is { } port && port <= 65535 ? port : null;

    /// <summary>A decimal number of 1 to <paramref name="maxDigits"/> digits without leading zeros.</summary>
    private static int? Decimal(ReadOnlySpan<byte> text, int maxDigits)
    {
        if (text.IsEmpty || text.Length > maxDigits || (text[0] == '0' && text.Length > 1)) return null;
        int value = 0;
        foreach (byte b in text)
        {
            if (b is < (byte)'0' or > (byte)'9') return null;
            value = (value * 10) + (b - '0');
        }

        return value;
    }

    private static ProxyHeaderResult ParseV2(ReadOnlySpan<byte> data)
    {
        if (data.Length < V2FixedLength) return Incomplete(V2FixedLength);
        int version = data[12] >> 4, command = data[12] & 0xF;
        int family = data[13] >> 4, protocol = data[13] & 0xF;
        int blockLength = BinaryPrimitives.ReadUInt16BigEndian(data[14..]);
        if (version != 2) return Invalid(V2BadVersion);
        if (command > 1) return Invalid(V2BadCommand);
        if (blockLength > V2MaxBlockLength) return Invalid(V2TooLong);
        int length = V2FixedLength + blockLength;
        if (data.Length < length) return Incomplete(length);

        // LOCAL (the proxy's own connection) and UNSPEC carry nothing to use: the socket's peer stands.
        var none = new ProxyHeaderResult(ProxyHeaderStatus.Complete, length, null, null, null);
        if (command == Local || family == 0) return none;
        if (family > 3) return Invalid(V2BadFamily);
        if (protocol != 1) return Invalid(V2NotStream);

        int addressLength = family switch { 1 => 12, 2 => 36, _ => UnixAddressLength };
        ReadOnlySpan<byte> block = data[V2FixedLength..length];
        if (blockLength < addressLength) return Invalid(V2ShortAddresses);
        for (ReadOnlySpan<byte> tlvs = block[addressLength..]; !tlvs.IsEmpty;)
        {
            if (tlvs.Length < 3) return Invalid(V2BadTlv);
            int tlvLength = 3 + BinaryPrimitives.ReadUInt16BigEndian(tlvs[1..]);
            if (tlvs.Length < tlvLength) return Invalid(V2BadTlv);
            tlvs = tlvs[tlvLength..];
        }

        if (family == 3) return none;
        int size = family == 1 ? 4 : 16;
        var source = new IPEndPoint(new IPAddress(block[..size]), BinaryPrimitives.ReadUInt16BigEndian(block[(2 * size)..]));
        var destination = new IPEndPoint(new IPAddress(block[size..(2 * size)]), BinaryPrimitives.ReadUInt16BigEndian(block[((2 * size) + 2)..]));
        return new ProxyHeaderResult(ProxyHeaderStatus.Complete, length, source, destination, null);
    }

    private static ProxyHeaderResult Incomplete(int atMost) => new(ProxyHeaderStatus.Incomplete, atMost, null, null, null);

    private static ProxyHeaderResult Invalid(string why) => new(ProxyHeaderStatus.Invalid, 0, null, null, why);
}
