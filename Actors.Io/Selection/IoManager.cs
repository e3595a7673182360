using Akka.Actor;
using Akka.Event;

namespace Actors.Io.Selection;

/// <summary>
/// One per actor system: creates the selectors, places each channel on the least loaded one, enforces
/// <c>max-channels</c>, and replaces a selector that fails. A failed child is stopped, never restarted.
/// </summary>
internal sealed class IoManager : UntypedActor
{
    private readonly ActorsIoSettings _settings;
    private readonly EventLoopGroup _loops;
    private readonly ChannelBudget _budget;
    private readonly SelectorShared[] _selectors;
    private readonly int[] _incarnations;
    private readonly ILoggingAdapter _log = Context.GetLogger();

    public IoManager(ActorsIoSettings settings, EventLoopGroup loops, ChannelBudget budget, SelectorShared[] selectors)
    {
        _settings = settings;
        _loops = loops;
        _budget = budget;
        _selectors = selectors;
        _incarnations = new int[loops.Count];
    }

    public static Props Props(ActorsIoSettings settings, EventLoopGroup loops, ChannelBudget budget, SelectorShared[] selectors) =>
        Akka.Actor.Props.Create(() => new IoManager(settings, loops, budget, selectors));

    protected override SupervisorStrategy SupervisorStrategy() =>
        new OneForOneStrategy(Decider.From(Directive.Stop));

    protected override void PreStart()
    {
        for (int i = 0; i < _selectors.Length; i++) StartSelector(i);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case RegisterChannel register:
                Place(register);
                break;
            case Terminated terminated:
                ReplaceSelector(terminated.ActorRef);
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void Place(RegisterChannel register)
    {
        if (!_budget.TryTake())
        {
            register.Handle.Dispose();
            register.Owner.Tell(new RegistrationFailed(new ChannelLimitExceededException(_budget.MaxChannels)), Self);
            return;
        }

        SelectorShared target = _selectors[0];
        for (int i = 1; i < _selectors.Length; i++)
        {
            if (_selectors[i].Load < target.Load) target = _selectors[i];
        }

        target.Placed();
        target.Selector.Tell(register, Self);
    }

    private void StartSelector(int index)
    {
        var shared = new SelectorShared(index, _loops[index], _budget);
        IActorRef selector = Context.ActorOf(
            SelectorActor.Props(shared, _settings.Backend, _settings.MaxEventsPerWait),
            $"selector-{index}-{_incarnations[index]++}");
        shared.Selector = selector;
        _selectors[index] = shared;
        Context.Watch(selector);
    }

    private void ReplaceSelector(IActorRef dead)
    {
        for (int i = 0; i < _selectors.Length; i++)
        {
            if (!_selectors[i].Selector.Equals(dead)) continue;
            _log.Warning("Selector {0} stopped; starting a replacement on loop {1}", dead.Path.Name, _loops[i].Id);
            StartSelector(i);
            return;
        }
    }
}
