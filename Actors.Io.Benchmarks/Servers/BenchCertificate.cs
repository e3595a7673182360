using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Io.Benchmarks.Servers;

/// <summary>
/// The TLS servers' certificate: self-signed for <c>localhost</c> and 127.0.0.1, made in memory once per process. ECDSA
/// P-256 rather than RSA 2048: it is what current servers deploy by default, and its signature (one per full handshake)
/// costs a small fraction of an RSA 2048 one, so the handshake rate measures the servers' own work more than the
/// signature's. Both TLS servers use the same kind of key, so the comparison is fair either way.
/// The runner makes it and hands it to each server process it starts (<see cref="Variable"/>, PKCS#12 in base64), so
/// its load generators can trust exactly that certificate: a custom root, no look-up in the system's trust store.
/// </summary>
internal static class BenchCertificate
{
    /// <summary>The environment variable that carries the runner's certificate to a server process.</summary>
    public const string Variable = "ACTORS_IO_BENCH_CERT";

    private static readonly Lazy<X509Certificate2> Made = new(Load);

    public static X509Certificate2 Server => Made.Value;

    /// <summary>The certificate as PKCS#12 in base64, for <see cref="Variable"/>.</summary>
    public static string Exported => Convert.ToBase64String(Server.Export(X509ContentType.Pkcs12));

    private static X509Certificate2 Load() =>
        Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } exported
            ? X509CertificateLoader.LoadPkcs12(Convert.FromBase64String(exported), null)
            : Make();

    private static X509Certificate2 Make()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(false, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        var names = new SubjectAlternativeNameBuilder();
        names.AddDnsName("localhost");
        names.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(names.Build());
        using X509Certificate2 made = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));

        // Through PKCS#12, so the platform's TLS sees a key it can use.
        return X509CertificateLoader.LoadPkcs12(made.Export(X509ContentType.Pkcs12), null);
    }
}
