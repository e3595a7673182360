using Akka.Actor;
using Akka.Cluster;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// Tells this node's clients, through the <see cref="ChatServer"/>, what happens to the other nodes that matters to a
/// person chatting: a node stops responding (its users may miss messages), responds again, leaves, or is lost (downed
/// after it stopped responding). Its users leave /who and free their nicknames when the node is removed, which is when
/// "left" or "lost" is said.
/// </summary>
internal sealed class ClusterNotices : ReceiveActor
{
    private readonly Cluster _cluster = Cluster.Get(Context.System);
    private readonly HashSet<Address> _notResponding = [];

    public ClusterNotices(IActorRef server)
    {
        Receive<ClusterEvent.UnreachableMember>(unreachable =>
        {
            // A node on its way out (leaving, exiting) that stops answering is about to be removed: nothing to say yet.
            if (unreachable.Member.Status is MemberStatus.Leaving or MemberStatus.Exiting or MemberStatus.Down) return;
            if (_notResponding.Add(unreachable.Member.Address)) Tell(server, ChatText.NoticeNodeNotResponding(Node(unreachable.Member)));
        });
        Receive<ClusterEvent.ReachableMember>(reachable =>
        {
            if (_notResponding.Remove(reachable.Member.Address)) Tell(server, ChatText.NoticeNodeResponding(Node(reachable.Member)));
        });
        Receive<ClusterEvent.MemberRemoved>(removed =>
        {
            _notResponding.Remove(removed.Member.Address);
            if (removed.Member.Address.Equals(_cluster.SelfAddress)) return;

            // Exiting is the end of a graceful leave, Down of a downing. Any other previous status is this node's own
            // shutdown (it left, or downed itself) emptying its view of the cluster: the other nodes did not go anywhere.
            string node = Node(removed.Member);
            if (removed.PreviousStatus == MemberStatus.Exiting) Tell(server, ChatText.NoticeNodeLeft(node));
            else if (removed.PreviousStatus == MemberStatus.Down) Tell(server, ChatText.NoticeNodeLost(node));
        });
        Receive<ClusterEvent.CurrentClusterState>(_ => { });
    }

    public static Props Props(IActorRef server) => Akka.Actor.Props.Create(() => new ClusterNotices(server));

    /// <summary>A node as the greeting names it: host:port of its cluster address.</summary>
    public static string Node(Address address) => $"{address.Host}:{address.Port}";

    protected override void PreStart() =>
        _cluster.Subscribe(Self, ClusterEvent.SubscriptionInitialStateMode.InitialStateAsSnapshot, typeof(ClusterEvent.IReachabilityEvent), typeof(ClusterEvent.MemberRemoved));

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private static string Node(Member member) => Node(member.Address);

    private static void Tell(IActorRef server, string line) => server.Tell(new ClientSession.Notice(line));
}
