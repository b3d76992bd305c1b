package io.tandem.control.health;

import io.tandem.control.demo.Topology;
import io.tandem.ffi.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static io.tandem.control.health.HealthFixtures.check;
import static io.tandem.control.health.HealthFixtures.config;
import static io.tandem.control.health.HealthFixtures.http;
import static io.tandem.control.health.HealthFixtures.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The checker inside the demo topology's node namespace, against the targets' real python3 HTTP servers: it probes
 * from the node's own address 198.18.0.10, sees servers stop and start, and times out on an address nobody answers.
 * Needs root; builds and removes its own namespaces.
 */
@Tag("root")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class HealthCheckerNamespaceTest
{
    private static final long INTERVAL_MS = 200;
    private static final long TIMEOUT_MS = 150;
    private static final int THRESHOLD = 2;
    /** In the LAN's prefix, but no host has it: the node's static neighbour entry sends SYNs into the void. */
    private static final String BLACKHOLE = "198.18.0.99";

    private static Topology topology;
    private static List<String> names;

    private HealthFixtures.Recorder recorder;
    private HealthChecker checker;

    @BeforeAll
    static void build()
    {
        topology = Topology.build();
        names = topology.namespaceNames();
        // without a neighbour entry the kernel would give up on ARP after ~3 s and fail connects with EHOSTUNREACH
        // instead of letting them time out; a static entry for an unused MAC keeps the blackhole silent
        topology.node().ip("neigh", "replace", BLACKHOLE, "lladdr", "02:00:00:00:00:99", "dev",
            topology.nodeInterface(), "nud", "permanent");
    }

    @AfterAll
    static void tearDown()
    {
        if (null != topology)
        {
            topology.close();
            final String left = Netns.run("ip", "netns", "list");
            for (final String name : names)
            {
                assertFalse(left.contains(name), "namespace left behind: " + name);
            }
        }
    }

    @AfterEach
    void closeChecker()
    {
        if (null != checker)
        {
            checker.close();
            assertEquals(0, checker.errors(), "no unexpected exceptions");
        }
        topology.startServer(2);
    }

    /** Constructs the checker on the node namespace's thread, so that its own thread is born inside it. */
    private HealthChecker startInNode(final HealthListener listener) throws Exception
    {
        checker = topology.nodeNs().call(() -> new HealthChecker(new HealthChecker.Context()
            .localAddress(topology.nodeAddress()).listener(listener)));
        return checker;
    }

    private static String netnsOfThisThread() throws Exception
    {
        return Files.readSymbolicLink(Path.of("/proc/thread-self/ns/net")).toString();
    }

    @Test
    void shouldRunTheCheckerThreadInTheNamespaceOfItsCreator() throws Exception
    {
        final CompletableFuture<String> checkerNs = new CompletableFuture<>();
        recorder = new HealthFixtures.Recorder();
        startInNode(new HealthListener()
        {
            @Override
            public void onTransition(final String poolName, final String ip, final boolean healthy,
                final String reason)
            {
                recorder.onTransition(poolName, ip, healthy, reason);
            }

            @Override
            public void onProbe(final TargetStatus status)
            {
                try
                {
                    checkerNs.complete(netnsOfThisThread());
                }
                catch (final Exception ex)
                {
                    checkerNs.completeExceptionally(ex);
                }
            }
        });
        checker.update(config(pool("web", Topology.HTTP_PORT, check(INTERVAL_MS, TIMEOUT_MS, 2, 2),
            topology.target(1).address()))).get(5, TimeUnit.SECONDS);

        final String nodeNs = topology.nodeNs().call(HealthCheckerNamespaceTest::netnsOfThisThread);
        assertEquals(nodeNs, checkerNs.get(5, TimeUnit.SECONDS), "the checker thread runs in the node namespace");
        assertNotEquals(netnsOfThisThread(), nodeNs, "and that is not the test's namespace");
        HealthFixtures.await("target 1 probed twice", 3_000,
            () -> checker.status("web", topology.target(1).address()).probeCount() >= 2);
        assertEquals(ProbeResult.OK, checker.status("web", topology.target(1).address()).lastResult(),
            "198.18.0.21 answers: it is reachable only from inside the topology");
        assertTrue(recorder.transitions.isEmpty());
    }

    @Test
    void shouldTakeAStoppedServerDownAndBringItBackWhenItStarts() throws Exception
    {
        recorder = new HealthFixtures.Recorder();
        startInNode(recorder);
        final String[] ips = {topology.target(1).address(), topology.target(2).address(), topology.target(3).address()};
        checker.update(config(
            pool("tcp", Topology.HTTP_PORT, check(INTERVAL_MS, TIMEOUT_MS, THRESHOLD, THRESHOLD), ips),
            pool("http", Topology.HTTP_PORT, check(INTERVAL_MS, 0, TIMEOUT_MS, THRESHOLD, THRESHOLD, 0,
                http("/", 200)), ips))).get(5, TimeUnit.SECONDS);
        HealthFixtures.await("every target probed twice", 3_000,
            () -> checker.statuses().values().stream().allMatch(s -> s.probeCount() >= 2));
        assertTrue(checker.statuses().values().stream().allMatch(TargetStatus::healthy), checker.statuses().toString());
        assertEquals("ok (http status 200)", checker.status("http", ips[1]).lastResult().toString());

        final long stopCallNs = System.nanoTime();
        topology.stopServer(2);
        final long stoppedNs = System.nanoTime();
        // worst case: the stop lands just after a probe, then THRESHOLD more intervals and scheduling slack
        final long boundMs = (THRESHOLD + 1) * INTERVAL_MS + TIMEOUT_MS + 500;
        final HealthFixtures.Transition tcpDown = recorder.await("tcp", ips[1], false, boundMs);
        final HealthFixtures.Transition httpDown = recorder.await("http", ips[1], false, boundMs);
        assertEquals("2 failed probes in a row, last: refused", tcpDown.reason());
        assertEquals("2 failed probes in a row, last: refused", httpDown.reason());
        assertFalse(checker.isHealthy("tcp", ips[1]));
        assertFalse(checker.isHealthy("http", ips[1]));

        final long startCallNs = System.nanoTime();
        topology.startServer(2);
        final long startedNs = System.nanoTime();
        final HealthFixtures.Transition tcpUp = recorder.await("tcp", ips[1], true, boundMs);
        final HealthFixtures.Transition httpUp = recorder.await("http", ips[1], true, boundMs);
        assertTrue(checker.isHealthy("tcp", ips[1]) && checker.isHealthy("http", ips[1]));

        System.out.printf("detection (interval %d ms, timeout %d ms, thresholds %d/%d): server stopped -> down: " +
                "TCP %d ms, HTTP %d ms (stop call took %d ms); server answering -> up: TCP %d ms, HTTP %d ms " +
                "(start call took %d ms); bound %d ms%n",
            INTERVAL_MS, TIMEOUT_MS, THRESHOLD, THRESHOLD, ms(tcpDown.atNs() - stoppedNs),
            ms(httpDown.atNs() - stoppedNs), ms(stoppedNs - stopCallNs), ms(tcpUp.atNs() - startedNs),
            ms(httpUp.atNs() - startedNs), ms(startedNs - startCallNs), boundMs);
        for (final String ip : List.of(ips[0], ips[2]))
        {
            assertTrue(recorder.of("tcp", ip).isEmpty() && recorder.of("http", ip).isEmpty(),
                "targets 1 and 3 never changed: " + recorder.transitions);
        }
    }

    @Test
    void shouldFailBadStatusesClosedPortsAndSilentAddresses() throws Exception
    {
        recorder = new HealthFixtures.Recorder();
        startInNode(recorder);
        final String t1 = topology.target(1).address();
        final String t3 = topology.target(3).address();
        checker.update(config(
            // the demo server answers 400 to /bytes with a count that is no number
            pool("bad-request", Topology.HTTP_PORT,
                check(INTERVAL_MS, 0, TIMEOUT_MS, 2, 2, 0, http("/bytes?n=x", 200)), t1),
            pool("strict", Topology.HTTP_PORT, check(INTERVAL_MS, 0, TIMEOUT_MS, 2, 2, 0, http("/", 201)), t3),
            pool("closed-port", Topology.HTTP_PORT, check(INTERVAL_MS, 0, TIMEOUT_MS, 2, 2, 9, null), t1),
            pool("blackhole", Topology.HTTP_PORT, check(INTERVAL_MS, TIMEOUT_MS, 2, 2), BLACKHOLE),
            pool("fine", Topology.HTTP_PORT, check(INTERVAL_MS, 0, TIMEOUT_MS, 2, 2, 0, http("/", 200)), t1, t3)))
            .get(5, TimeUnit.SECONDS);

        final long boundMs = 3 * INTERVAL_MS + TIMEOUT_MS + 500;
        assertEquals("2 failed probes in a row, last: http status 400",
            recorder.await("bad-request", t1, false, boundMs).reason());
        assertEquals("2 failed probes in a row, last: http status 200",
            recorder.await("strict", t3, false, boundMs).reason());
        assertEquals("2 failed probes in a row, last: refused",
            recorder.await("closed-port", t1, false, boundMs).reason());
        assertEquals("2 failed probes in a row, last: timeout",
            recorder.await("blackhole", BLACKHOLE, false, boundMs).reason());
        assertEquals(9, checker.status("closed-port", t1).probePort());

        HealthFixtures.await("the blackhole probed 4 times", 3_000,
            () -> checker.status("blackhole", BLACKHOLE).probeCount() >= 4);
        assertEquals(ProbeResult.TIMEOUT, checker.status("blackhole", BLACKHOLE).lastResult());
        assertTrue(checker.status("fine", t1).healthy() && checker.status("fine", t3).healthy());
        assertTrue(recorder.of("fine", t1).isEmpty() && recorder.of("fine", t3).isEmpty());
    }

    private static long ms(final long ns)
    {
        return TimeUnit.NANOSECONDS.toMillis(ns);
    }
}
