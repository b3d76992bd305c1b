package io.tandem.control.health;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tandem.control.health.HealthFixtures.http;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The pure parts of the checker: due times, failure classification and the request, on explicit times. */
class HealthCheckerScheduleTest
{
    private static final long INTERVAL_NS = TimeUnit.SECONDS.toNanos(5);

    @Test
    void shouldSpreadFirstProbesUniformlyOverOneInterval()
    {
        final SplittableRandom random = new SplittableRandom(42);
        final long nowNs = 1_000_000_000L;
        final int[] buckets = new int[10];
        for (int i = 0; i < 10_000; i++)
        {
            final long dueNs = HealthChecker.firstProbeNs(nowNs, INTERVAL_NS, random);
            assertTrue(dueNs >= nowNs && dueNs < nowNs + INTERVAL_NS, "within one interval: " + (dueNs - nowNs));
            buckets[(int)((dueNs - nowNs) * 10 / INTERVAL_NS)]++;
        }
        for (final int count : buckets)
        {
            assertTrue(count > 800 && count < 1200, "each tenth of the interval gets about 1000: " + count);
        }
    }

    @Test
    void shouldAddTheIntervalExactlyWithoutJitter()
    {
        final SplittableRandom random = new SplittableRandom(1);
        assertEquals(7 + INTERVAL_NS, HealthChecker.nextProbeNs(7, INTERVAL_NS, 0, random));
    }

    @Test
    void shouldAddUpToTheJitterToEachInterval()
    {
        final SplittableRandom random = new SplittableRandom(7);
        final long jitterNs = TimeUnit.SECONDS.toNanos(1);
        long dueNs = 0;
        long sum = 0;
        final Set<Long> gaps = new HashSet<>();
        final int n = 10_000;
        for (int i = 0; i < n; i++)
        {
            final long nextNs = HealthChecker.nextProbeNs(dueNs, INTERVAL_NS, jitterNs, random);
            final long gap = nextNs - dueNs;
            assertTrue(gap >= INTERVAL_NS && gap <= INTERVAL_NS + jitterNs, "gap " + gap);
            gaps.add(gap);
            sum += gap - INTERVAL_NS;
            dueNs = nextNs;
        }
        assertTrue(gaps.size() > n * 9 / 10, "gaps differ: " + gaps.size());
        final double meanJitter = (double)sum / n;
        assertTrue(Math.abs(meanJitter - jitterNs / 2.0) < jitterNs * 0.05, "mean jitter about half: " + meanJitter);
        // fixed rate: after n probes the schedule is where the due times say, not later by the probes' duration
        assertEquals(n * INTERVAL_NS + sum, dueNs);
    }

    @Test
    void shouldClassifyConnectFailures()
    {
        assertEquals(ProbeResult.REFUSED, HealthChecker.failure(new ConnectException("Connection refused")));
        assertEquals("error: no route to host",
            HealthChecker.failure(new NoRouteToHostException("No route to host")).toString());
        assertEquals("error: connection reset",
            HealthChecker.failure(new SocketException("Connection reset")).toString());
        assertEquals("error: IOException", HealthChecker.failure(new IOException()).toString());
    }

    @Test
    void shouldWriteAMinimalRequest()
    {
        assertEquals("GET /healthz HTTP/1.1\r\nHost: 198.18.0.21:8080\r\nConnection: close\r\n" +
                "User-Agent: tandem-health\r\n\r\n",
            new String(HealthChecker.request("198.18.0.21", 8080, http("/healthz", 200)), StandardCharsets.US_ASCII));
        assertEquals("GET / HTTP/1.1\r\nHost: 198.18.0.21\r\nConnection: close\r\nUser-Agent: tandem-health\r\n\r\n",
            new String(HealthChecker.request("198.18.0.21", 80, http("/", 200)), StandardCharsets.US_ASCII));
    }

    @Test
    void shouldDescribeResults()
    {
        assertEquals("ok", ProbeResult.OK.toString());
        assertEquals("ok (http status 204)", ProbeResult.http(204, true).toString());
        assertEquals("http status 404", ProbeResult.http(404, false).toString());
        assertEquals("timeout", ProbeResult.TIMEOUT.toString());
        assertEquals("refused", ProbeResult.REFUSED.toString());
    }
}
