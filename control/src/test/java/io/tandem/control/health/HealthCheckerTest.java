package io.tandem.control.health;

import io.tandem.control.config.TargetHealth;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static io.tandem.control.health.HealthFixtures.await;
import static io.tandem.control.health.HealthFixtures.check;
import static io.tandem.control.health.HealthFixtures.config;
import static io.tandem.control.health.HealthFixtures.http;
import static io.tandem.control.health.HealthFixtures.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The checker in real time against servers on loopback addresses (127.0.0.0/8); needs no root. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthCheckerTest
{
    private static final String OK_REPLY = "HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nok\n";

    private LoopbackServers servers;
    private HealthFixtures.Recorder recorder;
    private HealthChecker checker;

    @BeforeEach
    void setUp()
    {
        servers = new LoopbackServers();
        recorder = new HealthFixtures.Recorder();
    }

    @AfterEach
    void tearDown() throws Exception
    {
        if (null != checker)
        {
            checker.close();
            assertFalse(checker.thread().isAlive(), "the checker thread ends on close");
            assertEquals(0, checker.errors(), "no unexpected exceptions");
        }
        servers.close();
    }

    private HealthChecker start(final HealthChecker.Context context)
    {
        checker = new HealthChecker(context.listener(recorder));
        return checker;
    }

    @Test
    void shouldTakeATargetDownOnRefusedConnectsAndUpWhenItListensAgain() throws Exception
    {
        final int port = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        start(new HealthChecker.Context());
        // 127.0.0.2 has nothing on the port: the listener above is bound to 127.0.0.1 only
        checker.update(config(pool("p", port, check(100, 100, 2, 2), "127.0.0.1", "127.0.0.2")))
            .get(5, TimeUnit.SECONDS);
        assertTrue(checker.isHealthy("p", "127.0.0.2"), "healthy until proven otherwise");

        final HealthFixtures.Transition down = recorder.await("p", "127.0.0.2", false, 2_000);
        assertEquals("2 failed probes in a row, last: refused", down.reason());
        assertFalse(checker.isHealthy("p", "127.0.0.2"));
        final TargetStatus status = checker.status("p", "127.0.0.2");
        assertFalse(status.healthy());
        assertEquals(ProbeResult.REFUSED, status.lastResult());
        assertTrue(status.consecutiveFailures() >= 2);
        assertTrue(status.lastTransitionEpochMs() > 0 && status.lastProbeEpochMs() > 0);

        await("127.0.0.1 probed ok three times", 2_000, () -> checker.status("p", "127.0.0.1").probeCount() >= 3);
        final TargetStatus up = checker.status("p", "127.0.0.1");
        assertTrue(up.healthy());
        assertEquals(ProbeResult.OK, up.lastResult());
        assertEquals(0, up.consecutiveFailures());

        servers.listen("127.0.0.2", port, LoopbackServers.Mode.CLOSE, null);
        final HealthFixtures.Transition back = recorder.await("p", "127.0.0.2", true, 2_000);
        assertEquals("2 successful probes in a row, last: ok", back.reason());
        assertTrue(checker.isHealthy("p", "127.0.0.2"));
        assertTrue(recorder.of("p", "127.0.0.1").isEmpty(), "the healthy target never changed");
    }

    @Test
    void shouldJudgeHttpChecksByTheStatusLine() throws Exception
    {
        final int ok = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.REPLY, OK_REPLY);
        final int notFound = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.REPLY,
            "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n");
        final int garbage = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.REPLY, "SSH-2.0-OpenSSH_9.6\r\n\r\n");
        final int silent = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.SILENT, null);
        final int early = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        start(new HealthChecker.Context());
        final var check = check(100, 0, 150, 2, 2, 0, http("/health", 200, 204));
        checker.update(config(
            pool("ok", ok, check, "127.0.0.1"),
            pool("404", notFound, check, "127.0.0.1"),
            pool("garbage", garbage, check, "127.0.0.1"),
            pool("silent", silent, check, "127.0.0.1"),
            pool("early", early, check, "127.0.0.1"),
            // the same server, but 200 is not good enough for this pool
            pool("strict", ok, check(100, 0, 150, 2, 2, 0, http("/health", 201)), "127.0.0.1")))
            .get(5, TimeUnit.SECONDS);

        assertEquals("2 failed probes in a row, last: http status 404",
            recorder.await("404", "127.0.0.1", false, 2_000).reason());
        assertEquals("2 failed probes in a row, last: error: malformed status line",
            recorder.await("garbage", "127.0.0.1", false, 2_000).reason());
        assertEquals("2 failed probes in a row, last: timeout",
            recorder.await("silent", "127.0.0.1", false, 2_000).reason());
        final String earlyReason = recorder.await("early", "127.0.0.1", false, 2_000).reason();
        assertTrue(earlyReason.startsWith("2 failed probes in a row, last: error: "), earlyReason);
        assertEquals("2 failed probes in a row, last: http status 200",
            recorder.await("strict", "127.0.0.1", false, 2_000).reason());

        await("the good server probed three times", 2_000, () -> checker.status("ok", "127.0.0.1").probeCount() >= 3);
        final TargetStatus good = checker.status("ok", "127.0.0.1");
        assertTrue(good.healthy());
        assertEquals(ProbeResult.http(200, true), good.lastResult());
        assertEquals("ok (http status 200)", good.lastResult().toString());

        final String head = servers.requests().getFirst();
        assertTrue(head.startsWith("GET /health HTTP/1.1\r\nHost: 127.0.0.1:"), head);
        assertTrue(head.contains("\r\nConnection: close\r\nUser-Agent: tandem-health\r\n\r\n"), head);
    }

    @Test
    void shouldSendFromTheConfiguredLocalAddress() throws Exception
    {
        final int port = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        start(new HealthChecker.Context().localAddress("127.0.0.5"));
        checker.update(config(pool("p", port, check(50, 50, 1, 1), "127.0.0.1"))).get(5, TimeUnit.SECONDS);
        await("three probes", 2_000, () -> checker.status("p", "127.0.0.1").probeCount() >= 3);
        final List<String> peers = servers.peers();
        assertFalse(peers.isEmpty());
        assertTrue(peers.stream().allMatch("127.0.0.5"::equals), peers.toString());
    }

    @Test
    void shouldKeepTheStateOfUnchangedTargetsAcrossUpdates() throws Exception
    {
        final int port = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        final int other = servers.listen("127.0.0.9", 0, LoopbackServers.Mode.CLOSE, null);
        servers.listen("127.0.0.1", other, LoopbackServers.Mode.CLOSE, null);
        start(new HealthChecker.Context());
        final var fast = check(50, 50, 2, 2);
        checker.update(config(
            pool("keep", port, fast, "127.0.0.1", "127.0.0.9"),
            pool("drop", port, fast, "127.0.0.1"))).get(5, TimeUnit.SECONDS);
        recorder.await("keep", "127.0.0.9", false, 2_000);
        await("keep/127.0.0.1 probed", 2_000, () -> checker.status("keep", "127.0.0.1").probeCount() >= 3);

        // keep/127.0.0.1 unchanged; keep/127.0.0.9 moves to a port that listens (altPort); drop goes; add comes
        checker.update(config(
            pool("keep", port, fast, "127.0.0.1"),
            pool("keep2", port, fast, "127.0.0.3"))).get(5, TimeUnit.SECONDS);
        final TargetStatus kept = checker.status("keep", "127.0.0.1");
        assertTrue(kept.probeCount() >= 3, "state kept: " + kept);
        assertNull(checker.status("drop", "127.0.0.1"), "removed pool forgotten");
        assertNull(checker.status("keep", "127.0.0.9"), "removed target forgotten");
        assertTrue(checker.isHealthy("keep", "127.0.0.9"), "unknown targets count as healthy");
        final TargetStatus added = checker.status("keep2", "127.0.0.3");
        assertTrue(added.healthy());
        assertTrue(added.probeCount() <= 1, "new target starts afresh: " + added);
        assertEquals(List.of(new TargetHealth.Key("keep", "127.0.0.1"), new TargetHealth.Key("keep2", "127.0.0.3")),
            List.copyOf(checker.statuses().keySet()));

        // changed probe settings: the counters start again, the verdict stays until the new probes overturn it
        checker.update(config(
            pool("keep", port, fast, "127.0.0.1", "127.0.0.9"))).get(5, TimeUnit.SECONDS);
        recorder.await("keep", "127.0.0.9", false, 2_000);
        checker.update(config(
            pool("keep", port, check(50, 0, 50, 2, 2, other, null), "127.0.0.1", "127.0.0.9")))
            .get(5, TimeUnit.SECONDS);
        final TargetStatus moved = checker.status("keep", "127.0.0.9");
        assertFalse(moved.healthy(), "verdict carried over: " + moved);
        assertEquals(other, moved.probePort());
        assertTrue(moved.probeCount() <= 1, "counters afresh: " + moved);
        recorder.await("keep", "127.0.0.9", true, 2_000);
        assertTrue(recorder.of("keep", "127.0.0.1").isEmpty(), "no flap of the unchanged target");
    }

    @Test
    void shouldAnswerTargetHealthFromAFrozenSnapshot() throws Exception
    {
        final int port = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        start(new HealthChecker.Context());
        final TargetHealth before = checker.snapshot();
        checker.update(config(pool("p", port, check(50, 50, 1, 1), "127.0.0.2"))).get(5, TimeUnit.SECONDS);
        recorder.await("p", "127.0.0.2", false, 2_000);
        assertFalse(checker.isHealthy("p", "127.0.0.2"));
        assertFalse(checker.snapshot().isHealthy("p", "127.0.0.2"));
        assertTrue(before.isHealthy("p", "127.0.0.2"), "a snapshot does not change");
        assertTrue(checker.isHealthy("other", "127.0.0.2"));
    }

    @Test
    void shouldSeeTheNewStateFromTheListener() throws Exception
    {
        final int port = servers.listen("127.0.0.1", 0, LoopbackServers.Mode.CLOSE, null);
        final java.util.concurrent.CompletableFuture<Boolean> seen = new java.util.concurrent.CompletableFuture<>();
        final HealthChecker[] self = new HealthChecker[1];
        checker = new HealthChecker(new HealthChecker.Context().listener(
            (poolName, ip, healthy, reason) -> seen.complete(self[0].snapshot().isHealthy(poolName, ip) == healthy)));
        self[0] = checker;
        checker.update(config(pool("p", port, check(50, 50, 1, 1), "127.0.0.2"))).get(5, TimeUnit.SECONDS);
        assertTrue(seen.get(5, TimeUnit.SECONDS), "a snapshot built in onTransition shows the transition");
    }

    @Test
    void shouldSpreadProbesWithJitter() throws Exception
    {
        final int targets = 40;
        final long intervalMs = 400;
        final long jitterMs = 200;
        final String[] ips = new String[targets];
        int port = 0;
        for (int i = 0; i < targets; i++)
        {
            ips[i] = "127.0.3." + (i + 1);
            port = servers.listen(ips[i], port, LoopbackServers.Mode.CLOSE, null);
        }
        final Map<String, List<Long>> starts = new java.util.concurrent.ConcurrentHashMap<>();
        final long t0 = System.currentTimeMillis();
        checker = new HealthChecker(new HealthChecker.Context().listener(new HealthListener()
        {
            @Override
            public void onTransition(final String poolName, final String ip, final boolean healthy,
                final String reason)
            {
            }

            @Override
            public void onProbe(final TargetStatus status)
            {
                starts.computeIfAbsent(status.targetIp(), k -> new java.util.concurrent.CopyOnWriteArrayList<>())
                    .add(status.lastProbeEpochMs());
            }
        }));
        checker.update(config(pool("p", port, check(intervalMs, jitterMs, 200, 2, 2, 0, null), ips)))
            .get(5, TimeUnit.SECONDS);
        await("four probes of every target", 10_000,
            () -> starts.size() == targets && starts.values().stream().allMatch(l -> l.size() >= 4));

        final long[] firsts = starts.values().stream().mapToLong(List::getFirst).sorted().toArray();
        final long spanMs = firsts[targets - 1] - firsts[0];
        int maxPer50Ms = 0;
        for (final long first : firsts)
        {
            int n = 0;
            for (final long other : firsts)
            {
                n += other >= first && other < first + 50 ? 1 : 0;
            }
            maxPer50Ms = Math.max(maxPer50Ms, n);
        }
        long minGap = Long.MAX_VALUE;
        long maxGap = 0;
        for (final List<Long> list : starts.values())
        {
            for (int i = 1; i < list.size(); i++)
            {
                final long gap = list.get(i) - list.get(i - 1);
                minGap = Math.min(minGap, gap);
                maxGap = Math.max(maxGap, gap);
            }
        }
        System.out.printf("jitter: %d targets, interval %d ms + jitter 0..%d ms: first probes within %d ms of the " +
                "update span %d ms, at most %d in any 50 ms; gaps %d..%d ms%n",
            targets, intervalMs, jitterMs, firsts[0] - t0, spanMs, maxPer50Ms, minGap, maxGap);
        assertTrue(spanMs > intervalMs / 2, "first probes spread over the interval: " + spanMs);
        assertTrue(maxPer50Ms <= targets / 2, "first probes not all at once: " + maxPer50Ms);
        // due times are fixed-rate, so a probe that starts late shortens the gap to the next one; the epoch clock is
        // ms-coarse, and a loaded test host delays a start by tens of ms now and then: slack both ways
        assertTrue(minGap >= intervalMs - 50, "gap at least the interval: " + minGap);
        assertTrue(maxGap <= intervalMs + jitterMs + 50, "gap at most interval + jitter: " + maxGap);
        assertTrue(maxGap - minGap > jitterMs / 2, "gaps vary by the jitter: " + minGap + ".." + maxGap);
    }
}
