package io.tandem.control.demo;

import com.sun.net.httpserver.HttpServer;
import io.tandem.ffi.Netns;
import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.OutputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link ReplyGapProbe}: its ticks, skips and gaps with a fake clock and sender (no network), its two connection
 * modes against an HTTP server in this JVM on loopback, and, tagged root, a target's python3 server through the demo
 * topology's router, steady and frozen (SIGSTOP) for 500 ms.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class ReplyGapProbeTest
{
    private static final long MS = 1_000_000L;

    private static Topology topology;
    private static List<String> names;

    private long nowNs;
    private final NanoClock clock = () -> nowNs;
    private final LongConsumer sleep = ns -> nowNs += ns;

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

    /** The topology of the root tests, built on first use: 1 client, 1 target with its HTTP server. */
    private static synchronized Topology topology()
    {
        if (null == topology)
        {
            topology = Topology.build(new Topology.Context().clients(1).targets(1).nodes(1).echoServers(true));
            names = topology.namespaceNames();
        }
        return topology;
    }

    @Test
    void shouldMeasureTheGapAcrossTimeoutsAndSkipTheTicksTheyCover()
    {
        // requests take 1 ms, except from 500 ms to 1000 ms, when each times out after 200 ms
        final ReplyGapProbe.Result result = ReplyGapProbe.run(fake(Duration.ofSeconds(2)), (index, timeoutNs) ->
        {
            if (nowNs >= 500 * MS && nowNs < 1000 * MS)
            {
                nowNs += timeoutNs;
                throw new SocketTimeoutException("took longer than 200 ms");
            }
            nowNs += MS;
            return "target-1\n";
        }, clock, sleep);

        // ticks 0..49 answer, 50 (ends 700), 70 (ends 900) and 90 (ends 1100) fail, 110..199 answer
        assertEquals(143, result.requests());
        assertEquals(140, result.replies());
        assertEquals(3, result.failures());
        assertEquals(57, result.skippedTicks());
        assertEquals(200, result.requests() + result.skippedTicks(), "every tick sent or skipped");
        assertEquals(1101 * MS - 491 * MS, result.longestGapNs(), "last reply before at 491 ms, first after 1101");
        assertEquals(491 * MS, result.longestGapStartNs());
        assertEquals(Map.of("target-1", 140), result.answers());
        assertEquals(List.of("SocketTimeoutException: took longer than 200 ms"), result.errors());
        assertEquals(1991 * MS, result.elapsedNs());

        final ReplyGapProbe.Sample failed = result.samples().get(50);
        assertEquals(500 * MS, failed.startNs());
        assertEquals(200 * MS, failed.latencyNs());
        assertFalse(failed.ok());
        assertNull(failed.answer());
        final ReplyGapProbe.Sample back = result.samples().get(53);
        assertEquals(1100 * MS, back.startNs());
        assertEquals("target-1", back.answer());
        assertTrue(result.summary().contains("longest gap 610 ms from 491 ms"), result.summary());
    }

    @Test
    void shouldNeverPileUpRequests()
    {
        final ReplyGapProbe.Result result = ReplyGapProbe.run(fake(Duration.ofSeconds(1)), (index, timeoutNs) ->
        {
            nowNs += 35 * MS;
            return "target-2";
        }, clock, sleep);

        // each request covers 4 ticks of 10 ms: sent at 0, 40, ..., 960 ms
        assertEquals(25, result.requests());
        assertEquals(75, result.skippedTicks());
        assertEquals(40 * MS, result.longestGapNs());
        for (int i = 0; i < result.samples().size(); i++)
        {
            assertEquals(40 * MS * i, result.samples().get(i).startNs());
        }
    }

    @Test
    void shouldCountTheWholeRunAsAGapWhenNothingAnswers()
    {
        final ReplyGapProbe.Result result = ReplyGapProbe.run(fake(Duration.ofSeconds(1)), (index, timeoutNs) ->
        {
            nowNs += MS;
            throw new ConnectException("Connection refused");
        }, clock, sleep);

        assertEquals(0, result.replies());
        assertEquals(100, result.failures());
        assertEquals(result.elapsedNs(), result.longestGapNs());
        assertEquals(0, result.longestGapStartNs());
        assertNull(result.lastAnswer());
        assertTrue(result.answers().isEmpty());
    }

    @Test
    void shouldCountTheGapToTheEndWhenTheServiceNeverComesBack()
    {
        final ReplyGapProbe.Result result = ReplyGapProbe.run(fake(Duration.ofSeconds(2)), (index, timeoutNs) ->
        {
            nowNs += MS;
            if (nowNs > 1000 * MS)
            {
                throw new ConnectException("Connection refused");
            }
            return "target-1";
        }, clock, sleep);

        assertEquals(1991 * MS, result.elapsedNs());
        assertEquals(1000 * MS, result.longestGapNs(), "from the last reply at 991 ms to the end");
        assertEquals(991 * MS, result.longestGapStartNs());
    }

    @Test
    void shouldTellWhichTargetsAnswered()
    {
        final ReplyGapProbe.Result result = ReplyGapProbe.run(fake(Duration.ofSeconds(1)), (index, timeoutNs) ->
        {
            nowNs += MS;
            return nowNs < 300 * MS ? "target-1\n" : nowNs < 600 * MS ? "" : "target-3\n";
        }, clock, sleep);

        assertEquals(Map.of("target-1", 30, "(empty)", 30, "target-3", 40), result.answers());
        assertEquals(2, result.answerChanges());
        assertEquals("target-3", result.lastAnswer());
    }

    @Test
    void shouldRejectBadSettings()
    {
        assertThrows(IllegalArgumentException.class, () -> new ReplyGapProbe.Context().conclude());
        assertThrows(IllegalArgumentException.class, () -> new ReplyGapProbe.Context().url("http://host/").conclude());
        assertThrows(IllegalArgumentException.class, () -> new ReplyGapProbe.Context().url("ftp://127.0.0.1/")
            .conclude());
        assertThrows(IllegalArgumentException.class, () -> fake(Duration.ofSeconds(1))
            .interval(Duration.ofMillis(1)).conclude());
        assertThrows(IllegalArgumentException.class, () -> fake(Duration.ZERO).conclude());
        assertThrows(IllegalArgumentException.class, () -> fake(Duration.ofSeconds(1))
            .requestTimeout(Duration.ofSeconds(11)).conclude());
    }

    @ParameterizedTest(name = "keepAlive={0}")
    @ValueSource(booleans = {false, true})
    void shouldProbeALoopbackServerOverNewConnectionsOrOne(final boolean keepAlive) throws Exception
    {
        final Set<Integer> peers = ConcurrentHashMap.newKeySet();
        final HttpServer server = HttpServer.create(new InetSocketAddress(InetAddress.ofLiteral("127.0.0.1"), 0), 50);
        server.createContext("/", exchange ->
        {
            peers.add(exchange.getRemoteAddress().getPort());
            exchange.getRequestBody().readAllBytes();
            final byte[] body = "loop-1\n".getBytes(StandardCharsets.US_ASCII);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody())
            {
                out.write(body);
            }
        });
        server.start();
        try
        {
            final ReplyGapProbe.Result result = ReplyGapProbe.run(null, new ReplyGapProbe.Context()
                .url("http://127.0.0.1:" + server.getAddress().getPort() + "/").duration(Duration.ofMillis(500))
                .keepAlive(keepAlive));
            System.out.println(result.summary());

            assertEquals(0, result.failures(), result.summary());
            assertTrue(result.replies() >= 10, result.summary());
            assertEquals(Map.of("loop-1", result.replies()), result.answers());
            assertEquals(keepAlive ? 1 : result.replies(), peers.size(), "connections the server saw");
            assertTrue(result.longestGapNs() < 200 * MS, result.summary());
        }
        finally
        {
            server.stop(0);
        }
    }

    @Test
    void shouldReportRefusedConnectionsOnLoopback() throws Exception
    {
        final int port;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.ofLiteral("127.0.0.1")))
        {
            port = unused.getLocalPort();
        }
        final ReplyGapProbe.Result result = ReplyGapProbe.run(null, new ReplyGapProbe.Context()
            .url("http://127.0.0.1:" + port + "/").duration(Duration.ofMillis(200)));

        assertEquals(0, result.replies());
        assertEquals(result.requests(), result.failures());
        assertTrue(result.errors().getFirst().contains("refused"), result.errors().toString());
        assertEquals(result.elapsedNs(), result.longestGapNs());
    }

    @ParameterizedTest(name = "keepAlive={0}")
    @ValueSource(booleans = {false, true})
    @Tag("root")
    void shouldSeeOnlySmallGapsFromASteadyTarget(final boolean keepAlive)
    {
        final Topology topology = topology();
        final ReplyGapProbe.Result result = ReplyGapProbe.run(topology.client(1).ns(), new ReplyGapProbe.Context()
            .url(topology.targetUrl(1)).duration(Duration.ofSeconds(2)).keepAlive(keepAlive));
        System.out.println(result.summary());

        assertEquals(0, result.failures(), result.summary());
        assertTrue(result.replies() >= 100, result.summary());
        assertEquals(200, result.requests() + result.skippedTicks());
        assertEquals(Map.of("target-1", result.replies()), result.answers());
        assertEquals(0, result.answerChanges());
        assertTrue(result.longestGapNs() < 200 * MS, result.summary());
    }

    @ParameterizedTest(name = "keepAlive={0}")
    @ValueSource(booleans = {false, true})
    @Tag("root")
    void shouldMeasureTheGapWhileTheTargetIsFrozen(final boolean keepAlive) throws Exception
    {
        final Topology topology = topology();
        final long pid = topology.serverPid(1);
        assertTrue(pid > 0);
        final CompletableFuture<ReplyGapProbe.Result> probe = ReplyGapProbe.start(topology.client(1).ns(),
            new ReplyGapProbe.Context().url(topology.targetUrl(1)).duration(Duration.ofSeconds(3))
                .keepAlive(keepAlive));
        Thread.sleep(1000);
        final long frozenNs;
        Netns.run("kill", "-STOP", Long.toString(pid));
        try
        {
            final long frozenAtNs = System.nanoTime();
            Thread.sleep(500);
            frozenNs = System.nanoTime() - frozenAtNs;
        }
        finally
        {
            Netns.run("kill", "-CONT", Long.toString(pid));
        }
        final ReplyGapProbe.Result result = probe.get(20, TimeUnit.SECONDS);
        System.out.println(result.summary() + "; frozen for " + frozenNs / MS + " ms");

        assertTrue(result.longestGapNs() >= 450 * MS, result.summary());
        assertTrue(result.longestGapNs() < 2000 * MS, result.summary());
        assertTrue(result.longestGapStartNs() > 700 * MS && result.longestGapStartNs() < 1500 * MS,
            "the gap began at the freeze: " + result.summary());
        assertTrue(result.failures() >= 1, "requests timed out meanwhile: " + result.summary());
        assertTrue(result.errors().stream().allMatch(e -> e.startsWith("SocketTimeoutException")),
            result.errors().toString());
        assertEquals("target-1", result.lastAnswer(), "it answers again: " + result.summary());
        assertTrue(result.replies() >= 100, result.summary());
    }

    private static ReplyGapProbe.Context fake(final Duration duration)
    {
        return new ReplyGapProbe.Context().url("http://127.0.0.1:1/").duration(duration);
    }
}
