using System.Text;
using Actors.Io.Sample.Chat;
using Akka.IO;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class LineReaderTests
{
    private static List<string> Feed(LineReader reader, params byte[][] chunks)
    {
        var lines = new List<string>();
        foreach (byte[] chunk in chunks)
        {
            reader.Feed(ByteString.CopyFrom(chunk));
            while (true)
            {
                LineStatus status = reader.Next(out ReadOnlySpan<byte> line);
                if (status == LineStatus.NeedMore) break;
                lines.Add(status == LineStatus.TooLong ? "<too long>" : Encoding.UTF8.GetString(line));
            }
        }

        return lines;
    }

    private static byte[] B(string text) => Encoding.UTF8.GetBytes(text);

    [Fact]
    public void Lines_end_with_lf_or_crlf_and_may_be_empty()
    {
        Assert.Equal(["a", "b", "", "c\rd", ""], Feed(new LineReader(4096), B("a\nb\r\n\nc\rd\r\n\r\n")));
    }

    [Fact]
    public void A_line_split_across_reads_is_joined_even_inside_a_character_or_between_cr_and_lf()
    {
        byte[] euro = B("5€\r\n");
        var reader = new LineReader(4096);
        Assert.Equal(["5€", "next"], Feed(reader, euro[..2], euro[2..3], euro[3..5], euro[5..], B("next\n")));
        Assert.False(reader.HasPartialLine);
        Assert.Equal(["x"], Feed(reader, B("x\r"), B("\n")));
    }

    [Fact]
    public void The_limit_counts_bytes_without_the_terminator()
    {
        var reader = new LineReader(8);
        Assert.Equal(["12345678", "<too long>", "ok"], Feed(reader, B("12345678\r\n123456789\nok\n")));
        Assert.Equal(["12345678", "<too long>", "ok"], Feed(reader, B("1234"), B("5678\r"), B("\n1234"), B("56789"), B("\nok\n")));
    }

    [Fact]
    public void A_long_line_is_reported_once_as_soon_as_it_passes_the_limit_and_dropped_up_to_its_end()
    {
        var reader = new LineReader(8);
        Assert.Equal(["<too long>"], Feed(reader, B("0123456789")));
        Assert.False(reader.HasPartialLine);
        Assert.Empty(Feed(reader, B(new string('x', 100)), B("yyy")));
        Assert.Equal(["after"], Feed(reader, B("zzz\nafter\n")));
    }

    [Fact]
    public void A_mebibyte_without_a_newline_never_holds_more_than_the_limit_plus_one_byte()
    {
        var reader = new LineReader(4096);
        var lines = new List<string>();
        byte[] piece = new byte[1000];
        piece.AsSpan().Fill((byte)'x');
        for (int i = 0; i < 1049; i++)
        {
            lines.AddRange(Feed(reader, piece));
            Assert.InRange(reader.BufferedBytes, 0, 4097);
        }

        Assert.Equal(["<too long>"], lines);
        Assert.Equal(["<too long>", "ok"], Feed(reader, B(new string('y', 4000)), B("\n"), B(new string('z', 5000)), B("\nok\n")));
        Assert.Equal(0, reader.BufferedBytes);
    }

    [Fact]
    public void Reading_can_stop_after_any_line_and_resume_with_the_rest()
    {
        var reader = new LineReader(4096);
        reader.Feed(ByteString.CopyFrom(B("one\ntwo\nthr")));
        Assert.Equal(LineStatus.Line, reader.Next(out ReadOnlySpan<byte> first));
        Assert.Equal("one", Encoding.UTF8.GetString(first));
        Assert.True(reader.HasInput);
        Assert.Throws<InvalidOperationException>(() => reader.Feed(ByteString.CopyFrom(B("x"))));
        Assert.Equal(LineStatus.Line, reader.Next(out ReadOnlySpan<byte> second));
        Assert.Equal("two", Encoding.UTF8.GetString(second));
        Assert.Equal(LineStatus.NeedMore, reader.Next(out _));
        Assert.True(reader.HasPartialLine);
        Assert.Equal(["three"], Feed(reader, B("ee\n")));
    }
}
