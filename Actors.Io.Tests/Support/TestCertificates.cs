using System.Net;
using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Io.Tests.Support;

/// <summary>
/// Certificates made in memory for the TLS tests: a test CA, a server certificate it signs for <c>localhost</c> and
/// 127.0.0.1, one for another name (SNI), a client certificate, and a client certificate from a second CA that nobody
/// trusts. ECDSA P-256 keeps the handshakes cheap. Made once per test run.
/// </summary>
internal static class TestCertificates
{
    private static readonly Lazy<Set> Made = new(Make);

    public static X509Certificate2 Authority => Made.Value.Authority;

    public static X509Certificate2 Server => Made.Value.Server;

    public static X509Certificate2 OtherServer => Made.Value.OtherServer;

    public static X509Certificate2 Client => Made.Value.Client;

    public static X509Certificate2 StrangerClient => Made.Value.StrangerClient;

    /// <summary>Accepts a peer certificate that chains to <see cref="Authority"/> (and, for a server, names the host).</summary>
    public static bool TrustTestAuthority(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors)
    {
        if (certificate is null) return false;
        using var verify = new X509Chain();
        verify.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        verify.ChainPolicy.CustomTrustStore.Add(Authority);
        verify.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        bool chained = verify.Build(certificate as X509Certificate2 ?? new X509Certificate2(certificate));
        return chained && (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0;
    }

    private static Set Make()
    {
        X509Certificate2 authority = MakeAuthority("CN=Actors.Io test CA");
        X509Certificate2 stranger = MakeAuthority("CN=Nobody's CA");
        return new Set(
            authority,
            Issue(authority, "CN=localhost", server: true, "localhost"),
            Issue(authority, "CN=other.test", server: true, "other.test"),
            Issue(authority, "CN=test client", server: false),
            Issue(stranger, "CN=stranger", server: false));
    }

    private static X509Certificate2 MakeAuthority(string name)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        return request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
    }

    private static X509Certificate2 Issue(X509Certificate2 authority, string name, bool server, string? dnsName = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(name, key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [server ? new Oid("1.3.6.1.5.5.7.3.1") : new Oid("1.3.6.1.5.5.7.3.2")], false));
        if (dnsName is not null)
        {
            var names = new SubjectAlternativeNameBuilder();
            names.AddDnsName(dnsName);
            names.AddIpAddress(IPAddress.Loopback);
            request.CertificateExtensions.Add(names.Build());
        }

        byte[] serial = RandomNumberGenerator.GetBytes(8);
        using X509Certificate2 issued = request.Create(authority, DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(29), serial);
        using X509Certificate2 withKey = issued.CopyWithPrivateKey(key);

        // Through PKCS#12 so every platform's TLS sees a key it can use.
        return X509CertificateLoader.LoadPkcs12(withKey.Export(X509ContentType.Pkcs12), null);
    }

    private sealed record Set(X509Certificate2 Authority, X509Certificate2 Server, X509Certificate2 OtherServer, X509Certificate2 Client, X509Certificate2 StrangerClient);
}
