using Actors.Io.Sample.Chat;

namespace Actors.Io.Sample.Tests.Chat;

public sealed class ChatTextTests
{
    [Theory]
    [InlineData("a", true)]
    [InlineData("Bob_the-2nd", true)]
    [InlineData("12345678901234567890123456789012", true)]
    [InlineData("123456789012345678901234567890123", false)]
    [InlineData("", false)]
    [InlineData("a b", false)]
    [InlineData("José", false)]
    [InlineData("a.b", false)]
    [InlineData("Ａ", false)]
    public void Names_are_1_to_32_ascii_letters_digits_underscores_or_dashes(string name, bool valid) =>
        Assert.Equal(valid, ChatText.IsValidName(name));

    [Fact]
    public void Sanitize_escapes_what_could_forge_lines_or_move_the_cursor_and_keeps_the_rest()
    {
        Assert.Equal("plain text, émoji 😀 and\ttab", ChatText.Sanitize("plain text, émoji 😀 and\ttab"));
        Assert.Equal("a\\x0db\\x0ac\\x1b[31m\\x00\\x7f\\x9b\\u2028\\u2029\\u202e\\u2066", ChatText.Sanitize("a\rb\nc\u001b[31m\0\u007f\u009b\u2028\u2029\u202e\u2066"));
    }

    [Fact]
    public void A_message_line_names_room_and_sender_and_ends_in_one_newline()
    {
        Assert.Equal("[lobby] bob: hi\\x0a[lobby] eve: x\n", ChatText.MessageLine("lobby", "bob", "hi\n[lobby] eve: x").ToString());
    }
}
