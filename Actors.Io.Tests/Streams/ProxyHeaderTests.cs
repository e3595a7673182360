using System.Net;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using V = Actors.Io.Tcp.ProxyProtocolVersions;

namespace Actors.Io.Tests.Streams;

/// <summary>The PROXY protocol header parser on its own (the socket side is <see cref="ProxyProtocolTests"/>).</summary>
public sealed class ProxyHeaderTests
{
    private static readonly IPEndPoint Client4 = new(IPAddress.Parse("192.0.2.17"), 56324);
    private static readonly IPEndPoint Server4 = new(IPAddress.Parse("198.51.100.2"), 443);
    private static readonly IPEndPoint Client6 = new(IPAddress.Parse("2001:db8::17"), 40000);
    private static readonly IPEndPoint Server6 = new(IPAddress.Parse("2001:db8:1::2"), 8443);

    public static TheoryData<string, byte[], string?> ValidHeaders => new()
    {
        { "v1 TCP4", ProxyHeaders.V1(Client4, Server4), "192.0.2.17:56324" },
        { "v1 TCP6", ProxyHeaders.V1(Client6, Server6), "[2001:db8::17]:40000" },
        { "v1 TCP6 mapped", ProxyHeaders.V1("PROXY TCP6 ::ffff:192.0.2.1 ::1 1 65535\r\n"), "[::ffff:192.0.2.1]:1" },
        { "v1 UNKNOWN", ProxyHeaders.V1("PROXY UNKNOWN\r\n"), null },
        { "v1 UNKNOWN with addresses", ProxyHeaders.V1("PROXY UNKNOWN ffff:: ffff:: 1 2\r\n"), null },
        { "v2 IPv4", ProxyHeaders.V2(Client4, Server4), "192.0.2.17:56324" },
        { "v2 IPv4 with TLVs", ProxyHeaders.V2(Client4, Server4, (0x01, "h2"u8.ToArray()), (0x04, []), (0xEE, ProxyHeaders.Filler(300))), "192.0.2.17:56324" },
        { "v2 IPv6 with TLVs", ProxyHeaders.V2(Client6, Server6, (0x02, "example.com"u8.ToArray())), "[2001:db8::17]:40000" },
        { "v2 LOCAL", ProxyHeaders.V2Local(), null },
        { "v2 LOCAL with a block", ProxyHeaders.V2Local(ProxyHeaders.Filler(40)), null },
        { "v2 PROXY UNSPEC", ProxyHeaders.V2Raw(0x21, 0x00, ProxyHeaders.Filler(5)), null },
        { "v2 PROXY UNIX", ProxyHeaders.V2Raw(0x21, 0x31, new byte[216]), null },
    };

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void A_valid_header_is_complete_at_its_own_length_and_gives_the_client_address(string name, byte[] header, string? client)
    {
        byte[] withData = [.. header, .. "GET / HTTP/1.1\r\n"u8];
        ProxyHeaderResult result = ProxyHeader.Parse(withData, V.Any);

        Assert.True(result.Status == ProxyHeaderStatus.Complete, $"{name}: {result.Status} {result.Error}");
        Assert.Equal(header.Length, result.Length);
        Assert.Equal(client, result.Source?.ToString());
    }

    [Theory]
    [MemberData(nameof(ValidHeaders))]
    public void Every_part_of_a_valid_header_asks_for_more_and_never_past_the_header(string name, byte[] header, string? client)
    {
        _ = client;
        bool v1 = header[0] == 'P';
        for (int n = 0; n < header.Length; n++)
        {
            ProxyHeaderResult result = ProxyHeader.Parse(header.AsSpan(0, n), V.Any);
            Assert.True(result.Status == ProxyHeaderStatus.Incomplete, $"{name}, {n} bytes: {result.Status} {result.Error}");
            Assert.True(result.Length > n, $"{name}, {n} bytes: asks for {result.Length} in all");

            // A reader that takes up to Length can never take a byte past the header, except for v1, whose end is found by reading.
            if (!v1) Assert.True(result.Length <= header.Length, $"{name}, {n} bytes: asks for {result.Length}, the header has {header.Length}");
            else Assert.True(result.Length <= ProxyHeader.V1MaxLength);
        }
    }

    [Fact]
    public void V2_addresses_and_ports_are_read_in_network_order()
    {
        ProxyHeaderResult result = ProxyHeader.Parse(ProxyHeaders.V2(Client6, Server6), V.V2);
        Assert.Equal(Client6, result.Source);
        Assert.Equal(Server6, result.Destination);
    }

    [Fact]
    public void A_v1_line_of_107_bytes_is_accepted_and_one_of_108_is_not()
    {
        string pad107 = "PROXY UNKNOWN " + new string('x', 107 - 16) + "\r\n";
        Assert.Equal(107, pad107.Length);
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeader.Parse(ProxyHeaders.V1(pad107), V.V1).Status);

        string pad108 = "PROXY UNKNOWN " + new string('x', 108 - 16) + "\r\n";
        ProxyHeaderResult result = ProxyHeader.Parse(ProxyHeaders.V1(pad108), V.V1);
        Assert.Equal(ProxyHeaderStatus.Invalid, result.Status);
        Assert.Equal(ProxyHeader.V1TooLong, result.Error);
    }

    [Fact]
    public void A_v2_block_of_4096_bytes_is_accepted_and_one_of_4097_is_refused_from_its_first_16_bytes()
    {
        byte[] largest = ProxyHeaders.V2(Client4, Server4, (0xEE, ProxyHeaders.Filler(4096 - 12 - 3)));
        Assert.Equal(ProxyHeaderStatus.Complete, ProxyHeader.Parse(largest, V.V2).Status);

        byte[] larger = ProxyHeaders.V2(Client4, Server4, (0xEE, ProxyHeaders.Filler(4097 - 12 - 3)));
        ProxyHeaderResult result = ProxyHeader.Parse(larger.AsSpan(0, 16), V.V2);
        Assert.Equal(ProxyHeaderStatus.Invalid, result.Status);
        Assert.Equal(ProxyHeader.V2TooLong, result.Error);
    }

    public static TheoryData<string, byte[], V, string> Malformed => new()
    {
        { "plain HTTP", "GET / HTTP/1.1\r\n"u8.ToArray(), V.Any, ProxyHeader.NotProxy },
        { "lower case", ProxyHeaders.V1("proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.NotProxy },
        { "v1 where only v2", ProxyHeaders.V1(Client4, Server4), V.V2, ProxyHeader.V1NotAccepted },
        { "v2 where only v1", ProxyHeaders.V2(Client4, Server4), V.V1, ProxyHeader.V2NotAccepted },
        { "v1 bare LF", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n"), V.Any, ProxyHeader.V1BadCharacter },
        { "v1 CR without LF", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\r\n"), V.Any, ProxyHeader.V1BadCharacter },
        { "v1 NUL", ProxyHeaders.V1("PROXY TCP4 1.2.3.4\0 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadCharacter },
        { "v1 UDP4", ProxyHeaders.V1("PROXY UDP4 1.2.3.4 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadProtocol },
        { "v1 no fields", ProxyHeaders.V1("PROXY TCP4\r\n"), V.Any, ProxyHeader.V1BadProtocol },
        { "v1 three fields", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n"), V.Any, ProxyHeader.V1BadFields },
        { "v1 five fields", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n"), V.Any, ProxyHeader.V1BadFields },
        { "v1 double space", ProxyHeaders.V1("PROXY TCP4 1.2.3.4  5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadFields },
        { "v1 trailing space", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n"), V.Any, ProxyHeader.V1BadFields },
        { "v1 IPv6 in TCP4", ProxyHeaders.V1("PROXY TCP4 ::1 ::1 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 IPv4 in TCP6", ProxyHeaders.V1("PROXY TCP6 1.2.3.4 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 octet 256", ProxyHeaders.V1("PROXY TCP4 1.2.3.256 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 short IPv4", ProxyHeaders.V1("PROXY TCP4 1.2.3 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 octal IPv4", ProxyHeaders.V1("PROXY TCP4 01.2.3.4 5.6.7.8 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 scope id", ProxyHeaders.V1("PROXY TCP6 fe80::1%1 ::1 1 2\r\n"), V.Any, ProxyHeader.V1BadAddress },
        { "v1 port 65536", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 65536 2\r\n"), V.Any, ProxyHeader.V1BadPort },
        { "v1 port with leading zero", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 080 2\r\n"), V.Any, ProxyHeader.V1BadPort },
        { "v1 negative port", ProxyHeaders.V1("PROXY TCP4 1.2.3.4 5.6.7.8 -1 2\r\n"), V.Any, ProxyHeader.V1BadPort },
        { "v2 version 1", ProxyHeaders.V2Raw(0x11, 0x11, new byte[12]), V.Any, ProxyHeader.V2BadVersion },
        { "v2 version 3", ProxyHeaders.V2Raw(0x31, 0x11, new byte[12]), V.Any, ProxyHeader.V2BadVersion },
        { "v2 command 2", ProxyHeaders.V2Raw(0x22, 0x11, new byte[12]), V.Any, ProxyHeader.V2BadCommand },
        { "v2 family 4", ProxyHeaders.V2Raw(0x21, 0x41, new byte[12]), V.Any, ProxyHeader.V2BadFamily },
        { "v2 datagram", ProxyHeaders.V2Raw(0x21, 0x12, new byte[12]), V.Any, ProxyHeader.V2NotStream },
        { "v2 INET short", ProxyHeaders.V2Raw(0x21, 0x11, new byte[11]), V.Any, ProxyHeader.V2ShortAddresses },
        { "v2 INET6 short", ProxyHeaders.V2Raw(0x21, 0x21, new byte[12]), V.Any, ProxyHeader.V2ShortAddresses },
        { "v2 TLV header cut", ProxyHeaders.V2Raw(0x21, 0x11, new byte[14]), V.Any, ProxyHeader.V2BadTlv },
        { "v2 TLV value cut", ProxyHeaders.V2Raw(0x21, 0x11, [.. new byte[12], 0x01, 0x00, 0x05, 0x61]), V.Any, ProxyHeader.V2BadTlv },
        { "v2 signature off", [.. ProxyHeaders.Signature[..11], 0x0B, 0x21, 0x11, 0x00, 0x0C, .. new byte[12]], V.Any, ProxyHeader.NotProxy },
    };

    [Theory]
    [MemberData(nameof(Malformed))]
    public void A_malformed_header_is_refused_saying_why(string name, byte[] header, V accepted, string error)
    {
        ProxyHeaderResult result = ProxyHeader.Parse(header, accepted);
        Assert.True(result.Status == ProxyHeaderStatus.Invalid, $"{name}: {result.Status}");
        Assert.Equal(error, result.Error);
    }

    [Fact]
    public void Bytes_that_cannot_begin_a_header_are_refused_at_the_first_one()
    {
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("G"u8, V.Any).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("\r\n\r\nX"u8, V.Any).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("\r"u8, V.V1).Status);
        Assert.Equal(ProxyHeaderStatus.Invalid, ProxyHeader.Parse("P"u8, V.V2).Status);
    }

    /// <summary>
    /// Random mutations of valid headers never throw, a complete one parses the same on its own bytes, and an incomplete
    /// one asks for more than it was given.
    /// </summary>
    [Fact]
    public void Mutated_headers_are_complete_incomplete_or_invalid_and_never_throw()
    {
        var random = new Random(20261206);
        byte[][] seeds = [.. ValidHeaders.Select(row => (byte[])row[1])];
        int complete = 0, invalid = 0;
        for (int i = 0; i < 20_000; i++)
        {
            byte[] data = ProxyMutations.Mutate(seeds[random.Next(seeds.Length)], random);
            V accepted = (V)random.Next(1, 4);
            ProxyHeaderResult result = ProxyHeader.Parse(data, accepted);
            switch (result.Status)
            {
                case ProxyHeaderStatus.Complete:
                    complete++;
                    Assert.InRange(result.Length, 15, data.Length);
                    Assert.Equal(result, ProxyHeader.Parse(data.AsSpan(0, result.Length), accepted));
                    for (int n = 0; n < result.Length; n++) Assert.Equal(ProxyHeaderStatus.Incomplete, ProxyHeader.Parse(data.AsSpan(0, n), accepted).Status);
                    break;
                case ProxyHeaderStatus.Incomplete:
                    Assert.True(result.Length > data.Length);
                    Assert.True(result.Length <= ProxyHeader.V2FixedLength + ProxyHeader.V2MaxBlockLength);
                    break;
                default:
                    invalid++;
                    Assert.NotNull(result.Error);
                    break;
            }
        }

        // The mutations reach all three outcomes, not one.
        Assert.True(complete > 1000 && invalid > 1000, $"{complete} complete, {invalid} invalid");
    }
}
