using System.Collections.Concurrent;
using Actors.Io.Selection;
using Akka.Actor;

namespace Actors.Io.Channels;

/// <summary>
/// Props of a channel actor, built for each connection without an expression tree or reflection. Every channel of one
/// selector and actor type shares one template, and with it one <see cref="Deploy"/> (the selector's loop dispatcher
/// and <see cref="CompactMailbox"/>), so a connection's props cost one small object.
/// </summary>
internal abstract class ChannelProps : Props
{
    private static readonly ConcurrentDictionary<(string Loop, Type Actor), Props> Templates = new();

    protected ChannelProps(Selector selector, Type actorType)
        : base(Templates.GetOrAdd((selector.Loop.Id, actorType), static key => CreateTemplate(key.Loop, key.Actor)))
    {
    }

    public abstract override ActorBase NewActor();

    protected override Props Copy() => (Props)MemberwiseClone();

    private static Props CreateTemplate(string loopDispatcher, Type actorType) =>
        CreateBy(new TemplateProducer(actorType))
            .WithDeploy(Deploy.Local.WithDispatcher(loopDispatcher).WithMailbox(CompactMailbox.ConfigPath));

    /// <summary>Names the actor type; channel props create their actors themselves.</summary>
    private sealed class TemplateProducer(Type actorType) : IIndirectActorProducer
    {
        public Type ActorType { get; } = actorType;

        public ActorBase Produce() => throw new InvalidOperationException($"{ActorType.Name} is created by its ChannelProps.");

        public void Release(ActorBase actor)
        {
        }
    }
}
