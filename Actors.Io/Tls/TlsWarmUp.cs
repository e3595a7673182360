using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Actors.Io.Tls;

/// <summary>
/// The platform's TLS library and certificate store load on their first use in a process. A client's first handshake
/// did that on its event loop, stalling every connection of the loop for 50-60 ms; the IoManager runs this once, on
/// its own thread, before the first TLS Connect. (A TLS Bind warms the same by building its certificate's context.)
/// </summary>
internal static class TlsWarmUp
{
    private static int _done;

    /// <summary>Loads the TLS library and the certificate store, the first time only; later calls return at once.</summary>
    public static void Once()
    {
        if (Interlocked.Exchange(ref _done, 1) == 1) return;
        try
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            using X509Certificate2 certificate = new CertificateRequest("CN=actors-io-warm-up", key, HashAlgorithmName.SHA256)
                .CreateSelfSigned(DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
            using var chain = new X509Chain();
            chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
            _ = chain.Build(certificate);
        }
        catch (CryptographicException)
        {
            // Nothing is lost: the first handshake loads what it needs itself, as it did before.
        }
    }
}
