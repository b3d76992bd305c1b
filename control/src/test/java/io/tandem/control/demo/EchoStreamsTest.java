package io.tandem.control.demo;

import io.tandem.ffi.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link EchoStreams} against echo servers in this JVM on loopback (no root: intact streams, a corrupted echo, a
 * reset, an early close, a refused connect), and, tagged root, against a target's python3 echo server through the
 * demo topology's router: intact streams, the server killed mid-run, the server frozen (SIGSTOP) mid-run.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class EchoStreamsTest
{
    private static final String LOOPBACK = "127.0.0.1";

    private static Topology topology;
    private static List<String> names;

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

    /** The topology of the root tests, built on first use: 1 client, 1 target with HTTP and echo servers. */
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
    void shouldMakeTheSameStreamWhateverTheChunks()
    {
        final byte[] whole = new byte[1000];
        EchoStreams.fill(7, 3, 0, whole, 0, whole.length);
        final byte[] pieces = new byte[1000];
        int offset = 0;
        for (final int size : new int[]{1, 2, 5, 8, 13, 100, 371, 500})
        {
            EchoStreams.fill(7, 3, offset, pieces, offset, size);
            offset += size;
        }
        assertEquals(1000, offset);
        assertArrayEquals(whole, pieces);

        final byte[] otherIndex = new byte[1000];
        EchoStreams.fill(7, 4, 0, otherIndex, 0, otherIndex.length);
        final byte[] otherSeed = new byte[1000];
        EchoStreams.fill(8, 3, 0, otherSeed, 0, otherSeed.length);
        assertFalse(Arrays.equals(whole, otherIndex));
        assertFalse(Arrays.equals(whole, otherSeed));
    }

    @Test
    void shouldRejectBadSettings()
    {
        assertThrows(IllegalArgumentException.class, () -> new EchoStreams.Context().conclude());
        assertThrows(IllegalArgumentException.class, () -> loopback(1).connections(0).conclude());
        assertThrows(IllegalArgumentException.class, () -> loopback(1).chunkBytes(10, 9).conclude());
        assertThrows(IllegalArgumentException.class,
            () -> loopback(1).interval(Duration.ZERO, Duration.ofMillis(5)).conclude());
        assertThrows(IllegalArgumentException.class, () -> loopback(1).duration(Duration.ZERO).conclude());
        assertThrows(IllegalArgumentException.class, () -> loopback(1).address("localhost").conclude());
    }

    @Test
    void shouldEchoEveryStreamIntactOnLoopback() throws Exception
    {
        try (LoopbackEcho server = new LoopbackEcho(Behaviour.ECHO))
        {
            final EchoStreams.Result result = EchoStreams.run(null,
                loopback(server.port()).connections(20).duration(Duration.ofSeconds(1)));
            System.out.println(result.summary());

            assertTrue(result.allOk(), result.summary());
            assertEquals(20, result.streams().size());
            for (final EchoStreams.Stream stream : result.streams())
            {
                assertTrue(stream.bytesSent() > 10_000, "about 1 s of 1-4 KiB every 20-50 ms: " + stream);
                assertEquals(stream.bytesSent(), stream.bytesReceived());
                assertTrue(stream.hashesMatch());
                assertEquals(-1, stream.firstMismatch());
                assertTrue(stream.localPort() > 0);
                assertEquals(null, stream.error());
            }
            assertEquals(result.bytesSent(), result.bytesReceived());
            assertEquals(Map.of(EchoStreams.Outcome.OK, 20), result.outcomes());
            assertTrue(result.maxStallNs() < 500_000_000L, result.summary());
            assertTrue(result.elapsedNs() >= 1_000_000_000L && result.elapsedNs() < 5_000_000_000L);
            assertEquals(20, server.halfClosed(), "every connection half-closed and read to the server's EOF");
        }
    }

    @Test
    void shouldFindTheFirstCorruptedByte() throws Exception
    {
        try (LoopbackEcho server = new LoopbackEcho(Behaviour.CORRUPT_BYTE_5000))
        {
            final EchoStreams.Result result = EchoStreams.run(null,
                loopback(server.port()).connections(3).duration(Duration.ofMillis(600)));

            assertEquals(Map.of(EchoStreams.Outcome.MISMATCH, 3), result.outcomes(), result.summary());
            for (final EchoStreams.Stream stream : result.streams())
            {
                assertEquals(5000, stream.firstMismatch());
                assertEquals(stream.bytesSent(), stream.bytesReceived());
                assertFalse(stream.hashesMatch());
            }
            assertTrue(result.summary().contains("mismatch 3"), result.summary());
        }
    }

    @Test
    void shouldReportResetsAndEarlyCloses() throws Exception
    {
        try (LoopbackEcho reset = new LoopbackEcho(Behaviour.RESET_AFTER_8000);
            LoopbackEcho close = new LoopbackEcho(Behaviour.CLOSE_AFTER_8000))
        {
            final EchoStreams.Result resetResult = EchoStreams.run(null,
                loopback(reset.port()).connections(4).duration(Duration.ofSeconds(2)));
            final EchoStreams.Result closeResult = EchoStreams.run(null,
                loopback(close.port()).connections(4).duration(Duration.ofSeconds(2)));

            assertEquals(Map.of(EchoStreams.Outcome.RESET, 4), resetResult.outcomes(), resetResult.summary());
            assertEquals(Map.of(EchoStreams.Outcome.EOF_EARLY, 4), closeResult.outcomes(), closeResult.summary());
            for (final EchoStreams.Stream stream : closeResult.streams())
            {
                assertTrue(stream.bytesReceived() <= 8000, stream.toString());
                assertTrue(stream.error().contains("while sending"), stream.error());
            }
            assertTrue(resetResult.elapsedNs() < 2_000_000_000L, "failed connections end the run early");
        }
    }

    @Test
    void shouldReportARefusedConnect() throws Exception
    {
        final int port;
        try (ServerSocket unused = new ServerSocket(0, 1, InetAddress.ofLiteral(LOOPBACK)))
        {
            port = unused.getLocalPort();
        }
        final EchoStreams.Result result = EchoStreams.run(null, loopback(port).connections(2));

        assertEquals(Map.of(EchoStreams.Outcome.CONNECT_FAILED, 2), result.outcomes());
        assertTrue(result.errors().getFirst().contains("refused"), result.errors().toString());
        assertEquals(0, result.bytesSent());
        assertTrue(result.summary().contains("0 ok, 2 failed"), result.summary());
    }

    @Test
    @Tag("root")
    void shouldEchoFiftyStreamsIntactThroughTheRouter() throws Exception
    {
        final Topology topology = topology();
        topology.stopEchoServer(1); // a fresh server: its output then holds this run's lines only
        topology.startEchoServer(1);
        final EchoStreams.Result result = EchoStreams.run(topology.client(1).ns(),
            target(topology).connections(50).duration(Duration.ofSeconds(3)));
        System.out.println(result.summary());

        assertTrue(result.allOk(), result.summary());
        assertEquals(50, result.ok());
        for (final EchoStreams.Stream stream : result.streams())
        {
            assertTrue(stream.bytesSent() > 40_000, stream.toString());
            assertTrue(stream.hashesMatch(), stream.toString());
        }
        assertTrue(result.maxStallNs() < 300_000_000L, "no stall without a cause: " + result.summary());

        // The server saw each connection end with EOF, our half-close: one "echo-end eof PEER" line per connection,
        // written by its thread when the connection ends (give a loaded machine a few seconds).
        final String client = topology.client(1).address();
        final long deadlineNs = System.nanoTime() + 5_000_000_000L;
        String output = "";
        List<Integer> missing = List.of();
        for (int i = 0; i < 250 && System.nanoTime() - deadlineNs < 0; i++)
        {
            final String seen = topology.echoServerOutput(1);
            output = seen;
            missing = result.streams().stream().map(EchoStreams.Stream::localPort)
                .filter(port -> !Pattern.compile(Pattern.quote(client + ":" + port) + "(\\D|$)").matcher(seen)
                    .find())
                .toList();
            if (missing.isEmpty() && count(seen, "echo-end eof") >= 50)
            {
                break;
            }
            Thread.sleep(20);
        }
        assertEquals(List.of(), missing, "peers the echo server never named: " + output);
        assertEquals(51, count(output, "echo-end eof"), "50 streams and the readiness probe: " + output);
        assertEquals(0, count(output, "echo-end reset"), output);
    }

    @Test
    @Tag("root")
    void shouldReportEveryStreamAsFailedWhenTheEchoServerDies() throws Exception
    {
        final Topology topology = topology();
        topology.startEchoServer(1);
        try
        {
            final CompletableFuture<EchoStreams.Result> run = EchoStreams.start(topology.client(1).ns(),
                target(topology).connections(50).duration(Duration.ofSeconds(4)));
            Thread.sleep(1500);
            topology.stopEchoServer(1);
            final EchoStreams.Result result = run.get(20, TimeUnit.SECONDS);
            System.out.println(result.summary());

            assertEquals(0, result.ok(), result.summary());
            assertEquals(50, result.failed());
            for (final EchoStreams.Stream stream : result.streams())
            {
                assertTrue(stream.outcome() == EchoStreams.Outcome.RESET ||
                    stream.outcome() == EchoStreams.Outcome.EOF_EARLY, stream.toString());
                assertTrue(stream.bytesSent() > 10_000, "it was flowing before: " + stream);
            }
            assertTrue(result.elapsedNs() < 3_500_000_000L, "ends when the last connection broke: " +
                result.summary());
            assertTrue(result.summary().contains("0 ok, 50 failed"), result.summary());
        }
        finally
        {
            topology.startEchoServer(1);
        }
    }

    @Test
    @Tag("root")
    void shouldMeasureTheStallWhileTheEchoServerIsFrozen() throws Exception
    {
        final Topology topology = topology();
        topology.startEchoServer(1);
        final long pid = topology.echoServerPid(1);
        assertTrue(pid > 0);
        final CompletableFuture<EchoStreams.Result> run = EchoStreams.start(topology.client(1).ns(),
            target(topology).connections(30).duration(Duration.ofSeconds(3)));
        final long frozenNs;
        Thread.sleep(1000);
        Netns.run("kill", "-STOP", Long.toString(pid));
        try
        {
            final long frozenAtNs = System.nanoTime();
            Thread.sleep(400);
            frozenNs = System.nanoTime() - frozenAtNs;
        }
        finally
        {
            Netns.run("kill", "-CONT", Long.toString(pid));
        }
        final EchoStreams.Result result = run.get(20, TimeUnit.SECONDS);
        System.out.println(result.summary() + "; frozen for " + frozenNs / 1_000_000 + " ms");

        assertTrue(result.allOk(), "every stream completes intact after the freeze: " + result.summary());
        // a stream's stall starts when it sends while the server is frozen, at most one pause (50 ms) in
        assertTrue(result.maxStallNs() >= frozenNs - 50_000_000L, result.summary());
        assertTrue(result.maxStallNs() < frozenNs + 1_000_000_000L, result.summary());
        for (final EchoStreams.Stream stream : result.streams())
        {
            assertTrue(stream.maxStallNs() >= 300_000_000L, "every stream had data in flight then: " + stream);
        }
    }

    private static int count(final String text, final String word)
    {
        int count = 0;
        for (int at = text.indexOf(word); at >= 0; at = text.indexOf(word, at + word.length()))
        {
            count++;
        }
        return count;
    }

    private static EchoStreams.Context loopback(final int port)
    {
        return new EchoStreams.Context().address(LOOPBACK).port(port);
    }

    private static EchoStreams.Context target(final Topology topology)
    {
        return new EchoStreams.Context().address(topology.target(1).address()).port(Topology.ECHO_PORT);
    }

    private enum Behaviour
    {
        ECHO, CORRUPT_BYTE_5000, RESET_AFTER_8000, CLOSE_AFTER_8000
    }

    /** A thread-per-connection echo server on loopback that can misbehave on purpose. */
    private static final class LoopbackEcho implements AutoCloseable
    {
        private final Behaviour behaviour;
        private final ServerSocket listener;
        private final List<Socket> sockets = new CopyOnWriteArrayList<>();
        private final List<Thread> threads = new ArrayList<>();
        private final Thread acceptor;
        private int halfClosed;

        LoopbackEcho(final Behaviour behaviour) throws IOException
        {
            this.behaviour = behaviour;
            this.listener = new ServerSocket();
            listener.bind(new InetSocketAddress(InetAddress.ofLiteral(LOOPBACK), 0), 200);
            acceptor = Thread.ofPlatform().daemon().name("loopback-echo-accept").start(this::accept);
        }

        int port()
        {
            return listener.getLocalPort();
        }

        synchronized int halfClosed()
        {
            return halfClosed;
        }

        private void accept()
        {
            for (int i = 0; i < 1000; i++)
            {
                try
                {
                    final Socket socket = listener.accept();
                    sockets.add(socket);
                    synchronized (threads)
                    {
                        threads.add(Thread.ofPlatform().daemon().name("loopback-echo").start(() -> serve(socket)));
                    }
                }
                catch (final IOException ex)
                {
                    return; // closed
                }
            }
        }

        private void serve(final Socket socket)
        {
            try (socket)
            {
                final InputStream in = socket.getInputStream();
                final OutputStream out = socket.getOutputStream();
                final byte[] buffer = new byte[16384];
                long total = 0;
                int n;
                while ((n = in.read(buffer)) > 0)
                {
                    if (behaviour == Behaviour.CORRUPT_BYTE_5000 && total <= 5000 && total + n > 5000)
                    {
                        buffer[(int)(5000 - total)] ^= 0x01;
                    }
                    if ((behaviour == Behaviour.RESET_AFTER_8000 || behaviour == Behaviour.CLOSE_AFTER_8000) &&
                        total + n > 8000)
                    {
                        if (behaviour == Behaviour.RESET_AFTER_8000)
                        {
                            socket.setSoLinger(true, 0); // close sends RST
                            return;
                        }
                        // FIN, then swallow the rest: closing with unread bytes would send RST instead
                        socket.shutdownOutput();
                        while (in.read(buffer) > 0)
                        {
                            Thread.onSpinWait();
                        }
                        return;
                    }
                    out.write(buffer, 0, n);
                    total += n;
                }
                synchronized (this)
                {
                    halfClosed++;
                }
            }
            catch (final IOException ignore)
            {
                // the client went away; its result says how
            }
        }

        @Override
        public void close() throws IOException
        {
            listener.close();
            for (final Socket socket : sockets)
            {
                socket.close();
            }
            try
            {
                acceptor.join(5000);
                synchronized (threads)
                {
                    for (final Thread thread : threads)
                    {
                        thread.join(5000);
                    }
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
