package io.tandem.control.health;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.BindException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.tandem.control.health.HealthFixtures.check;
import static io.tandem.control.health.HealthFixtures.config;
import static io.tandem.control.health.HealthFixtures.http;
import static io.tandem.control.health.HealthFixtures.pool;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * 300 targets, half TCP and half HTTP, on loopback addresses 127.0.1.x and 127.0.2.x, probed by the one checker
 * thread: every probe starts on time, every target stays healthy, and the thread uses little CPU. Needs no root.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HealthCheckerScaleTest
{
    private static final int PER_POOL = 150;
    private static final long INTERVAL_MS = 500;
    private static final long RUN_MS = 6_000;

    private LoopbackServers servers;
    private HealthChecker checker;

    @AfterEach
    void tearDown() throws Exception
    {
        if (null != checker)
        {
            checker.close();
        }
        if (null != servers)
        {
            servers.close();
        }
    }

    @Test
    void shouldProbeThreeHundredTargetsOnTimeFromOneThread() throws Exception
    {
        servers = new LoopbackServers();
        final String[] tcp = new String[PER_POOL];
        final String[] web = new String[PER_POOL];
        final int port = listenEverywhere(tcp, web);

        final Map<String, List<Long>> probes = new ConcurrentHashMap<>();
        final HealthFixtures.Recorder recorder = new HealthFixtures.Recorder();
        checker = new HealthChecker(new HealthChecker.Context().threadName("health-scale").listener(new HealthListener()
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
                // only the checker thread writes: a plain list is enough until the test reads it after close
                probes.computeIfAbsent(status.poolName() + "/" + status.targetIp(), k -> new ArrayList<>())
                    .add(status.lastProbeEpochMs());
            }
        }));
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long cpu0 = threads.getThreadCpuTime(checker.thread().threadId());
        final long wall0 = System.nanoTime();
        checker.update(config(
            pool("tcp", port, check(INTERVAL_MS, 300, 2, 3), tcp),
            pool("web", port, check(INTERVAL_MS, 0, 300, 2, 3, 0, http("/", 200)), web))).get(5, TimeUnit.SECONDS);

        // a canary thread measures how late the host wakes any thread of this JVM, so that a stall of the whole host
        // (other builds beside this one) is not blamed on the checker
        final AtomicLong canaryMaxNs = new AtomicLong();
        final Thread canary = Thread.ofPlatform().daemon().name("canary").start(() ->
        {
            while (!Thread.currentThread().isInterrupted())
            {
                final long t = System.nanoTime();
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(5));
                canaryMaxNs.accumulateAndGet(System.nanoTime() - t - TimeUnit.MILLISECONDS.toNanos(5), Math::max);
            }
        });
        Thread.sleep(RUN_MS);
        canary.interrupt();
        canary.join(1_000);
        final long cpuNs = threads.getThreadCpuTime(checker.thread().threadId()) - cpu0;
        final long wallNs = System.nanoTime() - wall0;
        final long started = checker.probesStarted();
        final long latenessNs = checker.maxStartLatenessNs();
        checker.close();

        // lateness seen from outside: probe k of a target is due at base + k * interval (no jitter here), base being
        // the earliest that fits; the epoch clock has 1 ms resolution
        long min = Long.MAX_VALUE;
        long max = 0;
        final List<Long> lateness = new ArrayList<>();
        long worstSteady = 0;
        for (final List<Long> starts : probes.values())
        {
            min = Math.min(min, starts.size());
            max = Math.max(max, starts.size());
            long base = Long.MAX_VALUE;
            for (int k = 0; k < starts.size(); k++)
            {
                base = Math.min(base, starts.get(k) - k * INTERVAL_MS);
            }
            for (int k = 0; k < starts.size(); k++)
            {
                final long late = starts.get(k) - k * INTERVAL_MS - base;
                lateness.add(late);
                if (k >= 2)
                {
                    // after the first two rounds the JIT has compiled the loop and the socket classes are loaded
                    worstSteady = Math.max(worstSteady, late);
                }
            }
        }
        Collections.sort(lateness);
        final long p50 = lateness.get(lateness.size() / 2);
        final long p99 = lateness.get(lateness.size() * 99 / 100);
        final long worst = lateness.getLast();
        System.out.printf("scale: %d targets (150 TCP, 150 HTTP), interval %d ms, %d ms: %d probes started, " +
                "%d..%d per target (expected %d..%d); start lateness p50 %d ms, p99 %d ms, max %d ms, max after two " +
                "rounds %d ms (checker's own max %.2f ms; a 5 ms sleeper woke up to %.2f ms late); checker CPU " +
                "%.1f ms = %.2f%% of one core%n",
            2 * PER_POOL, INTERVAL_MS, wallNs / 1_000_000, started, min, max, RUN_MS / INTERVAL_MS - 1,
            RUN_MS / INTERVAL_MS + 1, p50, p99, worst, worstSteady, latenessNs / 1e6, canaryMaxNs.get() / 1e6,
            cpuNs / 1e6, 100.0 * cpuNs / wallNs);

        assertEquals(2 * PER_POOL, probes.size(), "every target probed");
        assertTrue(min >= RUN_MS / INTERVAL_MS - 1 && max <= RUN_MS / INTERVAL_MS + 1,
            "every target probed once per interval: " + min + ".." + max);
        assertTrue(recorder.transitions.isEmpty(), "no target failed: " + recorder.transitions);
        // on an idle host p99 is a few ms; the bounds leave room for a loaded 2-core test host (other builds running
        // beside this one delay a runnable thread by tens of ms), yet catch a checker that cannot keep up
        assertTrue(p50 <= 5, "probes start on time, p50: " + p50 + " ms");
        assertTrue(worstSteady <= TimeUnit.NANOSECONDS.toMillis(canaryMaxNs.get()) + 20,
            "once warm, the checker is never much later than the host wakes a sleeping thread: " + worstSteady +
            " ms vs " + canaryMaxNs.get() + " ns");
        assertTrue(latenessNs < TimeUnit.MILLISECONDS.toNanos(INTERVAL_MS / 2), "never half an interval late, " +
            "even while warming up: " + latenessNs + " ns");
        assertTrue(cpuNs < wallNs / 4, "the checker thread stays well below a core: " + cpuNs + " of " + wallNs);
    }

    /** Listens on one port of 300 loopback addresses; @return the port. */
    private int listenEverywhere(final String[] tcp, final String[] web) throws Exception
    {
        for (int attempt = 0; ; attempt++)
        {
            final int port = servers.listen("127.0.1.1", 0, LoopbackServers.Mode.CLOSE, null);
            tcp[0] = "127.0.1.1";
            try
            {
                for (int i = 1; i <= PER_POOL; i++)
                {
                    if (i > 1)
                    {
                        tcp[i - 1] = "127.0.1." + i;
                        servers.listen(tcp[i - 1], port, LoopbackServers.Mode.CLOSE, null);
                    }
                    web[i - 1] = "127.0.2." + i;
                    servers.listen(web[i - 1], port, LoopbackServers.Mode.REPLY,
                        "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
                }
                return port;
            }
            catch (final BindException ex)
            {
                // someone else holds the port on one of the addresses: start again on another port
                servers.close();
                servers = new LoopbackServers();
                if (attempt == 5)
                {
                    throw ex;
                }
            }
        }
    }
}
