using System.Buffers.Binary;

namespace Actors.Io.Tests.Support;

/// <summary>Random damage to PROXY headers, for the parser's and the listener's fuzz tests.</summary>
internal static class ProxyMutations
{
    /// <summary>One to three random changes to a copy of <paramref name="header"/>.</summary>
    public static byte[] Mutate(byte[] header, Random random)
    {
        var bytes = new List<byte>(header);
        int changes = random.Next(1, 4);
        for (int c = 0; c < changes; c++)
        {
            int at = random.Next(Math.Max(1, bytes.Count));
            switch (random.Next(8))
            {
                case 0 when bytes.Count > 0:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1 when bytes.Count > 0:
                    bytes[at] ^= (byte)(1 << random.Next(8));
                    break;
                case 2:
                    int keep = random.Next(bytes.Count + 1);
                    bytes.RemoveRange(keep, bytes.Count - keep);
                    break;
                case 3:
                    bytes.Insert(Math.Min(at, bytes.Count), (byte)random.Next(256));
                    break;
                case 4 when bytes.Count > 0:
                    bytes.RemoveAt(at);
                    break;
                case 5 when bytes.Count >= 16 && bytes[0] == '\r':
                    // A v2 length field: small changes mostly, sometimes anything.
                    int length = BinaryPrimitives.ReadUInt16BigEndian([bytes[14], bytes[15]]);
                    length = random.Next(3) == 0 ? random.Next(65536) : Math.Clamp(length + random.Next(-4, 5), 0, 65535);
                    (bytes[14], bytes[15]) = ((byte)(length >> 8), (byte)length);
                    break;
                case 6:
                    bytes.AddRange("data"u8.ToArray());
                    break;
                default:
                    // A printable character, where a v1 line stays a line.
                    if (bytes.Count > 0) bytes[at] = (byte)random.Next(0x20, 0x7F);
                    break;
            }
        }

        return [.. bytes];
    }
}
