using Actors.Io.Selection;
using Akka.Actor;

namespace Actors.Io.Tests.Selection;

/// <summary>The registration table's slots and its owner index.</summary>
public sealed class RegistrationTableTests : Akka.TestKit.Xunit2.TestKit
{
    private readonly DetachedRegistrations _registrations = new();
    private readonly RegistrationTable _table = new();

    [Fact]
    public void An_owner_is_filed_once_under_its_first_registration()
    {
        IActorRef owner = CreateTestProbe().Ref;
        ChannelRegistration[] mine = Fill(owner, 3, out bool[] first);
        ChannelRegistration other = Fill(CreateTestProbe().Ref, 1, out bool[] otherFirst)[0];

        Assert.Equal(new[] { true, false, false }, first);
        Assert.True(otherFirst[0]);
        Assert.Equal(4, _table.Live);
        Assert.Same(mine[0], _table.FirstOf(owner));
        Assert.Same(other, _table.FirstOf(other.Owner));
        Assert.Null(_table.FirstOf(CreateTestProbe().Ref));
    }

    [Theory]
    [InlineData(0, 2)]
    [InlineData(1, 0)]
    [InlineData(2, 0)]
    public void Freeing_the_first_middle_or_last_keeps_the_owner_filed_until_the_last_goes(int freed, int headLeft)
    {
        IActorRef owner = CreateTestProbe().Ref;
        ChannelRegistration[] mine = Fill(owner, 3, out _);

        Assert.True(_table.Free(mine[freed], out bool lastOfOwner));
        Assert.False(lastOfOwner);
        Assert.Same(mine[headLeft], _table.FirstOf(owner));

        // The other two go through the owner's entry; only the last empties it.
        ChannelRegistration next = _table.FirstOf(owner)!;
        Assert.True(_table.Free(next, out lastOfOwner));
        Assert.False(lastOfOwner);
        ChannelRegistration last = _table.FirstOf(owner)!;
        Assert.DoesNotContain(last, new[] { mine[freed], next });
        Assert.True(_table.Free(last, out lastOfOwner));
        Assert.True(lastOfOwner);
        Assert.Null(_table.FirstOf(owner));
        Assert.Equal(0, _table.Live);
    }

    [Fact]
    public void Freeing_twice_changes_nothing_the_second_time()
    {
        IActorRef owner = CreateTestProbe().Ref;
        ChannelRegistration[] mine = Fill(owner, 2, out _);

        Assert.True(_table.Free(mine[0], out _));
        Assert.False(_table.Free(mine[0], out bool lastOfOwner));
        Assert.False(lastOfOwner);
        Assert.Same(mine[1], _table.FirstOf(owner));
        Assert.Equal(1, _table.Live);
    }

    [Fact]
    public void A_freed_slot_is_reused_with_a_new_generation_and_the_old_token_finds_nothing()
    {
        IActorRef owner = CreateTestProbe().Ref;
        ChannelRegistration old = Fill(owner, 1, out _)[0];
        Assert.Same(old, _table.Find(old.Token));
        Assert.True(_table.Free(old, out _));

        ChannelRegistration reused = Fill(owner, 1, out bool[] first)[0];
        Assert.True(first[0]);
        Assert.Equal(old.Slot, reused.Slot);
        Assert.NotEqual(old.Token, reused.Token);
        Assert.Null(_table.Find(old.Token));
        Assert.Same(reused, _table.Find(reused.Token));
        Assert.Same(reused, _table.FirstOf(owner));
    }

    protected override void AfterAll()
    {
        _registrations.Dispose();
        base.AfterAll();
    }

    private ChannelRegistration[] Fill(IActorRef owner, int count, out bool[] firstOfOwner)
    {
        var registrations = new ChannelRegistration[count];
        firstOfOwner = new bool[count];
        for (int i = 0; i < count; i++)
        {
            registrations[i] = _registrations.Reserve(_table, owner);
            firstOfOwner[i] = _table.Fill(registrations[i]);
        }

        return registrations;
    }
}
