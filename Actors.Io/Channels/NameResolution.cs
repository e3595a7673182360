using System.Net;
using System.Net.Sockets;
using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Channels;

/// <summary>Resolves host names for channel actors without blocking a thread, and picks the address to use.</summary>
internal static class NameResolution
{
    /// <summary>
    /// Starts resolving <paramref name="name"/> and tells <paramref name="requester"/> a <see cref="Resolved"/> when done,
    /// also when the resolver refuses the name at once (one longer than 255 characters, say).
    /// </summary>
    public static void Resolve(DnsEndPoint name, IActorRef requester)
    {
        Task<IPAddress[]> lookup;
        try
        {
            lookup = Dns.GetHostAddressesAsync(name.Host);
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
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
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
                if (Name.AddressFamily != AddressFamily.Unspecified && address.AddressFamily != Name.AddressFamily) continue;
                if (family is { } f && address.AddressFamily != f) continue;
                return new IPEndPoint(address, Name.Port);
            }

            return null;
        }

        /// <summary>The failure to report when <see cref="Pick"/> found nothing.</summary>
        public SocketException Failure() => new(
            (int)SocketError.HostNotFound,
            $"Could not resolve {Name.Host}:{Name.Port}: {Error?.Message ?? "no usable address"}");
    }
}
