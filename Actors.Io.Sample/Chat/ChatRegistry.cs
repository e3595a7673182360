using Akka.Actor;
using Akka.Cluster;
using Akka.Event;

namespace Actors.Io.Sample.Chat;

/// <summary>
/// The cluster-wide directory of chat sessions: who holds which nickname and who is in which room. It runs as a cluster
/// singleton (one instance, on the oldest node; every node talks to it through its singleton proxy).
/// <para>
/// Why a singleton and not Akka.DistributedData: a nickname must be unique at the moment it is granted, which needs one
/// place that decides. A CRDT (an LWWMap or ORDictionary keyed by nickname) merges concurrent writes after the fact, so
/// two nodes renaming two clients to "bob" at once would both succeed and one of them would have to be taken back later,
/// even with majority reads and writes (there is no compare-and-set). The singleton answers each request in turn, so a
/// granted name is never granted twice, and /who and /rooms read the same state.
/// </para>
/// <para>
/// Staying correct as nodes come and go:
/// <list type="bullet">
/// <item>Every session is death-watched. A client that disconnects, a node that leaves (its sessions stop first, in
/// CoordinatedShutdown's service-requests-done phase) and a node that crashes and is downed (its watched actors are
/// reported terminated when it is removed) all end in <see cref="Terminated"/>, which frees the nickname and the room
/// seat.</item>
/// <item>The registry keeps no state of its own that it cannot rebuild: the truth is the sessions, and each node's
/// <see cref="ChatServer"/> knows its own. When the singleton starts (first start, hand-over after the oldest node leaves,
/// fail-over after it crashes, restart after a failure) it asks every member's ChatServer for its sessions
/// (<see cref="ReportSessions"/>) and stashes requests until all have answered or <c>chat.recovery-timeout</c> passes.
/// A late report is merged when it comes. Should two reports claim one nickname (a rename in flight during the
/// fail-over), the later session is renamed to a guest name and told so (<see cref="NickRevoked"/>).</item>
/// <item>Every request carries the session's nick and room, so a session that no report covered is learned again
/// from its next request.</item>
/// </list>
/// A request sent to the old singleton in its last moment is lost; the session's request times out and the client
/// gets an <c>ERR</c> asking it to try again.
/// </para>
/// </summary>
internal sealed class ChatRegistry : UntypedActor, IWithStash, IWithTimers
{
    private readonly Dictionary<string, Member> _byNick = new(StringComparer.Ordinal);
    private readonly Dictionary<IActorRef, Member> _bySession = [];
    private readonly Dictionary<string, HashSet<Member>> _rooms = new(StringComparer.Ordinal);
    private readonly ILoggingAdapter _log = Context.GetLogger();
    private readonly TimeSpan _recoveryTimeout;
    private readonly HashSet<Address> _awaitingReports = [];
    private int _nextGuest = 1;

    public ChatRegistry(TimeSpan recoveryTimeout) => _recoveryTimeout = recoveryTimeout;

    public IStash Stash { get; set; } = null!;

    public ITimerScheduler Timers { get; set; } = null!;

    public static Props Props(TimeSpan recoveryTimeout) => Akka.Actor.Props.Create(() => new ChatRegistry(recoveryTimeout));

    protected override void PreStart()
    {
        var cluster = Akka.Cluster.Cluster.Get(Context.System);
        ClusterEvent.CurrentClusterState state = cluster.State;
        foreach (Akka.Cluster.Member member in state.Members)
        {
            if (member.Status is MemberStatus.Joining or MemberStatus.WeaklyUp or MemberStatus.Up or MemberStatus.Leaving
                && !state.Unreachable.Contains(member))
            {
                _awaitingReports.Add(member.Address);
            }
        }

        _awaitingReports.Add(cluster.SelfAddress);
        foreach (Address node in _awaitingReports)
        {
            Context.ActorSelection(new RootActorPath(node) / "user" / ChatServer.ActorName).Tell(ReportSessions.Instance);
        }

        _log.Info("Chat registry started on {0}; asking {1} node(s) for their sessions", cluster.SelfAddress, _awaitingReports.Count);
        Timers.StartSingleTimer(RecoveryTimedOut.Instance, RecoveryTimedOut.Instance, _recoveryTimeout);
    }

    protected override void OnReceive(object message)
    {
        switch (message)
        {
            case SessionsReport report:
                Merge(report);
                if (report.Last && _awaitingReports.Remove(NodeOf(Sender)) && _awaitingReports.Count == 0) FinishRecovery();
                break;
            case RecoveryTimedOut:
                _log.Warning("No session report from {0} within {1}; going on without (a late report is still merged)", string.Join(", ", _awaitingReports), _recoveryTimeout);
                FinishRecovery();
                break;
            default:
                Stash.Stash();
                break;
        }
    }

    private void FinishRecovery()
    {
        Timers.Cancel(RecoveryTimedOut.Instance);
        _log.Info("Chat registry ready: {0} session(s), {1} room(s)", _bySession.Count, _rooms.Count);
        Become(Ready);
        Stash.UnstashAll();
    }

    private void Ready(object message)
    {
        switch (message)
        {
            case Register register:
                OnRegister(register.Session);
                break;
            case Rename rename:
                OnRename(rename);
                break;
            case ChangeRoom change:
                {
                    Member member = Known(change.Session, change.Nick, change.Room);
                    Seat(member, ChatText.NormalizeRoom(change.NewRoom));
                    Sender.Tell(new RoomChanged(member.Room));
                    break;
                }

            case Who who:
                {
                    string[] nicks = _rooms.TryGetValue(who.Room, out HashSet<Member>? members)
                        ? [.. members.Select(m => m.Nick).Order(StringComparer.OrdinalIgnoreCase).Take(WhoList.MaxNicks)]
                        : [];
                    Sender.Tell(new WhoList(who.Room, nicks, members?.Count ?? 0));
                    break;
                }

            case ListRooms:
                Sender.Tell(new RoomList([.. _rooms.OrderBy(r => r.Key, StringComparer.Ordinal).Select(r => new RoomCount(r.Key, r.Value.Count))]));
                break;
            case SessionsReport report:
                Merge(report);
                break;
            case Terminated terminated:
                Remove(terminated.ActorRef);
                break;
            case RecoveryTimedOut:
                break;
            default:
                Unhandled(message);
                break;
        }
    }

    private void OnRegister(IActorRef session)
    {
        if (!_bySession.TryGetValue(session, out Member? member))
        {
            member = new Member(session, NextGuestName(), ChatText.Lobby);
            Add(member);
        }

        Sender.Tell(new Registered(member.Nick));
    }

    private void OnRename(Rename rename)
    {
        Member member = Known(rename.Session, rename.Nick, rename.Room);
        string key = ChatText.NickKey(rename.NewNick);
        if (_byNick.TryGetValue(key, out Member? holder) && !holder.Session.Equals(member.Session))
        {
            Sender.Tell(new NameTaken(rename.NewNick));
            return;
        }

        _byNick.Remove(ChatText.NickKey(member.Nick));
        member.Nick = rename.NewNick;
        _byNick[key] = member;
        Sender.Tell(new Renamed(member.Nick));
    }

    /// <summary>The member for <paramref name="session"/>; one this registry does not know is learned from its request.</summary>
    private Member Known(IActorRef session, string nick, string room)
    {
        if (_bySession.TryGetValue(session, out Member? member)) return member;
        member = new Member(session, nick, ChatText.NormalizeRoom(room));
        AddResolvingConflict(member);
        return member;
    }

    private void Merge(SessionsReport report)
    {
        int added = 0;
        foreach (SessionEntry entry in report.Sessions)
        {
            if (_bySession.ContainsKey(entry.Session)) continue;
            AddResolvingConflict(new Member(entry.Session, entry.Nick, ChatText.NormalizeRoom(entry.Room)));
            added++;
        }

        if (added > 0) _log.Info("Chat registry learned {0} session(s) from {1}", added, NodeOf(Sender));
    }

    private void AddResolvingConflict(Member member)
    {
        NoteGuestNumber(member.Nick);
        if (_byNick.TryGetValue(ChatText.NickKey(member.Nick), out Member? holder) && !holder.Session.Equals(member.Session))
        {
            string old = member.Nick;
            member.Nick = NextGuestName();
            _log.Warning("Nickname {0} was reported by two sessions ({1} and {2}); the second is now {3}", old, holder.Session.Path, member.Session.Path, member.Nick);
            member.Session.Tell(new NickRevoked(old, member.Nick));
        }

        Add(member);
    }

    private void Add(Member member)
    {
        _bySession[member.Session] = member;
        _byNick[ChatText.NickKey(member.Nick)] = member;
        AddToRoom(member);
        Context.Watch(member.Session);
    }

    private void Remove(IActorRef session)
    {
        if (!_bySession.Remove(session, out Member? member)) return;
        _byNick.Remove(ChatText.NickKey(member.Nick));
        RemoveFromRoom(member);
    }

    private void Seat(Member member, string room)
    {
        if (member.Room == room) return;
        RemoveFromRoom(member);
        member.Room = room;
        AddToRoom(member);
    }

    private void AddToRoom(Member member)
    {
        if (!_rooms.TryGetValue(member.Room, out HashSet<Member>? members)) _rooms[member.Room] = members = [];
        members.Add(member);
    }

    private void RemoveFromRoom(Member member)
    {
        if (_rooms.TryGetValue(member.Room, out HashSet<Member>? members) && members.Remove(member) && members.Count == 0) _rooms.Remove(member.Room);
    }

    private string NextGuestName()
    {
        while (true)
        {
            string name = "guest-" + _nextGuest++;
            if (!_byNick.ContainsKey(name)) return name;
        }
    }

    /// <summary>After a fail-over, numbering goes on above the guest names in use, so new guests do not collide with them.</summary>
    private void NoteGuestNumber(string nick)
    {
        if (nick.StartsWith("guest-", StringComparison.OrdinalIgnoreCase) && int.TryParse(nick.AsSpan(6), out int n) && n >= _nextGuest && n < int.MaxValue)
        {
            _nextGuest = n + 1;
        }
    }

    private Address NodeOf(IActorRef actor) =>
        actor.Path.Address.HasLocalScope ? Akka.Cluster.Cluster.Get(Context.System).SelfAddress : actor.Path.Address;

    private sealed class Member(IActorRef session, string nick, string room)
    {
        public IActorRef Session { get; } = session;

        public string Nick { get; set; } = nick;

        public string Room { get; set; } = room;
    }

    private sealed class RecoveryTimedOut
    {
        public static readonly RecoveryTimedOut Instance = new();
    }
}
