using System.Net.Sockets;
using Actors.Io.Native;

namespace Actors.Io.Tests.Native;

public sealed class ErrnoTests
{
    public static TheoryData<int, int> LinuxValues => new()
    {
        { Errno.EAGAIN, 11 },
        { Errno.EINPROGRESS, 115 },
        { Errno.EALREADY, 114 },
        { Errno.ENOTSOCK, 88 },
        { Errno.EMSGSIZE, 90 },
        { Errno.EAFNOSUPPORT, 97 },
        { Errno.EADDRINUSE, 98 },
        { Errno.EADDRNOTAVAIL, 99 },
        { Errno.ENETUNREACH, 101 },
        { Errno.ECONNABORTED, 103 },
        { Errno.ECONNRESET, 104 },
        { Errno.ENOBUFS, 105 },
        { Errno.EISCONN, 106 },
        { Errno.ENOTCONN, 107 },
        { Errno.ESHUTDOWN, 108 },
        { Errno.ETIMEDOUT, 110 },
        { Errno.ECONNREFUSED, 111 },
        { Errno.EHOSTUNREACH, 113 },
        { Errno.EOPNOTSUPP, 95 },
        { Errno.EPERM, 1 },
        { Errno.ENOENT, 2 },
        { Errno.EINTR, 4 },
        { Errno.EBADF, 9 },
        { Errno.ENOMEM, 12 },
        { Errno.EACCES, 13 },
        { Errno.EEXIST, 17 },
        { Errno.EINVAL, 22 },
        { Errno.ENFILE, 23 },
        { Errno.EMFILE, 24 },
        { Errno.EPIPE, 32 },
    };

    public static TheoryData<int, SocketError> Mappings => new()
    {
        { 0, SocketError.Success },
        { Errno.EINTR, SocketError.Interrupted },
        { Errno.EAGAIN, SocketError.WouldBlock },
        { Errno.EINPROGRESS, SocketError.InProgress },
        { Errno.EALREADY, SocketError.AlreadyInProgress },
        { Errno.ENOTSOCK, SocketError.NotSocket },
        { Errno.EACCES, SocketError.AccessDenied },
        { Errno.EPERM, SocketError.AccessDenied },
        { Errno.EINVAL, SocketError.InvalidArgument },
        { Errno.EMFILE, SocketError.TooManyOpenSockets },
        { Errno.ENFILE, SocketError.TooManyOpenSockets },
        { Errno.ENOBUFS, SocketError.NoBufferSpaceAvailable },
        { Errno.ENOMEM, SocketError.NoBufferSpaceAvailable },
        { Errno.EPIPE, SocketError.Shutdown },
        { Errno.EMSGSIZE, SocketError.MessageSize },
        { Errno.EAFNOSUPPORT, SocketError.AddressFamilyNotSupported },
        { Errno.EADDRINUSE, SocketError.AddressAlreadyInUse },
        { Errno.EADDRNOTAVAIL, SocketError.AddressNotAvailable },
        { Errno.ENETUNREACH, SocketError.NetworkUnreachable },
        { Errno.ECONNABORTED, SocketError.ConnectionAborted },
        { Errno.ECONNRESET, SocketError.ConnectionReset },
        { Errno.EISCONN, SocketError.IsConnected },
        { Errno.ENOTCONN, SocketError.NotConnected },
        { Errno.ETIMEDOUT, SocketError.TimedOut },
        { Errno.ECONNREFUSED, SocketError.ConnectionRefused },
        { Errno.EHOSTUNREACH, SocketError.HostUnreachable },
        { Errno.EOPNOTSUPP, SocketError.OperationNotSupported },
        { 9999, SocketError.SocketError },
        { -1, SocketError.SocketError },
    };

    [Theory]
    [MemberData(nameof(LinuxValues))]
    public void Values_AreLinuxNumbersOnLinux(int actual, int expected) => Assert.Equal(expected, actual);

    [Theory]
    [MemberData(nameof(Mappings))]
    public void ToSocketError_MapsLikeDotNet(int errno, SocketError expected) =>
        Assert.Equal(expected, Errno.ToSocketError(errno));

    [Fact]
    public void IsWouldBlock_OnlyForEagain()
    {
        Assert.True(Errno.IsWouldBlock(Errno.EAGAIN));
        Assert.False(Errno.IsWouldBlock(Errno.EINTR));
        Assert.False(Errno.IsWouldBlock(Errno.EINPROGRESS));
        Assert.False(Errno.IsWouldBlock(0));
    }

    [Fact]
    public void Describe_NamesTheErrno()
    {
        string text = Errno.Describe(Errno.ECONNREFUSED);
        Assert.Contains("errno 111", text, StringComparison.Ordinal);
        Assert.Contains("refused", text, StringComparison.OrdinalIgnoreCase);
        Assert.Contains("errno 104", Errno.Describe(Errno.ECONNRESET), StringComparison.Ordinal);
    }

    [Fact]
    public void Last_IsTheErrnoOfTheFailedCall()
    {
        Assert.Equal(-1, Libc.Close(-1));
        Assert.Equal(Errno.EBADF, Errno.Last);
    }
}
