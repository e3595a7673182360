using System.Net;
using System.Net.Sockets;
using Actors.Io.Native;
using Actors.Io.Selection;
using Actors.Io.Streams;
using Actors.Io.Tests.Support;
using Akka.Actor;
using Akka.IO;
using Xunit.Abstractions;
using TcpMsg = Actors.Io.Tcp;

namespace Actors.Io.Tests.Streams;

/// <summary>
/// A connection actor on a real accepted socket, driven by hand as Akka's TcpConnectionSpec does: the test plays the
/// selector, sending the readiness messages itself and watching what the connection arms on a fake registration.
/// </summary>
public sealed class FakeSelectorTests(ITestOutputHelper output)
    : LoopbackTestKit(output, "actors-io.tcp.max-received-message-size = 1 KiB\nactors-io.tcp.receive-budget-per-event = 4 KiB")
{
    [Fact]
    public void After_Register_it_arms_Read_and_each_Readable_delivers_the_data_and_re_arms()
    {
        (IActorRef connection, Socket client, FakeRegistration fake) = Start();

        // Not registered yet: nothing armed for reading.
        AwaitHandled(connection);
        Assert.Equal(0, fake.Count(Interest.Read));

        connection.Tell(new TcpMsg.Register(TestActor));
        AwaitTrue(() => fake.Count(Interest.Read) == 1);

        // Data in the kernel is not read until the "selector" says the socket is readable.
        client.Send("hello"u8);
        AwaitDelivered(client);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        connection.Tell(Readable.Instance);
        Assert.Equal("hello", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        AwaitTrue(() => fake.Count(Interest.Read) == 2);
        Assert.Equal(0, fake.Closes);
    }

    [Fact]
    public void A_Readable_reads_at_most_the_receive_budget_then_re_arms_Read_to_yield_to_the_selector()
    {
        (IActorRef connection, Socket client, FakeRegistration fake) = Start();
        connection.Tell(new TcpMsg.Register(TestActor));
        AwaitTrue(() => fake.Count(Interest.Read) == 1);
        byte[] data = Pattern(16 * 1024);
        client.Send(data);
        AwaitDelivered(client);

        // Each readiness event reads one budget (4 KiB, in 1 KiB messages) although more is waiting, re-arms Read and
        // reads nothing more until the selector reports the socket readable again.
        var received = new MemoryStream();
        for (int round = 1; round <= 4; round++)
        {
            connection.Tell(Readable.Instance);
            while (received.Length < round * 4096) received.Write(ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToArray());
            Assert.Equal(round * 4096, received.Length);
            AwaitTrue(() => fake.Count(Interest.Read) == round + 1);
            ExpectNoMsg(TimeSpan.FromMilliseconds(100));
        }

        AssertSameBytes(data, received.ToArray());
    }

    [Fact]
    public void A_write_the_kernel_cannot_take_arms_Write_and_Writable_flushes_it()
    {
        (IActorRef connection, Socket client, FakeRegistration fake) = Start(new TcpMsg.SO.SendBufferSize(4096));
        connection.Tell(new TcpMsg.Register(TestActor));
        byte[] data = Pattern(256 * 1024);
        connection.Tell(AckedWrite(data, 1));
        AwaitTrue(() => fake.Count(Interest.Write) == 1);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));

        // The peer reads; the test plays the selector, answering each Write arming with Writable.
        var received = new byte[data.Length];
        Task reading = Task.Factory.StartNew(
            () =>
            {
                int got = 0;
                while (got < received.Length)
                {
                    int n = client.Receive(received, got, received.Length - got, SocketFlags.None);
                    if (n == 0) throw new EndOfStreamException($"EOF after {got} bytes");
                    got += n;
                }
            },
            TaskCreationOptions.LongRunning);
        int writables = 0;
        while (true)
        {
            int armed = fake.Count(Interest.Write);
            connection.Tell(Writable.Instance);
            writables++;
            AwaitTrue(() => HasMessages || fake.Count(Interest.Write) > armed);
            if (HasMessages) break;
        }

        ExpectMsg(new Ack(1), TestWaits.Expect);
        Output.WriteLine($"{writables} Writable events flushed the write");
        AwaitTrue(() => reading.IsCompleted);
        Assert.Null(reading.Exception);
        AssertSameBytes(data, received);
        Assert.True(writables >= 1);
        ExpectNoMsg(TimeSpan.FromMilliseconds(100));
    }

    [Fact]
    public void A_HangUp_while_suspended_with_nothing_unread_reports_PeerClosed()
    {
        (IActorRef connection, Socket client, FakeRegistration fake) = Start();
        connection.Tell(new TcpMsg.Register(TestActor));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        Watch(connection);
        client.Shutdown(SocketShutdown.Send);
        AwaitDelivered(client);

        connection.Tell(HangUp.Instance);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        ExpectTerminated(connection, TestWaits.Expect);
        Assert.True(fake.Closes >= 1, "the registration is closed");
        AssertEof(client);
    }

    [Fact]
    public void A_HangUp_while_suspended_with_data_unread_delivers_the_data_first_then_PeerClosed()
    {
        (IActorRef connection, Socket client, FakeRegistration fake) = Start();
        connection.Tell(new TcpMsg.Register(TestActor));
        connection.Tell(TcpMsg.SuspendReading.Instance);
        client.Send("tail"u8);
        client.Shutdown(SocketShutdown.Send);
        AwaitDelivered(client);

        connection.Tell(HangUp.Instance);
        ExpectNoMsg(TimeSpan.FromMilliseconds(200));
        Assert.Equal(0, fake.Closes);

        int armed = fake.Count(Interest.Read);
        connection.Tell(TcpMsg.ResumeReading.Instance);
        AwaitTrue(() => fake.Count(Interest.Read) > armed);
        connection.Tell(Readable.Instance);
        Assert.Equal("tail", ExpectMsg<TcpMsg.Received>(TestWaits.Expect).Data.ToString());
        connection.Tell(Readable.Instance);
        ExpectMsg<TcpMsg.PeerClosed>(TestWaits.Expect);
        AwaitTrue(() => fake.Closes >= 1);
    }

    /// <summary>
    /// Accepts a real connection with a plain listener and hands the accepted descriptor to a new TcpIncomingConnection
    /// (bind handler: the test actor) on the default dispatcher, then tells it it is registered with a fake.
    /// </summary>
    private (IActorRef Connection, Socket Client, FakeRegistration Fake) Start(params TcpMsg.SocketOption[] options)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen();
        Socket client = NewClient(receiveBufferSize: 4096);
        client.Connect(listener.LocalEndPoint!);
        Socket accepted = listener.Accept();
        accepted.Blocking = false; // as the listener's accept4 leaves it

        // The connection actor owns the descriptor from now on; the accepted Socket object is not used again, and must
        // not close the descriptor when it is finalized.
        var handle = new FileDescriptorHandle((int)accepted.SafeHandle.DangerousGetHandle());
        accepted.SafeHandle.SetHandleAsInvalid();
        GC.SuppressFinalize(accepted);

        ActorsIo io = ActorsIo.Get(Sys);
        TcpSettings settings = io.Settings.Tcp;
        Selector selector = io.Selector(0);
        IActorRef bindHandler = TestActor;
        IActorRef connection = Sys.ActorOf(Props.Create(() => new TcpIncomingConnection(settings, selector, handle, bindHandler, false, options, null)));
        ExpectMsg<TcpMsg.Connected>(TestWaits.Expect);
        Assert.Equal(connection, LastSender);
        var fake = new FakeRegistration();
        connection.Tell(new ChannelRegistered(fake));
        return (connection, client, fake);
    }

    /// <summary>Waits until the connection has handled every earlier message from the test (an empty acked write is
    /// answered in order).</summary>
    private void AwaitHandled(IActorRef connection)
    {
        connection.Tell(TcpMsg.Write.Create(ByteString.Empty, new Ack(-1)));
        ExpectMsg(new Ack(-1), TestWaits.Expect);
    }

    /// <summary>Records what the connection arms, disarms and closes; closing disposes the socket as the real one does.</summary>
    private sealed class FakeRegistration : IChannelRegistration
    {
        private readonly List<(string Call, Interest Ops)> _calls = [];

        public Exception? Failure => null;

        public IInlineReader? InlineReader { get; set; }

        public int Closes
        {
            get
            {
                lock (_calls) return _calls.Count(c => c.Call == "Close");
            }
        }

        public bool Arm(Interest ops)
        {
            lock (_calls) _calls.Add(("Arm", ops));
            return true;
        }

        public bool Disarm(Interest ops)
        {
            lock (_calls) _calls.Add(("Disarm", ops));
            return true;
        }

        public void Close(IDisposable? resource = null)
        {
            lock (_calls) _calls.Add(("Close", Interest.None));
            resource?.Dispose();
        }

        /// <summary>How many times exactly <paramref name="ops"/> was armed.</summary>
        public int Count(Interest ops)
        {
            lock (_calls) return _calls.Count(c => c.Call == "Arm" && c.Ops == ops);
        }
    }
}
