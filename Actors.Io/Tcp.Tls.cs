using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Io;

public static partial class Tcp
{
    /// <summary>
    /// TLS for the connections a <see cref="Bind"/> accepts. Each connection completes its handshake before the bind
    /// handler hears <see cref="Connected"/>; a handshake that fails or times out closes that socket and never reaches
    /// the handler. After <see cref="Connected"/> the handler speaks the plain <see cref="Tcp"/> protocol: it writes and
    /// receives plaintext.
    /// </summary>
    /// <param name="certificate">The server's certificate, with its private key.</param>
    public sealed class TlsServerSettings(X509Certificate2 certificate)
    {
        /// <summary>The server's certificate, with its private key (unless <see cref="ServerCertificateSelector"/> chooses).</summary>
        public X509Certificate2 Certificate { get; } = certificate ?? throw new ArgumentNullException(nameof(certificate));

        /// <summary>Ask the client for a certificate and refuse the handshake without one (mutual TLS). Default false.</summary>
        public bool ClientCertificateRequired { get; init; }

        /// <summary>Validates the client's certificate; null: the platform's chain validation (errors refuse the client).</summary>
        public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

        /// <summary>The protocols allowed; <see cref="SslProtocols.None"/> (the default): the platform's choice of TLS 1.2 and 1.3.</summary>
        public SslProtocols EnabledProtocols { get; init; }

        /// <summary>ALPN protocols the server accepts, in its order of preference; null for none.</summary>
        public IReadOnlyList<SslApplicationProtocol>? ApplicationProtocols { get; init; }

        /// <summary>Chooses the certificate by the SNI name the client asked for (null when it sent none); null: always <see cref="Certificate"/>.</summary>
        public Func<string?, X509Certificate2>? ServerCertificateSelector { get; init; }

        /// <summary>How long a handshake may take; null: <c>actors-io.tcp.tls.handshake-timeout</c>.</summary>
        public TimeSpan? HandshakeTimeout { get; init; }

        /// <summary>
        /// <see cref="Certificate"/> with its chain, built once for every handshake of the listener: building it per
        /// handshake cost as much as the handshake's own cryptography.
        /// </summary>
        internal SslStreamCertificateContext CertificateContext
        {
            get
            {
                if (Volatile.Read(ref field) is { } made) return made;
                var context = SslStreamCertificateContext.Create(Certificate, additionalCertificates: null, offline: true);
                return Interlocked.CompareExchange(ref field, context, null) ?? context;
            }
        }
    }

    /// <summary>
    /// TLS for a <see cref="Connect"/>: the handshake completes before the commander hears <see cref="Connected"/>; a
    /// handshake that fails or times out answers the <see cref="Connect"/> with <see cref="CommandFailed"/> whose cause is
    /// the authentication error or the timeout.
    /// </summary>
    /// <param name="targetHost">The server's name: sent as SNI and checked against its certificate.</param>
    public sealed class TlsClientSettings(string targetHost)
    {
        /// <summary>The server's name: sent as SNI and checked against its certificate.</summary>
        public string TargetHost { get; } = string.IsNullOrWhiteSpace(targetHost) ? throw new ArgumentException("A target host is required.", nameof(targetHost)) : targetHost;

        /// <summary>Certificates to offer when the server asks for one (mutual TLS); null for none.</summary>
        public X509CertificateCollection? ClientCertificates { get; init; }

        /// <summary>Validates the server's certificate; null: the platform's chain and name validation (errors fail the connect).</summary>
        public RemoteCertificateValidationCallback? RemoteCertificateValidation { get; init; }

        /// <summary>The protocols allowed; <see cref="SslProtocols.None"/> (the default): the platform's choice of TLS 1.2 and 1.3.</summary>
        public SslProtocols EnabledProtocols { get; init; }

        /// <summary>ALPN protocols to offer, in order of preference; null for none.</summary>
        public IReadOnlyList<SslApplicationProtocol>? ApplicationProtocols { get; init; }

        /// <summary>Check the server certificate's revocation. Default false.</summary>
        public bool CheckCertificateRevocation { get; init; }

        /// <summary>How long the handshake may take; null: <c>actors-io.tcp.tls.handshake-timeout</c>.</summary>
        public TimeSpan? HandshakeTimeout { get; init; }
    }

    /// <summary>What a TLS handshake agreed on (<see cref="Connected.Tls"/>).</summary>
    public sealed class TlsSession
    {
        internal TlsSession(SslProtocols protocol, TlsCipherSuite cipherSuite, X509Certificate2? remoteCertificate, SslApplicationProtocol applicationProtocol, string? serverName)
        {
            Protocol = protocol;
            CipherSuite = cipherSuite;
            RemoteCertificate = remoteCertificate;
            ApplicationProtocol = applicationProtocol;
            ServerName = serverName;
        }

        /// <summary>The protocol version.</summary>
        public SslProtocols Protocol { get; }

        /// <summary>The cipher suite.</summary>
        public TlsCipherSuite CipherSuite { get; }

        /// <summary>The peer's certificate: the server's on a client, the client's on a server (null when it sent none).</summary>
        public X509Certificate2? RemoteCertificate { get; }

        /// <summary>The ALPN protocol agreed on (default when none).</summary>
        public SslApplicationProtocol ApplicationProtocol { get; }

        /// <summary>On a server, the SNI name the client asked for (null when none); on a client, the target host.</summary>
        public string? ServerName { get; }

        /// <inheritdoc />
        public override string ToString() => $"TlsSession({Protocol}, {CipherSuite}{(ApplicationProtocol == default ? string.Empty : ", " + ApplicationProtocol)})";
    }
}
