using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Channels;

/// <summary>Resolves host names for channel actors without blocking a thread, and orders the addresses to use.</summary>
internal static class NameResolution
{
    /// <summary>
    /// Starts resolving <paramref name="name"/> with <paramref name="resolver"/> and tells <paramref name="requester"/> a
    /// <see cref="Resolved"/> when done, also when the resolver refuses the name at once (one longer than 255 characters,
    /// say). Nothing is told once <paramref name="cancel"/> is cancelled.
    /// </summary>
    public static void Resolve(
        DnsEndPoint name, IActorRef requester, Func<string, CancellationToken, Task<IPAddress[]>> resolver, CancellationToken cancel)
    {
        Task<IPAddress[]> lookup;
        try
        {
            lookup = resolver(name.Host, cancel);
        }
        catch (Exception e)
        {
            requester.Tell(new Resolved(name, [], e), ActorRefs.NoSender);
            return;
        }

        lookup.ContinueWith(
            (t, state) => ((IActorRef)state!).Tell(
                t.IsCompletedSuccessfully ? new Resolved(name, t.Result, null) : new Resolved(name, [], t.Exception?.GetBaseException()),
                ActorRefs.NoSender),
            requester,
            cancel,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// Orders addresses for connection attempts as RFC 8305 section 4 says: the resolver's order within each family, the
    /// families interleaved starting with the family of the first address; duplicates dropped.
    /// </summary>
    public static List<IPAddress> Interleave(IReadOnlyList<IPAddress> addresses)
    {
        var first = new List<IPAddress>();
        var other = new List<IPAddress>();
        foreach (IPAddress address in addresses)
        {
            if (first.Contains(address) || other.Contains(address)) continue;
            (first.Count == 0 || address.AddressFamily == first[0].AddressFamily ? first : other).Add(address);
        }

        var ordered = new List<IPAddress>(first.Count + other.Count);
        for (int i = 0; i < Math.Max(first.Count, other.Count); i++)
        {
            if (i < first.Count) ordered.Add(first[i]);
            if (i < other.Count) ordered.Add(other[i]);
        }

        return ordered;
    }

    /// <summary>The result of <see cref="Resolve"/>: the addresses, or none and the resolver's error.</summary>
    internal sealed record Resolved(DnsEndPoint Name, IPAddress[] Addresses, Exception? Error)
        : INoSerializationVerificationNeeded, IDeadLetterSuppression
    {
        /// <summary>
        /// The first address of the family the name asks for (any when unspecified) and of <paramref name="family"/> when
        /// given, as an endpoint with the name's port; null when there is none.
        /// </summary>
        public IPEndPoint? Pick(AddressFamily? family = null)
        {
            foreach (IPAddress address in Addresses)
            {
                if (Usable(address, family)) return new IPEndPoint(address, Name.Port);
            }

            return null;
        }

        /// <summary>
        /// Every usable address (as for <see cref="Pick"/>) in the order to try them (<see cref="Interleave"/>), as
        /// endpoints with the name's port; empty when there is none.
        /// </summary>
        public List<IPEndPoint> Candidates(AddressFamily? family = null) =>
            Interleave(Addresses.Where(a => Usable(a, family)).ToList()).ConvertAll(a => new IPEndPoint(a, Name.Port));

        /// <summary>The failure to report when <see cref="Pick"/> found nothing.</summary>
        public SocketException Failure() => new(
            (int)SocketError.HostNotFound,
            $"Could not resolve {Name.Host}:{Name.Port}: {Error?.Message ?? "no usable address"}");

        private bool Usable(IPAddress address, AddressFamily? family) =>
            (Name.AddressFamily == AddressFamily.Unspecified || address.AddressFamily == Name.AddressFamily)
            && (family is not { } f || address.AddressFamily == f);
    }
}
