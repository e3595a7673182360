using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Actors.Io.Tls;

namespace Actors.Io.Benchmarks.Load;

/// <summary>
/// The load generators' TLS: one client <see cref="SslStream"/> per connection over the library's own
/// <see cref="TlsTransport"/>, driven by the generator's epoll loop on its one thread. Ciphertext read from the socket is
/// fed to the transport, which completes the stream's waiting read inline (so decryption runs on the generator's
/// thread and lands in the caller's buffer before <see cref="Feed"/> returns); what the stream writes collects in
/// <see cref="Pending"/> until the generator writes it to the socket.
/// </summary>
internal sealed class TlsClient : TlsTransport.ISink, IDisposable
{
    /// <summary>
    /// What every generator connection asks for: TLS 1.3 only, one AES-GCM suite (OpenSSL's first choice), no session
    /// resumption (every handshake is a full one). With <paramref name="trusted"/> the server's certificate must be that
    /// one (a custom root: the system's trust store is never read); without it (a server started by hand, with a
    /// certificate of its own) any certificate is accepted.
    /// </summary>
    public static SslClientAuthenticationOptions Options(string targetHost, X509Certificate2? trusted)
    {
        var options = new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            EnabledSslProtocols = SslProtocols.Tls13,
            CipherSuitesPolicy = OperatingSystem.IsWindows() ? null : new CipherSuitesPolicy([TlsCipherSuite.TLS_AES_256_GCM_SHA384]),
            AllowTlsResume = false,
        };
        if (trusted is null)
        {
            options.RemoteCertificateValidationCallback = static (_, _, _, _) => true;
            return options;
        }

        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.Add(trusted);
        options.CertificateChainPolicy = policy;
        return options;
    }

    private readonly TlsTransport _transport;
    private byte[] _out = new byte[512];
    private int _outStart;
    private int _outCount;
    private ValueTask<int> _read;
    private bool _readPending;

    public TlsClient(SslClientAuthenticationOptions options)
    {
        _transport = new TlsTransport(this);
        Ssl = new SslStream(_transport, leaveInnerStreamOpen: true);
        Handshake = Ssl.AuthenticateAsClientAsync(options, CancellationToken.None);
    }

    public SslStream Ssl { get; }

    public Task Handshake { get; }

    /// <summary>True once the handshake has completed and the generator has seen it.</summary>
    public bool Open { get; set; }

    /// <summary>Ciphertext not yet taken by the socket.</summary>
    public ReadOnlySpan<byte> Pending => _out.AsSpan(_outStart, _outCount);

    void TlsTransport.ISink.Send(ReadOnlySpan<byte> ciphertext)
    {
        if (_outCount == 0) _outStart = 0;
        if (_outStart + _outCount + ciphertext.Length > _out.Length)
        {
            var grown = new byte[Math.Max(_out.Length * 2, _outCount + ciphertext.Length)];
            Pending.CopyTo(grown);
            _out = grown;
            _outStart = 0;
        }

        ciphertext.CopyTo(_out.AsSpan(_outStart + _outCount));
        _outCount += ciphertext.Length;
    }

    /// <summary>The socket took <paramref name="n"/> bytes of <see cref="Pending"/>.</summary>
    public void Consumed(int n)
    {
        _outStart += n;
        _outCount -= n;
    }

    /// <summary>Ciphertext from the socket.</summary>
    public void Feed(ReadOnlySpan<byte> ciphertext) => _transport.Feed(ciphertext);

    /// <summary>
    /// The next plaintext into <paramref name="into"/>: its length, or -1 when none is decrypted yet (a read then waits
    /// inside the stream, for <see cref="Feed"/>; it fills the same buffer, which must stay valid until then).
    /// </summary>
    public int TryRead(Memory<byte> into)
    {
        if (!_readPending)
        {
            _read = Ssl.ReadAsync(into);
            _readPending = true;
        }

        if (!_read.IsCompleted) return -1;
        _readPending = false;
        return _read.GetAwaiter().GetResult();
    }

    public void Dispose() => Ssl.Dispose();
}
