using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;

namespace Actors.Io.Sample.Tests.Support;

/// <summary>
/// A chat client on a real TCP socket, as nc would be. Every read is bounded by a timeout. Lines that carry
/// <see cref="ProbeMarker"/> (sent while waiting for pub/sub to link a room across nodes) are skipped by
/// <see cref="ReadLineAsync"/>.
/// </summary>
internal sealed partial class ChatTestClient : IDisposable
{
    public const string ProbeMarker = "~probe~";
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(10);

    private readonly Socket _socket;
    private byte[] _buffer = new byte[16 * 1024];
    private int _start;
    private int _end;

    private ChatTestClient(Socket socket) => _socket = socket;

    /// <summary>The nickname the greeting gave, then what /nick set through <see cref="RenameAsync"/>.</summary>
    public string Nick { get; set; } = string.Empty;

    /// <summary>The greeting line.</summary>
    public string Greeting { get; private set; } = string.Empty;

    /// <summary>Connects without reading anything.</summary>
    public static async Task<ChatTestClient> ConnectWithoutGreetingAsync(IPEndPoint server, int? receiveBufferSize = null)
    {
        var socket = new Socket(server.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        if (receiveBufferSize is { } size) socket.ReceiveBufferSize = size;
        using var cts = new CancellationTokenSource(DefaultTimeout);
        await socket.ConnectAsync(server, cts.Token);
        return new ChatTestClient(socket);
    }

    /// <summary>Connects and reads the greeting.</summary>
    /// <param name="server">The chat endpoint.</param>
    /// <param name="receiveBufferSize">SO_RCVBUF before connecting (a small one makes a client that stops reading fill up fast).</param>
    public static async Task<ChatTestClient> ConnectAsync(IPEndPoint server, int? receiveBufferSize = null)
    {
        ChatTestClient client = await ConnectWithoutGreetingAsync(server, receiveBufferSize);
        client.Greeting = await client.ReadLineAsync();
        Match welcome = Welcome().Match(client.Greeting);
        Assert.True(welcome.Success, $"not a greeting: {client.Greeting}");
        client.Nick = welcome.Groups[1].Value;
        return client;
    }

    /// <summary>Connects and renames to <paramref name="nick"/>.</summary>
    public static async Task<ChatTestClient> ConnectAsync(IPEndPoint server, string nick, string? room = null, int? receiveBufferSize = null)
    {
        ChatTestClient client = await ConnectAsync(server, receiveBufferSize);
        await client.RenameAsync(nick);
        if (room is not null) Assert.Equal($"OK you are in {room.ToLowerInvariant()}", await client.CommandAsync($"/join {room}"));
        return client;
    }

    public async Task RenameAsync(string nick)
    {
        Assert.Equal($"OK you are {nick}", await CommandAsync($"/nick {nick}"));
        Nick = nick;
    }

    public Task SendLineAsync(string line) => SendAsync(Encoding.UTF8.GetBytes(line + "\n"));

    public async Task SendAsync(ReadOnlyMemory<byte> bytes)
    {
        using var cts = new CancellationTokenSource(DefaultTimeout);
        while (!bytes.IsEmpty)
        {
            int n = await _socket.SendAsync(bytes, SocketFlags.None, cts.Token);
            bytes = bytes[n..];
        }
    }

    /// <summary>Sends a command and returns the next line (probe lines skipped).</summary>
    public async Task<string> CommandAsync(string command)
    {
        await SendLineAsync(command);
        return await ReadLineAsync();
    }

    /// <summary>The next line, probe lines skipped; throws a <see cref="TimeoutException"/> after <paramref name="timeout"/>.</summary>
    public async Task<string> ReadLineAsync(TimeSpan? timeout = null)
    {
        DateTime deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        while (true)
        {
            string line = await ReadRawLineAsync(deadline - DateTime.UtcNow)
                ?? throw new TimeoutException($"{Nick}: no line within {timeout ?? DefaultTimeout}");
            if (!line.Contains(ProbeMarker, StringComparison.Ordinal)) return line;
        }
    }

    /// <summary>The next line including probes, or null when none comes within <paramref name="timeout"/>.</summary>
    public async Task<string?> ReadRawLineAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout > TimeSpan.Zero ? timeout : TimeSpan.FromMilliseconds(1));
        while (true)
        {
            int newline = Array.IndexOf(_buffer, (byte)'\n', _start, _end - _start);
            if (newline >= 0)
            {
                string line = Encoding.UTF8.GetString(_buffer, _start, newline - _start);
                _start = newline + 1;
                return line;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length) Array.Resize(ref _buffer, _buffer.Length * 2);
            int n;
            try
            {
                n = await _socket.ReceiveAsync(_buffer.AsMemory(_end), SocketFlags.None, cts.Token);
            }
            catch (OperationCanceledException)
            {
                return null;
            }

            if (n == 0) throw new EndOfStreamException($"{Nick}: the server closed the connection");
            _end += n;
        }
    }

    /// <summary>
    /// Reads until the server closes the connection (EOF or reset), discarding what comes; false if it stays open for
    /// <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> ClosedByServerAsync(TimeSpan? timeout = null) => await DrainAsync(timeout) != Ending.StillOpen;

    /// <summary>
    /// Reads until the server ends the connection, discarding what comes: true for an orderly end (EOF), false for a reset
    /// or for a connection still open after <paramref name="timeout"/>.
    /// </summary>
    public async Task<bool> EndOfStreamAsync(TimeSpan? timeout = null) => await DrainAsync(timeout) == Ending.EndOfStream;

    private async Task<Ending> DrainAsync(TimeSpan? timeout)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        byte[] sink = new byte[64 * 1024];
        try
        {
            while (await _socket.ReceiveAsync(sink, SocketFlags.None, cts.Token) > 0)
            {
            }

            return Ending.EndOfStream;
        }
        catch (SocketException)
        {
            return Ending.Reset;
        }
        catch (OperationCanceledException)
        {
            return Ending.StillOpen;
        }
    }

    /// <summary>
    /// Sends a byte every 100 ms until the connection is reset (true: the server's side is gone), for at most
    /// <paramref name="timeout"/> (false).
    /// </summary>
    public async Task<bool> ResetWhileSendingAsync(TimeSpan timeout)
    {
        DateTime deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                await SendAsync("."u8.ToArray());
            }
            catch (SocketException)
            {
                return true;
            }

            await Task.Delay(100);
        }

        return false;
    }

    /// <summary>Half-closes: the server sees EOF and may still answer.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    public void Dispose() => _socket.Dispose();

    [GeneratedRegex(@"^WELCOME (guest-\d+), you are in lobby \(node [^)]+\)\. /help lists the commands\.$")]
    private static partial Regex Welcome();

    private enum Ending
    {
        EndOfStream,
        Reset,
        StillOpen,
    }
}
