package io.tandem.control.demo;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code tandem demo}: builds a {@link Topology} (two clients behind a router, an appliance pair of two nodes on one
 * LAN, three targets running HTTP and echo servers), starts a real agent on each node, shows which one the election
 * made active, sends requests through the VIP and prints how they spread. With {@code --kill-active} (or the
 * {@code k} key when run on a terminal) it kills the active agent with SIGKILL while 50 echo streams and a steady
 * request probe run through the VIP, and shows the takeover: the longest gap in replies and the streams intact. Then
 * it stays up for the user to try until the duration passes or Ctrl-C, and removes everything on the way out.
 */
public final class Demo
{
    private static final int[] PRIORITIES = {0, 150, 100};
    private static final int DEMO_STREAMS = 50;

    private final PrintStream out;
    private final int requests;
    private final Duration duration;
    private final boolean sourceIpPersistence;
    private final boolean killActive;
    private final Process[] agents = new Process[3];
    private final List<String>[] lines = newLineLists();

    /**
     * @param out                 where the demo talks.
     * @param requests            how many requests to send through the VIP.
     * @param duration            how long to stay up afterwards; null until Ctrl-C.
     * @param sourceIpPersistence Maglev on the client address instead of round robin.
     * @param killActive          kill the active node once and show the takeover.
     */
    public Demo(
        final PrintStream out,
        final int requests,
        final Duration duration,
        final boolean sourceIpPersistence,
        final boolean killActive)
    {
        this.out = out;
        this.requests = requests;
        this.duration = duration;
        this.sourceIpPersistence = sourceIpPersistence;
        this.killActive = killActive;
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static List<String>[] newLineLists()
    {
        final List<String>[] lists = new List[3];
        for (int i = 0; i < lists.length; i++)
        {
            lists[i] = new CopyOnWriteArrayList<>();
        }
        return lists;
    }

    /**
     * Runs the demo.
     *
     * @return 0 when every request got an answer (and, with a takeover, every stream survived it), 1 otherwise.
     */
    public int run() throws Exception
    {
        out.println("tandem demo: building the topology in network namespaces (198.18.0.0/15 only) ...");
        final CountDownLatch done = new CountDownLatch(1);
        try (Topology topology = Topology.build(new Topology.Context().clients(2).targets(3).nodes(2)
            .echoServers(true)))
        {
            final RunDirectory dir = RunDirectory.create("tandem-demo");
            final Thread stopper = new Thread(() ->
            {
                stopAgents();
                try
                {
                    done.await(20, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
            }, "tandem-demo-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try
            {
                for (int node = 1; node <= 2; node++)
                {
                    startAgent(topology, dir, node);
                }
                final int active = awaitActive(Duration.ofSeconds(10));
                out.printf("%ntopology: clients %s, %s -> router -> VIP %s:%d on the pair %s -> targets %s%n",
                    topology.client(1).address(), topology.client(2).address(), topology.vip(), Topology.VIP_PORT,
                    pairLine(topology, active), targetAddresses(topology));
                out.printf("sending %d requests through the VIP (%s) ...%n%n", requests,
                    sourceIpPersistence ? "Maglev on the client address" : "round robin");
                final DemoTraffic.Result result = DemoTraffic.runAndPrint(topology, topology.vipUrl(), requests,
                    Duration.ofSeconds(120), out);
                boolean ok = result.succeeded() == requests;
                if (killActive)
                {
                    ok &= takeover(topology, dir, active);
                }
                out.printf("%nTandem is up. Try it from a client namespace:%n");
                out.printf("  sudo ip netns exec %s curl http://%s/%n", topology.client(1).ns().name(), topology.vip());
                out.printf("  ./tandem ctl --socket %s status%n", dir.resolve("node1").resolve("admin.sock"));
                stayUp(topology, dir);
                return ok ? 0 : 1;
            }
            finally
            {
                stopAgents();
                try
                {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                }
                catch (final IllegalStateException ignore)
                {
                    // already shutting down: the hook is running
                }
                out.println("tandem demo: agents stopped, removing the namespaces.");
                dir.close();
            }
        }
        finally
        {
            done.countDown();
        }
    }

    private void startAgent(final Topology topology, final RunDirectory dir, final int node) throws IOException
    {
        final Path nodeDir = Files.createDirectories(dir.resolve("node" + node));
        final Path config = nodeDir.resolve("tandem.json");
        Files.writeString(config, new DemoConfig(topology).sourceIpPersistence(sourceIpPersistence)
            .listener(Topology.ECHO_PORT, Topology.ECHO_PORT, 1, 2, 3)
            .pair(topology.node(3 - node).address(), PRIORITIES[node], false)
            .countersFile(nodeDir.resolve("counters").toString()).json());
        lines[node].clear();
        agents[node] = AgentLauncher.start(topology.node(node).ns(), config);
        AgentLauncher.awaitReady(agents[node], line ->
        {
            lines[node].add(line);
            if (line.contains("role.") || line.contains("pair.election") || line.contains("sync.up") ||
                line.contains("agent.ready") || line.contains("error"))
            {
                out.println("  node" + node + ": " + line);
            }
        });
    }

    /** @return the node that reported {@code role.active} last, waiting for one at most {@code timeout}. */
    private int awaitActive(final Duration timeout) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() - deadline < 0)
        {
            for (int node = 1; node <= 2; node++)
            {
                if (isActive(node))
                {
                    return node;
                }
            }
            Thread.sleep(20);
        }
        throw new IllegalStateException("no node became active within " + timeout.toSeconds() + " s");
    }

    private boolean isActive(final int node)
    {
        if (null == agents[node] || !agents[node].isAlive())
        {
            return false;
        }
        for (int i = lines[node].size() - 1; i >= 0; i--)
        {
            final String line = lines[node].get(i);
            if (line.contains("role.active"))
            {
                return true;
            }
            if (line.contains("role.passive"))
            {
                return false;
            }
        }
        return false;
    }

    private static String pairLine(final Topology topology, final int active)
    {
        return "node" + active + " " + topology.node(active).address() + " (active), node" + (3 - active) + " " +
            topology.node(3 - active).address() + " (passive)";
    }

    /**
     * Kills the active agent with SIGKILL while echo streams and a request probe run, and shows what a client saw.
     *
     * @return true when every stream survived the takeover.
     */
    private boolean takeover(final Topology topology, final RunDirectory dir, final int active) throws Exception
    {
        final int seconds = 6;
        out.printf("%nkilling the active node (node%d, kill -9) while %d echo streams and a request every 10 ms " +
            "run through the VIP ...%n", active, DEMO_STREAMS);
        final CompletableFuture<EchoStreams.Result> echo = EchoStreams.start(topology.client(1).ns(),
            new EchoStreams.Context().address(topology.vip()).port(Topology.ECHO_PORT).connections(DEMO_STREAMS)
                .chunkBytes(256, 2048).duration(Duration.ofSeconds(seconds)));
        final CompletableFuture<ReplyGapProbe.Result> probe = ReplyGapProbe.start(topology.client(2).ns(),
            new ReplyGapProbe.Context().url(topology.vipUrl()).duration(Duration.ofSeconds(seconds)));
        Thread.sleep(2_000);
        agents[active].toHandle().destroyForcibly();
        agents[active].waitFor(5, TimeUnit.SECONDS);
        final int survivor = 3 - active;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!isActive(survivor) && System.nanoTime() - deadline < 0)
        {
            Thread.sleep(10);
        }
        final EchoStreams.Result streams = echo.get(seconds + 60L, TimeUnit.SECONDS);
        final ReplyGapProbe.Result replies = probe.get(seconds + 60L, TimeUnit.SECONDS);
        out.printf("%ntakeover: node%d is %s%n", survivor, isActive(survivor) ? "active" : "NOT active");
        out.printf("  longest gap in replies: %d ms (%d of %d requests answered)%n",
            TimeUnit.NANOSECONDS.toMillis(replies.longestGapNs()), replies.replies(), replies.requests());
        out.printf("  echo streams intact across it: %d of %d (%s)%n", streams.ok(), DEMO_STREAMS,
            streams.summary());
        out.printf("restarting node%d: it rejoins as the passive node and learns the active one's connections%n",
            active);
        startAgent(topology, dir, active);
        return streams.allOk();
    }

    private void stayUp(final Topology topology, final RunDirectory dir) throws Exception
    {
        final boolean interactive = null != System.console();
        if (interactive)
        {
            out.println("press k and Enter to kill the active node and watch the takeover.");
            final Thread keys = new Thread(() -> readKeys(topology, dir), "tandem-demo-keys");
            keys.setDaemon(true);
            keys.start();
        }
        final long until = null == duration ? Long.MAX_VALUE : System.nanoTime() + duration.toNanos();
        out.println(null == duration ? "Ctrl-C stops the agents and removes everything." :
            "stopping by itself in " + duration.toSeconds() + " s (or Ctrl-C) ...");
        while (System.nanoTime() - until < 0)
        {
            Thread.sleep(100);
        }
    }

    private void readKeys(final Topology topology, final RunDirectory dir)
    {
        try
        {
            final BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null)
            {
                if (line.trim().equalsIgnoreCase("k"))
                {
                    final int active = isActive(1) ? 1 : isActive(2) ? 2 : 0;
                    if (0 == active)
                    {
                        out.println("no node is active right now");
                        continue;
                    }
                    takeover(topology, dir, active);
                }
            }
        }
        catch (final Exception ex)
        {
            out.println("tandem demo: " + ex);
        }
    }

    private void stopAgents()
    {
        for (final Process agent : agents)
        {
            if (null != agent && agent.isAlive())
            {
                agent.toHandle().destroy();
            }
        }
        for (final Process agent : agents)
        {
            try
            {
                if (null != agent && !agent.waitFor(20, TimeUnit.SECONDS))
                {
                    agent.toHandle().destroyForcibly();
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static String targetAddresses(final Topology topology)
    {
        final List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= topology.targetCount(); i++)
        {
            addresses.add(topology.target(i).address() + ":" + Topology.HTTP_PORT);
        }
        return String.join(", ", addresses);
    }
}
