using Actors.Io.Loop;
using Actors.Io.Native;
using Actors.Io.Selection;
using Akka.Actor;

namespace Actors.Io.Tests.Selection;

/// <summary>Registrations that never reach a poller, for the selector's bookkeeping (the table, the handler watches).</summary>
internal sealed class DetachedRegistrations : IDisposable
{
    private readonly EventLoop _loop = new("detached-registrations", 0, _ => { });
    private readonly IPoller _poller = PollerFactory.Create(PollerBackend.Auto, 1);
    private readonly Selector _selector;

    public DetachedRegistrations() => _selector = new Selector(0, _loop, new ChannelBudget(1000));

    /// <summary>A registration of <paramref name="owner"/> in a slot reserved from <paramref name="table"/>.</summary>
    public ChannelRegistration Reserve(RegistrationTable table, IActorRef owner)
    {
        (int slot, uint generation) = table.Reserve();
        return new ChannelRegistration(_poller, _selector, slot, generation, new FileDescriptorHandle(), owner);
    }

    /// <summary>A registration of <paramref name="owner"/> in no table.</summary>
    public ChannelRegistration Make(IActorRef owner) =>
        new(_poller, _selector, 0, 1, new FileDescriptorHandle(), owner);

    public void Dispose()
    {
        _poller.Dispose();
        _loop.Stop();
    }
}
