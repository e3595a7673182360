using System.Net;
using System.Net.Sockets;
using System.Text;
using Actors.Io.Sample.Tests.Support;
using Xunit.Abstractions;

namespace Actors.Io.Sample.Tests.Chat;

[CollectionDefinition(nameof(IdleClientsTests), DisableParallelization = true)]
public sealed class IdleClientsCollection
{
}

/// <summary>Measures the managed heap, so it runs alone (no other test allocating meanwhile).</summary>
[Collection(nameof(IdleClientsTests))]
public sealed class IdleClientsTests(ITestOutputHelper output)
{
    private const int Clients = 2000;

    [Fact]
    public async Task Two_thousand_idle_clients_on_a_node_cost_little_memory()
    {
        // More clients than the default chat.max-clients.
        await using ChatTestCluster cluster = await ChatTestCluster.StartAsync(1, "chat.max-clients = 3000");
        IPEndPoint server = cluster[0].Chat;
        var sockets = new List<Socket>(Clients);
        try
        {
            // Warm up (code paths, pools, the registry's tables), then measure from a settled heap.
            await ConnectAsync(server, sockets, 100);
            long before = GC.GetTotalMemory(forceFullCollection: true);
            await ConnectAsync(server, sockets, Clients);
            long after = GC.GetTotalMemory(forceFullCollection: true);
            long perClient = (after - before) / Clients;
            output.WriteLine($"{Clients} idle clients: {(after - before) / 1024} KiB of managed heap, {perClient} bytes each");

            // Both ends live in this process: the server's connection and session actors, the registry's entry, the
            // pub/sub subscription, and the test's own client socket. No per-connection read or write buffer is held.
            Assert.True(perClient < 12 * 1024, $"{perClient} bytes of managed heap per idle client");
            using ChatTestClient observer = await ChatTestClient.ConnectAsync(server);
            Assert.Equal($"ROOMS lobby ({Clients + 100 + 1})", await observer.CommandAsync("/rooms"));
        }
        finally
        {
            foreach (Socket socket in sockets) socket.Dispose();
        }
    }

    /// <summary>Connects <paramref name="count"/> raw sockets, 100 at a time, each reading its greeting.</summary>
    private static async Task ConnectAsync(IPEndPoint server, List<Socket> sockets, int count)
    {
        for (int done = 0; done < count; done += 100)
        {
            Socket[] batch = await Task.WhenAll(Enumerable.Range(0, Math.Min(100, count - done)).Select(_ => ConnectOneAsync(server)));
            sockets.AddRange(batch);
        }
    }

    private static async Task<Socket> ConnectOneAsync(IPEndPoint server)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        await socket.ConnectAsync(server, cts.Token);
        byte[] greeting = new byte[256];
        int n = 0;
        while (n == 0 || greeting[n - 1] != (byte)'\n') n += await socket.ReceiveAsync(greeting.AsMemory(n), SocketFlags.None, cts.Token);
        Assert.StartsWith("WELCOME guest-", Encoding.UTF8.GetString(greeting, 0, n));
        return socket;
    }
}
