using System.Globalization;
using System.Text;

namespace Actors.Io.Sample.Chat;

/// <summary>The text rules of the line protocol: names, the lines the server writes, and how message text is made safe.</summary>
internal static class ChatText
{
    /// <summary>The room every client starts in.</summary>
    public const string Lobby = "lobby";

    /// <summary>The longest nickname or room name.</summary>
    public const int MaxNameLength = 32;

    /// <summary>Strict UTF-8 without BOM: text we send is always valid.</summary>
    public static readonly UTF8Encoding Utf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>True for 1 to 32 ASCII letters, digits, '_' or '-'.</summary>
    public static bool IsValidName(string name)
    {
        if (name.Length is 0 or > MaxNameLength) return false;
        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterOrDigit(c) || c is '_' or '-')) return false;
        }

        return true;
    }

    /// <summary>The key a nickname is unique under: nicknames differ by more than case, so "Bob" cannot pose as "bob".</summary>
    public static string NickKey(string nick) => nick.ToLowerInvariant();

    /// <summary>Room names are case-insensitive and shown in lower case.</summary>
    public static string NormalizeRoom(string room) => room.ToLowerInvariant();

    /// <summary>The pub/sub topic of a room.</summary>
    public static string Topic(string room) => "chat-room-" + room;

    /// <summary>
    /// Makes message text safe to show on other clients' terminals: control characters (C0 but tab, DEL, C1), line and
    /// paragraph separators and bidirectional overrides are written as visible escapes (<c>\x1b</c>, <c>\u202e</c>), so a
    /// message cannot end its line early, forge another line, move the cursor or reorder what others see.
    /// </summary>
    public static string Sanitize(string text)
    {
        int first = -1;
        for (int i = 0; i < text.Length; i++)
        {
            if (MustEscape(text[i]))
            {
                first = i;
                break;
            }
        }

        if (first < 0) return text;
        var escaped = new StringBuilder(text.Length + 16);
        escaped.Append(text, 0, first);
        for (int i = first; i < text.Length; i++)
        {
            char c = text[i];
            if (!MustEscape(c)) escaped.Append(c);
            else if (c <= 0xFF) escaped.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else escaped.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }

        return escaped.ToString();
    }

    private static bool MustEscape(char c) =>
        (c < 0x20 && c != '\t') || c is >= '\u007f' and <= '\u009f' or '\u2028' or '\u2029' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069');

    /// <summary>One line as the server sends it: UTF-8 with <c>\n</c>.</summary>
    public static Akka.IO.ByteString Line(string text)
    {
        byte[] bytes = new byte[Utf8.GetByteCount(text) + 1];
        int n = Utf8.GetBytes(text, bytes);
        bytes[n] = (byte)'\n';
        return Akka.IO.ByteString.FromBytes(bytes);
    }

    /// <summary>The line other members of <paramref name="room"/> receive for a message.</summary>
    public static Akka.IO.ByteString MessageLine(string room, string nick, string text) => Line($"[{room}] {nick}: {Sanitize(text)}");

    /// <summary>The one line a client past <c>chat.max-clients</c> gets before the server closes its connection.</summary>
    public const string ServerFull = "ERR server full";

    /// <summary>The one line a client gets when the cluster does not answer for it in time (a node without its cluster).</summary>
    public const string NotAvailable = "ERR the chat is not available right now (no answer from the cluster); try again later";

    /// <summary>The last line of a client dropped for sending nothing for <paramref name="idleFor"/> (<c>chat.idle-timeout</c>).</summary>
    public static string IdleBye(TimeSpan idleFor) => $"BYE idle for {Duration(idleFor)}";

    /// <summary><paramref name="span"/> in words, in its largest whole unit: "30 minutes", "1 hour", "1500 ms".</summary>
    public static string Duration(TimeSpan span)
    {
        (long count, string unit) = span switch
        {
            { Ticks: var t } when t > 0 && t % TimeSpan.TicksPerDay == 0 => (t / TimeSpan.TicksPerDay, "day"),
            { Ticks: var t } when t > 0 && t % TimeSpan.TicksPerHour == 0 => (t / TimeSpan.TicksPerHour, "hour"),
            { Ticks: var t } when t > 0 && t % TimeSpan.TicksPerMinute == 0 => (t / TimeSpan.TicksPerMinute, "minute"),
            { Ticks: var t } when t > 0 && t % TimeSpan.TicksPerSecond == 0 => (t / TimeSpan.TicksPerSecond, "second"),
            _ => ((long)span.TotalMilliseconds, "ms"),
        };
        string plural = unit == "ms" || count == 1 ? string.Empty : "s";
        return string.Create(CultureInfo.InvariantCulture, $"{count} {unit}{plural}");
    }

    public static string Greeting(string nick, string node) => $"WELCOME {nick}, you are in {Lobby} (node {node}). /help lists the commands.";

    /// <summary>The answer to /help, one line each.</summary>
    public static string[] Help(int maxLineBytes) =>
    [
        "HELP /nick NAME   change your nickname (1 to 32 letters, digits, _ or -; unique in the cluster)",
        "HELP /join ROOM   move to ROOM (same rule for the name); everyone starts in lobby",
        "HELP /who         the nicknames in your room, on every node",
        "HELP /rooms       the rooms and how many are in each",
        "HELP /quit        leave",
        "HELP /help        this list",
        "HELP any other line goes to everyone else in your room; start it with // to send a line that starts with /",
        $"HELP lines are UTF-8 and end in \\n; one over {maxLineBytes} bytes or not valid UTF-8 gets ERR and is discarded",
    ];

    /// <summary>A rename the registry confirmed after the request had timed out.</summary>
    public static string NoticeRenamed(string nick) => $"NOTICE you are {nick}";

    /// <summary>A room change the registry confirmed after the request had timed out.</summary>
    public static string NoticeMoved(string room) => $"NOTICE you are in {room}";

    /// <summary>Two sessions claimed one nickname while the registry moved; this one was renamed.</summary>
    public static string NoticeNickRevoked(string oldNick, string nick) =>
        $"NOTICE your nickname {oldNick} was also claimed on another node while the registry moved; you are now {nick}";

    /// <summary>Another node stopped answering (it may have crashed, or the network between the nodes failed).</summary>
    public static string NoticeNodeNotResponding(string node) =>
        $"NOTICE node {node} is not responding; its users may miss messages until it is back or removed";

    /// <summary>A node that was not responding answers again.</summary>
    public static string NoticeNodeResponding(string node) => $"NOTICE node {node} is responding again";

    /// <summary>A node left the cluster on purpose (it was stopped); its clients were told goodbye.</summary>
    public static string NoticeNodeLeft(string node) => $"NOTICE node {node} left the chat; its users are gone";

    /// <summary>A node that stopped answering was removed from the cluster (downed).</summary>
    public static string NoticeNodeLost(string node) =>
        $"NOTICE node {node} was lost (it crashed or was cut off); its users are gone";

    /// <summary>Every NOTICE line the server sends, with placeholders (NAME, OLD, ROOM, HOST:PORT), as README lists them.</summary>
    public static IReadOnlyList<string> Notices =>
    [
        NoticeRenamed("NAME"),
        NoticeMoved("ROOM"),
        NoticeNickRevoked("OLD", "NAME"),
        NoticeNodeNotResponding("HOST:PORT"),
        NoticeNodeResponding("HOST:PORT"),
        NoticeNodeLeft("HOST:PORT"),
        NoticeNodeLost("HOST:PORT"),
    ];

    public static string BadName(string what, string name) =>
        $"ERR bad {what} '{Sanitize(name)}': use 1 to {MaxNameLength} letters (a-z, A-Z), digits, _ or -";
}
