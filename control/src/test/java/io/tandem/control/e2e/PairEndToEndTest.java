package io.tandem.control.e2e;

import io.tandem.control.demo.DemoConfig;
import io.tandem.control.demo.EchoStreams;
import io.tandem.control.demo.ReplyGapProbe;
import io.tandem.control.demo.Topology;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two agents as an appliance pair on one LAN, in network namespaces, with real Linux TCP clients and servers: the
 * election, address takeover, replicated connections and configuration, and split brain. Node 1 (198.18.0.10) has
 * priority 150, node 2 (198.18.0.11) priority 100, so node 1 is active first.
 */
@Tag("root")
class PairEndToEndTest
{
    private static final int STREAMS = 200;

    @TempDir
    Path dir;

    private Topology topology;
    private final AgentProcess[] agents = new AgentProcess[3];

    @AfterEach
    void tearDown()
    {
        for (final AgentProcess agent : agents)
        {
            if (null != agent)
            {
                agent.close();
            }
        }
        if (null != topology)
        {
            topology.close();
        }
    }

    private void buildPair() throws Exception
    {
        topology = Topology.build(new Topology.Context().nodes(2).clients(2).echoServers(true));
    }

    private DemoConfig config(final int node, final int priority, final boolean preempt)
    {
        final Path nodeDir = dir.resolve("node" + node);
        return new DemoConfig(topology)
            .listener(Topology.ECHO_PORT, Topology.ECHO_PORT, 1, 2, 3)
            .pair(topology.node(3 - node).address(), priority, preempt)
            .countersFile(nodeDir.resolve("counters").toString());
    }

    private AgentProcess start(final int node, final DemoConfig config) throws Exception
    {
        final Path nodeDir = Files.createDirectories(dir.resolve("node" + node));
        final Path file = nodeDir.resolve("tandem.json");
        Files.writeString(file, config.json());
        agents[node] = AgentProcess.start(topology.node(node).ns(), file);
        agents[node].awaitLine("agent.ready", 30, TimeUnit.SECONDS);
        return agents[node];
    }

    /**
     * Starts node 1, then node 2 once node 1 is active (two nodes started together elect either: without preemption
     * the first to time out stays), and waits until node 2 is passive and their sync session is up.
     */
    private void startPair(final boolean preempt) throws Exception
    {
        start(1, config(1, 150, preempt));
        agents[1].awaitLine("role.active", 10, TimeUnit.SECONDS);
        start(2, config(2, 100, false));
        agents[2].awaitLine("role.passive", 10, TimeUnit.SECONDS);
        agents[1].awaitLine("sync.up", 10, TimeUnit.SECONDS);
        agents[2].awaitLine("sync.up", 10, TimeUnit.SECONDS);
        assertOwnsVip(1);
    }

    /**
     * The VIP is on {@code node} and on no other node whose agent runs. (An agent killed with SIGKILL cannot take its
     * addresses down; on an appliance the VM is gone, or the agent's restart removes them before anything else.)
     */
    private void assertOwnsVip(final int node)
    {
        for (int i = 1; i <= 2; i++)
        {
            if (i != node && (null == agents[i] || !agents[i].isAlive()))
            {
                continue;
            }
            final String addresses = topology.node(i).ip("-4", "-o", "addr", "show");
            assertEquals(i == node, addresses.contains(topology.vip() + "/32"), "node " + i + ": " + addresses);
        }
    }

    private EchoStreams.Context streams(final Duration duration)
    {
        return new EchoStreams.Context()
            .address(topology.vip())
            .port(Topology.ECHO_PORT)
            .connections(STREAMS)
            .chunkBytes(256, 2048)
            .interval(Duration.ofMillis(20), Duration.ofMillis(50))
            .duration(duration)
            .drainTimeout(Duration.ofSeconds(10));
    }

    private ReplyGapProbe.Context probe(final Duration duration)
    {
        return new ReplyGapProbe.Context()
            .url(topology.vipUrl())
            .interval(Duration.ofMillis(10))
            .requestTimeout(Duration.ofMillis(200))
            .duration(duration);
    }

    /** Something done to the pair while traffic runs. */
    @FunctionalInterface
    private interface Event
    {
        void happen() throws Exception;
    }

    /**
     * Runs 200 echo streams and a steady request probe through the VIP for {@code seconds}, doing {@code action}
     * once both are under way, and checks that every stream completed with its bytes intact.
     *
     * @return the probe's result (its longest gap is the takeover time seen by a client).
     */
    private ReplyGapProbe.Result acrossAnEvent(final int seconds, final Event action) throws Exception
    {
        final CompletableFuture<EchoStreams.Result> echo =
            EchoStreams.start(topology.client(1).ns(), streams(Duration.ofSeconds(seconds)));
        final CompletableFuture<ReplyGapProbe.Result> gaps =
            ReplyGapProbe.start(topology.client(2).ns(), probe(Duration.ofSeconds(seconds)));
        Thread.sleep(TimeUnit.SECONDS.toMillis(seconds) / 3);
        action.happen();
        final EchoStreams.Result streams = echo.get(seconds + 60L, TimeUnit.SECONDS);
        final ReplyGapProbe.Result probe = gaps.get(seconds + 60L, TimeUnit.SECONDS);
        System.out.println("[pair] streams: " + streams.summary());
        System.out.println("[pair] probe:   " + probe.summary());
        assertEquals(STREAMS, streams.ok(), "every stream intact: " + streams.summary() + " " + streams.errors());
        assertTrue(streams.allOk());
        return probe;
    }

    @Test
    void shouldTakeOverWithinHalfASecondOfAKillAndKeepEveryConnection() throws Exception
    {
        buildPair();
        startPair(false);

        final long[] lapsedMs = {-1};
        final ReplyGapProbe.Result probe = acrossAnEvent(9, () ->
        {
            final long killedAt = System.nanoTime();
            agents[1].kill();
            // the killed agent's addresses were leases: its kernel stops answering for the VIP by itself
            while (System.nanoTime() - killedAt < TimeUnit.SECONDS.toNanos(6))
            {
                if (!topology.node(1).ip("-4", "-o", "addr", "show").contains(topology.vip() + "/32"))
                {
                    lapsedMs[0] = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - killedAt);
                    break;
                }
                Thread.sleep(50);
            }
        });
        agents[2].awaitLine("role.active", 5, TimeUnit.SECONDS);
        assertOwnsVip(2);
        System.out.println("[pair] the killed node's VIP lapsed " + lapsedMs[0] + " ms after the kill");
        assertTrue(lapsedMs[0] >= 0, "the killed node's VIP lapsed within 6 s");
        final long gapMs = TimeUnit.NANOSECONDS.toMillis(probe.longestGapNs());
        System.out.println("[pair] kill -9 of the active node: longest gap in replies " + gapMs + " ms");
        assertTrue(gapMs < 1_500, "takeover gap " + gapMs + " ms (goal 500 ms)");
        assertTrue(probe.replies() > 0 && probe.answers().size() >= 1, probe.summary());
    }

    @Test
    void shouldHandOverAtOnceOnACleanShutdownAndKeepEveryConnection() throws Exception
    {
        buildPair();
        startPair(false);

        final ReplyGapProbe.Result probe = acrossAnEvent(9, () ->
        {
            assertEquals(0, agents[1].stop(), "clean exit");
        });
        assertTrue(agents[2].output().stream().anyMatch(l -> l.contains("role.active")), "node 2 took over");
        assertOwnsVip(2);
        final long gapMs = TimeUnit.NANOSECONDS.toMillis(probe.longestGapNs());
        System.out.println("[pair] clean shutdown of the active node: longest gap in replies " + gapMs + " ms");
        assertTrue(gapMs < 1_500, "hand-over gap " + gapMs + " ms");
    }

    @Test
    void shouldLetTheRestartedHigherPriorityNodePreemptWithTheConnectionsItSynced() throws Exception
    {
        buildPair();
        startPair(true);
        agents[1].kill();
        agents[2].awaitLine("role.active", 5, TimeUnit.SECONDS);
        assertOwnsVip(2);

        // node 2 is active now; node 1 comes back, learns node 2's connections, and then preempts
        acrossAnEvent(10, () ->
        {
            agents[1].close();
            start(1, config(1, 150, true));
            agents[1].awaitLine("role.active", 10, TimeUnit.SECONDS);
        });
        assertTrue(agents[1].output().stream().anyMatch(l -> l.contains("pair.election.started") &&
            l.contains("holds the active peer's connections")), "synced before it preempted");
        assertTrue(agents[2].output().stream().anyMatch(l -> l.contains("role.passive") && l.contains("was")),
            "node 2 gave way");
        assertOwnsVip(1);
    }

    @Test
    void shouldLeaveExactlyOneActiveNodeWhenASplitHealsAndKeepTheSurvivorsConnections() throws Exception
    {
        buildPair();
        startPair(false);

        final List<String> log = new ArrayList<>();
        acrossAnEvent(12, () ->
        {
            // cut the nodes off from each other, not from the router or the targets
            for (int i = 1; i <= 2; i++)
            {
                final String peer = topology.node(3 - i).address();
                topology.node(i).exec("nft", "add table inet tandem_test_split");
                topology.node(i).exec("nft", "add chain inet tandem_test_split in " +
                    "{ type filter hook input priority -300; }");
                topology.node(i).exec("nft", "add rule inet tandem_test_split in ip saddr " + peer + " drop");
            }
            agents[2].awaitLine("role.active", 5, TimeUnit.SECONDS);
            log.add("split: both active");
            Thread.sleep(1_000);
            final long healedAt = System.nanoTime();
            for (int i = 1; i <= 2; i++)
            {
                topology.node(i).exec("nft", "delete table inet tandem_test_split");
            }
            // one advertisement interval (100 ms) plus scheduling slack
            final long deadline = healedAt + TimeUnit.SECONDS.toNanos(2);
            while (agents[2].output().stream().filter(l -> l.contains("role.passive")).count() < 2 &&
                System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
            log.add("healed: one active after " + TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - healedAt) +
                " ms");
        });
        System.out.println("[pair] " + log);
        assertEquals(2, agents[2].output().stream().filter(l -> l.contains("role.passive")).count(),
            "node 2 passive again: " + log);
        assertOwnsVip(1);
    }

    @Test
    void shouldCarryAConfigurationAppliedOnThePassiveNodeToTheActiveOne() throws Exception
    {
        buildPair();
        startPair(false);

        final Path passiveSocket = dir.resolve("node2").resolve("admin.sock");
        final String pool = "{\"name\": \"web\", \"targetPort\": 8080, \"targets\": [" +
            "{\"displayName\": \"target-3\", \"ip\": \"" + topology.target(3).address() + "\"}]}";
        final Process curl = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--unix-socket",
            passiveSocket.toString(), "-X", "PUT", "-H", "Content-Type: application/json", "--data", pool,
            "http://localhost/v2/load-balancer/target-pools/web").redirectErrorStream(true).start();
        final String answer = new String(curl.getInputStream().readAllBytes());
        assertEquals(0, curl.waitFor(), answer);
        assertTrue(answer.contains(topology.target(3).address()), answer);

        agents[1].awaitLine("config.adopted", 5, TimeUnit.SECONDS);
        final Process status = new ProcessBuilder("curl", "-sS", "--max-time", "10", "--unix-socket",
            passiveSocket.toString(), "http://localhost/v2/status").redirectErrorStream(true).start();
        final String passive = new String(status.getInputStream().readAllBytes());
        assertEquals(0, status.waitFor(), passive);
        assertTrue(passive.matches("(?s).*\"role\"\\s*:\\s*\"passive\".*") &&
            passive.matches("(?s).*\"electionRole\"\\s*:\\s*\"BACKUP\".*") &&
            passive.matches("(?s).*\"syncConnected\"\\s*:\\s*true.*"), passive);
        for (int i = 0; i < 6; i++)
        {
            assertEquals("target-3\n", topology.httpGet(1, topology.vipUrl()), "traffic follows the passive's change");
        }
    }

    @Test
    void shouldDemoteTheActiveNodeWhoseDataInterfaceGoesDown() throws Exception
    {
        buildPair();
        startPair(false);

        topology.node(1).ip("link", "set", topology.nodeInterface(), "down");
        agents[1].awaitLine("pair.demoted", 5, TimeUnit.SECONDS);
        agents[2].awaitLine("role.active", 5, TimeUnit.SECONDS);
        assertTrue(topology.httpGet(1, topology.vipUrl()).startsWith("target-"), "served by node 2");

        topology.node(1).ip("link", "set", topology.nodeInterface(), "up");
        agents[1].awaitLine("pair.undemoted", 5, TimeUnit.SECONDS);
        Thread.sleep(500);
        assertTrue(agents[1].output().stream().filter(l -> l.contains("role.active")).count() == 1,
            "node 1 stays passive: no preemption");
        assertOwnsVip(2);
    }
}
