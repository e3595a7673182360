using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Actors.Io.Tests.Support;

/// <summary>Hand-built PROXY protocol headers (HAProxy's proxy-protocol.txt), as a load balancer sends them.</summary>
internal static class ProxyHeaders
{
    /// <summary>The version 2 signature.</summary>
    public static readonly byte[] Signature = [0x0D, 0x0A, 0x0D, 0x0A, 0x00, 0x0D, 0x0A, 0x51, 0x55, 0x49, 0x54, 0x0A];

    /// <summary>A version 1 line; <paramref name="line"/> is sent as written, so include its CRLF.</summary>
    public static byte[] V1(string line) => Encoding.ASCII.GetBytes(line);

    /// <summary>A version 1 header for <paramref name="source"/> → <paramref name="destination"/> (TCP4 or TCP6 by family).</summary>
    public static byte[] V1(IPEndPoint source, IPEndPoint destination) =>
        V1($"PROXY {(source.AddressFamily == AddressFamily.InterNetwork ? "TCP4" : "TCP6")} {source.Address} {destination.Address} {source.Port} {destination.Port}\r\n");

    /// <summary>A version 2 PROXY header over TCP for <paramref name="source"/> → <paramref name="destination"/>, then the TLVs.</summary>
    public static byte[] V2(IPEndPoint source, IPEndPoint destination, params (byte Type, byte[] Value)[] tlvs)
    {
        bool v4 = source.AddressFamily == AddressFamily.InterNetwork;
        var block = new List<byte>();
        block.AddRange(source.Address.GetAddressBytes());
        block.AddRange(destination.Address.GetAddressBytes());
        block.AddRange(Port(source.Port));
        block.AddRange(Port(destination.Port));
        foreach ((byte type, byte[] value) in tlvs)
        {
            block.Add(type);
            block.AddRange(Port(value.Length));
            block.AddRange(value);
        }

        return V2Raw(0x21, v4 ? (byte)0x11 : (byte)0x21, [.. block]);
    }

    /// <summary>A version 2 LOCAL header (a proxy's health check), with an optional block the receiver must ignore.</summary>
    public static byte[] V2Local(byte[]? block = null) => V2Raw(0x20, 0x00, block ?? []);

    /// <summary>A version 2 header of any version and command byte, family and protocol byte, and block.</summary>
    public static byte[] V2Raw(byte versionCommand, byte familyProtocol, byte[] block)
    {
        byte[] header = [.. Signature, versionCommand, familyProtocol, .. Port(block.Length), .. block];
        return header;
    }

    /// <summary>A TLV value of <paramref name="length"/> bytes.</summary>
    public static byte[] Filler(int length) => [.. Enumerable.Range(0, length).Select(i => (byte)i)];

    private static byte[] Port(int value)
    {
        var bytes = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(bytes, (ushort)value);
        return bytes;
    }
}
