package io.tandem.control.demo;

import io.tandem.ffi.Netns;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;

/**
 * Many long-lived TCP connections through an echo server (a target's, {@link Topology#ECHO_PORT}, directly or
 * through the VIP), each carrying a steady two-way byte stream, to prove that streams survive, intact, whatever
 * happens on the way (a failover of the appliance pair), or to show how they broke.
 * <p>
 * Each connection sends a deterministic pseudo-random stream, a function of {@link Context#seed()} and the
 * connection's index, in chunks of {@link Context#chunkMinBytes()} to {@link Context#chunkMaxBytes()} bytes, one
 * chunk every {@link Context#intervalMin()} to {@link Context#intervalMax()} (sizes and pauses pseudo-random too),
 * and reads the echo back all along, checking every byte against the stream as it arrives. When
 * {@link Context#duration()} is over, each connection half-closes ({@code shutdownOutput}, the echo server then sees
 * EOF and prints {@code echo-end eof PEER}) and reads what is left until the server's EOF. A connection is
 * {@link Outcome#OK} when its echo ended in EOF after exactly the bytes it sent, equal byte for byte (and so with
 * equal SHA-256).
 * <p>
 * The longest stall of a connection is the longest time during which data was outstanding (sent, not yet echoed)
 * and nothing came back: between two reads that returned data, or from the moment data became outstanding to the
 * next read; a connection that ends with data outstanding counts the time until it ended.
 * <p>
 * One thread, one {@link Selector}, non-blocking sockets. The sockets are created (and their connects started) in
 * the client's namespace on its own thread ({@link Netns#call}), which takes milliseconds; a socket keeps its
 * namespace for life, so the event loop then runs on the caller's thread and leaves the namespace's thread free
 * for other probes. Bounded in time: connects by {@link Context#connectTimeout()}, the run by
 * {@link Context#duration()} plus {@link Context#drainTimeout()} for the last echoes and the EOF; a connection not
 * done by then ends as {@link Outcome#TIMEOUT}. Runs are independent: several may run at once from any threads.
 */
public final class EchoStreams
{
    /** The most connections one run opens. */
    public static final int MAX_CONNECTIONS = 1000;
    /** The largest chunk. */
    public static final int MAX_CHUNK_BYTES = 64 * 1024;
    /** The longest pause between two chunks of a connection. */
    public static final Duration MAX_INTERVAL = Duration.ofSeconds(10);
    /** The longest run. */
    public static final Duration MAX_DURATION = Duration.ofMinutes(10);
    /** The longest connect and drain timeouts. */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(60);

    private static final int READ_BUFFER_BYTES = 64 * 1024;
    /** Reads per readable connection per wake-up, so that one busy connection cannot starve the others. */
    private static final int MAX_READS_PER_WAKE = 4;
    private static final long GOLDEN_GAMMA = 0x9E3779B97F4A7C15L;

    /** How a connection ended. */
    public enum Outcome
    {
        /** Half-closed after the run, then EOF after exactly the bytes sent, all equal. */
        OK,
        /** The connect failed (refused, unreachable) or did not complete within the connect timeout. */
        CONNECT_FAILED,
        /** The peer reset the connection (also a broken pipe on write, which follows a reset). */
        RESET,
        /** The peer closed (FIN) before the whole stream was echoed. */
        EOF_EARLY,
        /** The echo ended in EOF but differs from what was sent (see {@link Stream#firstMismatch()}). */
        MISMATCH,
        /** The echo or its EOF did not arrive within the drain timeout after the run. */
        TIMEOUT,
        /** Another I/O error. */
        IO_ERROR;

        /** @return the outcome's name as summaries print it: "eof-early". */
        public String label()
        {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }
    }

    /**
     * Settings of a run, fluent; {@link #conclude()} checks them and is called by {@link #run}.
     */
    public static final class Context
    {
        private String address;
        private int port = Topology.ECHO_PORT;
        private String source;
        private int connections = 200;
        private int chunkMinBytes = 1024;
        private int chunkMaxBytes = 4096;
        private Duration intervalMin = Duration.ofMillis(20);
        private Duration intervalMax = Duration.ofMillis(50);
        private Duration duration = Duration.ofSeconds(10);
        private Duration connectTimeout = Duration.ofSeconds(3);
        private Duration drainTimeout = Duration.ofSeconds(5);
        private long seed = 1;

        /** @param address the echo server's literal IPv4 address (198.18.0.0/15 or loopback), e.g. the VIP. */
        public Context address(final String address)
        {
            this.address = address;
            return this;
        }

        public String address()
        {
            return address;
        }

        /** @param port the echo server's port, default {@link Topology#ECHO_PORT}. */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        public int port()
        {
            return port;
        }

        /** @param source the local address to connect from (one of the namespace's), or null (default): any. */
        public Context source(final String source)
        {
            this.source = source;
            return this;
        }

        public String source()
        {
            return source;
        }

        /** @param connections how many connections, 1 to {@link #MAX_CONNECTIONS}, default 200. */
        public Context connections(final int connections)
        {
            this.connections = connections;
            return this;
        }

        public int connections()
        {
            return connections;
        }

        /**
         * @param minBytes smallest chunk, at least 1, default 1024.
         * @param maxBytes largest chunk, at most {@link #MAX_CHUNK_BYTES}, default 4096.
         */
        public Context chunkBytes(final int minBytes, final int maxBytes)
        {
            this.chunkMinBytes = minBytes;
            this.chunkMaxBytes = maxBytes;
            return this;
        }

        public int chunkMinBytes()
        {
            return chunkMinBytes;
        }

        public int chunkMaxBytes()
        {
            return chunkMaxBytes;
        }

        /**
         * @param min shortest pause between two chunks of a connection, at least 1 ms, default 20 ms.
         * @param max longest pause, at most {@link #MAX_INTERVAL}, default 50 ms.
         */
        public Context interval(final Duration min, final Duration max)
        {
            this.intervalMin = min;
            this.intervalMax = max;
            return this;
        }

        public Duration intervalMin()
        {
            return intervalMin;
        }

        public Duration intervalMax()
        {
            return intervalMax;
        }

        /** @param duration how long the connections send, from the start of the run, default 10 s. */
        public Context duration(final Duration duration)
        {
            this.duration = duration;
            return this;
        }

        public Duration duration()
        {
            return duration;
        }

        /** @param connectTimeout how long, from the start, connects may take, default 3 s. */
        public Context connectTimeout(final Duration connectTimeout)
        {
            this.connectTimeout = connectTimeout;
            return this;
        }

        public Duration connectTimeout()
        {
            return connectTimeout;
        }

        /** @param drainTimeout how long after {@link #duration()} the last echoes and EOFs may take, default 5 s. */
        public Context drainTimeout(final Duration drainTimeout)
        {
            this.drainTimeout = drainTimeout;
            return this;
        }

        public Duration drainTimeout()
        {
            return drainTimeout;
        }

        /** @param seed the seed of every stream's bytes, sizes and pauses, default 1. */
        public Context seed(final long seed)
        {
            this.seed = seed;
            return this;
        }

        public long seed()
        {
            return seed;
        }

        /**
         * Checks the settings.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting.
         */
        public Context conclude()
        {
            require(address != null, "address is required");
            HttpProbe.requireTestAddress(address);
            if (source != null)
            {
                HttpProbe.requireTestAddress(source);
            }
            require(port >= 1 && port <= 65535, "port must be 1..65535: " + port);
            require(connections >= 1 && connections <= MAX_CONNECTIONS,
                "connections must be 1.." + MAX_CONNECTIONS + ": " + connections);
            require(chunkMinBytes >= 1 && chunkMinBytes <= chunkMaxBytes && chunkMaxBytes <= MAX_CHUNK_BYTES,
                "chunk sizes must be 1 <= min <= max <= " + MAX_CHUNK_BYTES + ": " + chunkMinBytes + ".." +
                chunkMaxBytes);
            require(intervalMin != null && intervalMax != null && intervalMin.toMillis() >= 1 &&
                intervalMin.compareTo(intervalMax) <= 0 && intervalMax.compareTo(MAX_INTERVAL) <= 0,
                "intervals must be 1 ms <= min <= max <= " + MAX_INTERVAL + ": " + intervalMin + ".." + intervalMax);
            requireIn(duration, MAX_DURATION, "duration");
            requireIn(connectTimeout, MAX_TIMEOUT, "connectTimeout");
            requireIn(drainTimeout, MAX_TIMEOUT, "drainTimeout");
            return this;
        }

        private static void requireIn(final Duration value, final Duration max, final String name)
        {
            require(value != null && !value.isNegative() && !value.isZero() && value.compareTo(max) <= 0,
                name + " must be in (0, " + max + "]: " + value);
        }

        private static void require(final boolean condition, final String message)
        {
            if (!condition)
            {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /**
     * What one connection saw.
     *
     * @param index          0-based number of the connection; its stream is a function of the seed and this.
     * @param localPort      the connection's local port (as the echo server prints it), or 0 when it never connected.
     * @param bytesSent      bytes written.
     * @param bytesReceived  bytes of echo read.
     * @param sentSha256     sha256 of the bytes written, lower-case hex.
     * @param receivedSha256 sha256 of the bytes read.
     * @param firstMismatch  offset of the first echoed byte that differs from the stream (also the first byte beyond
     *                       what was sent), or -1 when none did.
     * @param maxStallNs     the longest time with data outstanding and nothing read (see {@link EchoStreams}).
     * @param endNs          when it ended, from the start of the run.
     * @param outcome        how it ended.
     * @param error          what went wrong, or null when {@link Outcome#OK}.
     */
    public record Stream(
        int index,
        int localPort,
        long bytesSent,
        long bytesReceived,
        String sentSha256,
        String receivedSha256,
        long firstMismatch,
        long maxStallNs,
        long endNs,
        Outcome outcome,
        String error)
    {
        /** @return whether the connection ended {@link Outcome#OK}. */
        public boolean ok()
        {
            return outcome == Outcome.OK;
        }

        /** @return whether the echo's SHA-256 equals that of what was sent. */
        public boolean hashesMatch()
        {
            return sentSha256.equals(receivedSha256);
        }
    }

    /**
     * What a run saw.
     *
     * @param target    "address:port" of the echo server.
     * @param streams   one per connection, in index order.
     * @param elapsedNs how long the run took, connects to the last EOF or timeout.
     */
    public record Result(String target, List<Stream> streams, long elapsedNs)
    {
        /** @return connections that ended {@link Outcome#OK}. */
        public int ok()
        {
            return (int)streams.stream().filter(Stream::ok).count();
        }

        /** @return connections that did not. */
        public int failed()
        {
            return streams.size() - ok();
        }

        /** @return whether every connection ended {@link Outcome#OK}. */
        public boolean allOk()
        {
            return failed() == 0;
        }

        /** @return bytes written over all connections. */
        public long bytesSent()
        {
            return streams.stream().mapToLong(Stream::bytesSent).sum();
        }

        /** @return bytes of echo read over all connections. */
        public long bytesReceived()
        {
            return streams.stream().mapToLong(Stream::bytesReceived).sum();
        }

        /** @return the longest stall of any connection, in nanoseconds. */
        public long maxStallNs()
        {
            return streams.stream().mapToLong(Stream::maxStallNs).max().orElse(0);
        }

        /** @return how many connections ended each way, outcomes with none left out, in declaration order. */
        public Map<Outcome, Integer> outcomes()
        {
            final Map<Outcome, Integer> counts = new EnumMap<>(Outcome.class);
            for (final Stream stream : streams)
            {
                counts.merge(stream.outcome(), 1, Integer::sum);
            }
            return counts;
        }

        /** @return the first few distinct errors, "outcome: message". */
        public List<String> errors()
        {
            final List<String> errors = new ArrayList<>();
            for (final Stream stream : streams)
            {
                if (!stream.ok())
                {
                    DemoTraffic.keepError(errors, stream.outcome().label() + ": " + stream.error());
                }
            }
            return errors;
        }

        /**
         * @return one line, e.g. "echo 198.18.0.21:7007: 200 streams, 200 ok, 0 failed, sent 21.4 MiB, echoed
         * 21.4 MiB, max stall 412 ms, 10043 ms", with the failures by outcome and the first error when there are any.
         */
        public String summary()
        {
            final StringBuilder line = new StringBuilder(String.format(Locale.ROOT,
                "echo %s: %d streams, %d ok, %d failed, sent %.1f MiB, echoed %.1f MiB, max stall %d ms, %d ms",
                target, streams.size(), ok(), failed(), bytesSent() / 1048576.0, bytesReceived() / 1048576.0,
                maxStallNs() / 1_000_000, elapsedNs / 1_000_000));
            if (failed() > 0)
            {
                line.append(" (");
                String separator = "";
                for (final Map.Entry<Outcome, Integer> entry : outcomes().entrySet())
                {
                    if (entry.getKey() != Outcome.OK)
                    {
                        line.append(separator).append(entry.getKey().label()).append(' ').append(entry.getValue());
                        separator = ", ";
                    }
                }
                line.append("; first: ").append(errors().getFirst()).append(')');
            }
            return line.toString();
        }
    }

    private EchoStreams()
    {
    }

    /**
     * Runs the streams and waits for the result: about {@link Context#duration()}, at most that plus
     * {@link Context#drainTimeout()} (or {@link Context#connectTimeout()} when longer) and a little.
     *
     * @param ns  the namespace to connect from (a client's), or null for the calling thread's own.
     * @param ctx the settings, concluded here.
     * @return what every connection saw; failures of connections are in there, never thrown.
     * @throws IOException when the selector or the sockets cannot be made at all.
     */
    public static Result run(final Netns ns, final Context ctx) throws IOException
    {
        ctx.conclude();
        final Opened[] opened = open(ns, ctx);
        return new Runner(ctx, opened, SystemNanoClock.INSTANCE).run();
    }

    /**
     * Starts {@link #run} on a new daemon thread, for callers that act while the streams flow (kill a node).
     * The run cannot be cancelled; it is bounded as {@link #run} is.
     *
     * @return completes with the result, or exceptionally with what {@link #run} threw.
     */
    public static CompletableFuture<Result> start(final Netns ns, final Context ctx)
    {
        ctx.conclude();
        final CompletableFuture<Result> result = new CompletableFuture<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                result.complete(run(ns, ctx));
            }
            catch (final Throwable ex)
            {
                result.completeExceptionally(ex);
            }
        }, "echo-streams");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /**
     * Fills {@code length} bytes of stream {@code index} from {@code offset} on into {@code dst}: byte {@code k} of a
     * stream depends only on the seed, the index and k, so chunks of any size fit together.
     */
    static void fill(final long seed, final int index, final long offset, final byte[] dst, final int from,
        final int length)
    {
        final long streamSeed = mix(seed + GOLDEN_GAMMA * (index + 1L));
        long block = offset >>> 3;
        int shift = (int)(offset & 7) * 8;
        long word = mix(streamSeed + GOLDEN_GAMMA * (block + 1));
        for (int i = 0; i < length; i++)
        {
            if (shift == 64)
            {
                block++;
                word = mix(streamSeed + GOLDEN_GAMMA * (block + 1));
                shift = 0;
            }
            dst[from + i] = (byte)(word >>> shift);
            shift += 8;
        }
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood 2014). */
    private static long mix(final long z)
    {
        long x = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        x = (x ^ (x >>> 27)) * 0x94D049BB133111EBL;
        return x ^ (x >>> 31);
    }

    /** A socket created with its connect started, or why that failed. */
    private record Opened(SocketChannel channel, boolean connected, IOException failure)
    {
    }

    private static Opened[] open(final Netns ns, final Context ctx) throws IOException
    {
        final InetSocketAddress remote = new InetSocketAddress(InetAddress.ofLiteral(ctx.address()), ctx.port());
        final InetSocketAddress local = null == ctx.source() ? null :
            new InetSocketAddress(InetAddress.ofLiteral(ctx.source()), 0);
        final Callable<Opened[]> task = () ->
        {
            final Opened[] opened = new Opened[ctx.connections()];
            for (int i = 0; i < opened.length; i++)
            {
                SocketChannel channel = null;
                try
                {
                    channel = SocketChannel.open();
                    channel.configureBlocking(false);
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                    if (null != local)
                    {
                        channel.bind(local);
                    }
                    opened[i] = new Opened(channel, channel.connect(remote), null);
                }
                catch (final IOException ex)
                {
                    closeQuietly(channel);
                    opened[i] = new Opened(null, false, ex);
                }
            }
            return opened;
        };
        try
        {
            return null == ns ? task.call() : ns.call(task);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException("cannot open the connections in " + ns.name() + ": " + ex, ex);
        }
    }

    private static void closeQuietly(final SocketChannel channel)
    {
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // nothing more to do with it
            }
        }
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }

    /** One connection's state, owned by the event loop's thread. */
    private static final class Connection
    {
        final int index;
        final SocketChannel channel;
        final SplittableRandom schedule;
        final MessageDigest sentSha = sha256();
        final MessageDigest receivedSha = sha256();
        final ByteBuffer out;
        SelectionKey key;
        boolean connected;
        boolean outputShut;
        boolean done;
        int localPort;
        long generated;
        long sent;
        long received;
        long nextChunkNs;
        long lastDataNs;
        long maxStallNs;
        long firstMismatch = -1;
        Stream stream;

        Connection(final int index, final SocketChannel channel, final long seed, final int chunkMaxBytes)
        {
            this.index = index;
            this.channel = channel;
            this.schedule = new SplittableRandom(mix(~seed + GOLDEN_GAMMA * (index + 1L)));
            this.out = ByteBuffer.allocate(chunkMaxBytes).limit(0);
        }
    }

    /** The event loop of one run. */
    private static final class Runner
    {
        private final Context ctx;
        private final Opened[] opened;
        private final NanoClock clock;
        private final Connection[] connections;
        private final ByteBuffer in = ByteBuffer.allocate(READ_BUFFER_BYTES);
        private final byte[] expected = new byte[READ_BUFFER_BYTES];
        private final long intervalMinNs;
        private final long intervalMaxNs;
        private int live;
        private long startNs;

        Runner(final Context ctx, final Opened[] opened, final NanoClock clock)
        {
            this.ctx = ctx;
            this.opened = opened;
            this.clock = clock;
            this.connections = new Connection[opened.length];
            this.intervalMinNs = ctx.intervalMin().toNanos();
            this.intervalMaxNs = ctx.intervalMax().toNanos();
        }

        Result run() throws IOException
        {
            startNs = clock.nanoTime();
            final long sendEndNs = startNs + ctx.duration().toNanos();
            final long connectEndNs = startNs + ctx.connectTimeout().toNanos();
            final long drainEndNs = Math.max(sendEndNs + ctx.drainTimeout().toNanos(), connectEndNs);
            try (Selector selector = Selector.open())
            {
                for (int i = 0; i < opened.length; i++)
                {
                    final Opened o = opened[i];
                    final Connection c = new Connection(i, o.channel(), ctx.seed(), ctx.chunkMaxBytes());
                    connections[i] = c;
                    live++;
                    if (null != o.failure())
                    {
                        finish(c, Outcome.CONNECT_FAILED, DemoTraffic.describe(o.failure()), startNs);
                        continue;
                    }
                    c.key = o.channel().register(selector, o.connected() ? SelectionKey.OP_READ :
                        SelectionKey.OP_CONNECT, c);
                    if (o.connected())
                    {
                        onConnected(c, startNs);
                    }
                }

                long nowNs = startNs;
                while (live > 0)
                {
                    long wakeNs = drainEndNs;
                    for (final Connection c : connections)
                    {
                        if (!c.done)
                        {
                            wakeNs = Math.min(wakeNs, sweep(c, nowNs, sendEndNs, connectEndNs, drainEndNs));
                        }
                    }
                    if (live == 0)
                    {
                        break;
                    }
                    final long waitNs = wakeNs - nowNs;
                    final int ready = waitNs <= 0 ? selector.selectNow() :
                        selector.select(Math.max(1, (waitNs + 999_999) / 1_000_000));
                    nowNs = clock.nanoTime();
                    if (ready > 0)
                    {
                        for (final SelectionKey key : selector.selectedKeys())
                        {
                            onReady((Connection)key.attachment(), key, nowNs);
                        }
                        selector.selectedKeys().clear();
                    }
                }
            }
            finally
            {
                for (final Connection c : connections)
                {
                    if (null != c)
                    {
                        closeQuietly(c.channel);
                    }
                }
                for (final Opened o : opened)
                {
                    closeQuietly(o.channel());
                }
            }
            final List<Stream> streams = new ArrayList<>(connections.length);
            for (final Connection c : connections)
            {
                streams.add(c.stream);
            }
            return new Result(ctx.address() + ":" + ctx.port(), List.copyOf(streams), clock.nanoTime() - startNs);
        }

        /** Timers of one connection: connect and drain deadlines, the next chunk, the half-close. */
        private long sweep(final Connection c, final long nowNs, final long sendEndNs, final long connectEndNs,
            final long drainEndNs)
        {
            if (!c.connected)
            {
                if (nowNs - connectEndNs >= 0)
                {
                    finish(c, Outcome.CONNECT_FAILED, "connect took longer than " + ctx.connectTimeout().toMillis() +
                        " ms", nowNs);
                    return Long.MAX_VALUE;
                }
                return connectEndNs;
            }
            if (nowNs - drainEndNs >= 0)
            {
                finish(c, Outcome.TIMEOUT, (c.outputShut ? "no EOF" : "could not send everything") + " within " +
                    ctx.drainTimeout().toMillis() + " ms after the run: echoed " + c.received + " of " + c.sent +
                    " bytes", nowNs);
                return Long.MAX_VALUE;
            }
            if (c.outputShut)
            {
                return drainEndNs;
            }
            if (nowNs - sendEndNs < 0)
            {
                if (!c.out.hasRemaining() && nowNs - c.nextChunkNs >= 0)
                {
                    final int size = ctx.chunkMinBytes() +
                        c.schedule.nextInt(ctx.chunkMaxBytes() - ctx.chunkMinBytes() + 1);
                    fill(ctx.seed(), c.index, c.generated, c.out.array(), 0, size);
                    c.out.position(0).limit(size);
                    c.generated += size;
                    c.nextChunkNs = nowNs + nextInterval(c);
                    write(c, nowNs);
                }
                return c.done || c.out.hasRemaining() ? sendEndNs : Math.min(c.nextChunkNs, sendEndNs);
            }
            if (!c.out.hasRemaining())
            {
                try
                {
                    c.channel.shutdownOutput();
                    c.outputShut = true;
                }
                catch (final IOException ex)
                {
                    fail(c, ex, nowNs);
                }
            }
            return drainEndNs;
        }

        private long nextInterval(final Connection c)
        {
            return intervalMinNs + (intervalMaxNs == intervalMinNs ? 0 :
                c.schedule.nextLong(intervalMaxNs - intervalMinNs + 1));
        }

        private void onConnected(final Connection c, final long nowNs)
        {
            c.connected = true;
            try
            {
                c.localPort = ((InetSocketAddress)c.channel.getLocalAddress()).getPort();
            }
            catch (final IOException ex)
            {
                fail(c, ex, nowNs);
                return;
            }
            c.key.interestOps(SelectionKey.OP_READ);
            // stagger the first chunks, so that the connections do not send in lockstep
            c.nextChunkNs = nowNs + c.schedule.nextLong(intervalMaxNs + 1);
        }

        private void onReady(final Connection c, final SelectionKey key, final long nowNs)
        {
            if (c.done || !key.isValid())
            {
                return;
            }
            if (!c.connected)
            {
                if (key.isConnectable())
                {
                    try
                    {
                        if (c.channel.finishConnect())
                        {
                            onConnected(c, nowNs);
                        }
                    }
                    catch (final IOException ex)
                    {
                        finish(c, Outcome.CONNECT_FAILED, DemoTraffic.describe(ex), nowNs);
                    }
                }
                return;
            }
            if (key.isReadable())
            {
                read(c, nowNs);
            }
            if (!c.done && key.isValid() && key.isWritable())
            {
                write(c, nowNs);
            }
        }

        private void write(final Connection c, final long nowNs)
        {
            try
            {
                final int before = c.out.position();
                final int n = c.channel.write(c.out);
                if (n > 0)
                {
                    c.sentSha.update(c.out.array(), before, n);
                    if (c.sent == c.received)
                    {
                        c.lastDataNs = nowNs; // data outstanding from now on: the stall clock starts
                    }
                    c.sent += n;
                }
                c.key.interestOps(c.out.hasRemaining() ?
                    SelectionKey.OP_READ | SelectionKey.OP_WRITE : SelectionKey.OP_READ);
            }
            catch (final IOException ex)
            {
                fail(c, ex, nowNs);
            }
        }

        private void read(final Connection c, final long nowNs)
        {
            try
            {
                for (int reads = 0; reads < MAX_READS_PER_WAKE; reads++)
                {
                    in.clear();
                    final int n = c.channel.read(in);
                    if (n == 0)
                    {
                        return;
                    }
                    if (n < 0)
                    {
                        onEof(c, nowNs);
                        return;
                    }
                    if (c.sent > c.received)
                    {
                        c.maxStallNs = Math.max(c.maxStallNs, nowNs - c.lastDataNs);
                    }
                    c.lastDataNs = nowNs;
                    c.receivedSha.update(in.array(), 0, n);
                    if (c.firstMismatch < 0)
                    {
                        fill(ctx.seed(), c.index, c.received, expected, 0, n);
                        final int at = Arrays.mismatch(in.array(), 0, n, expected, 0, n);
                        if (at >= 0)
                        {
                            c.firstMismatch = c.received + at;
                        }
                        else if (c.received + n > c.sent)
                        {
                            c.firstMismatch = c.sent; // more came back than went out
                        }
                    }
                    c.received += n;
                }
            }
            catch (final IOException ex)
            {
                fail(c, ex, nowNs);
            }
        }

        private void onEof(final Connection c, final long nowNs)
        {
            if (!c.outputShut)
            {
                finish(c, Outcome.EOF_EARLY, "the peer closed while sending, after " + c.received + " of " + c.sent +
                    " bytes echoed", nowNs);
            }
            else if (c.received < c.sent)
            {
                finish(c, Outcome.EOF_EARLY, "EOF after " + c.received + " of " + c.sent + " bytes echoed", nowNs);
            }
            else if (c.firstMismatch >= 0 || c.received != c.sent)
            {
                finish(c, Outcome.MISMATCH, "echo differs from byte " + c.firstMismatch + " on (" + c.received +
                    " bytes echoed, " + c.sent + " sent)", nowNs);
            }
            else
            {
                finish(c, Outcome.OK, null, nowNs);
            }
        }

        private void fail(final Connection c, final IOException ex, final long nowNs)
        {
            final String message = String.valueOf(ex.getMessage()).toLowerCase(Locale.ROOT);
            final Outcome outcome = message.contains("reset") || message.contains("broken pipe") ?
                Outcome.RESET : Outcome.IO_ERROR;
            finish(c, outcome, DemoTraffic.describe(ex) + " after " + c.sent + " bytes sent, " + c.received +
                " echoed", nowNs);
        }

        private void finish(final Connection c, final Outcome outcome, final String error, final long nowNs)
        {
            if (c.done)
            {
                return;
            }
            c.done = true;
            live--;
            if (c.sent > c.received)
            {
                c.maxStallNs = Math.max(c.maxStallNs, nowNs - c.lastDataNs);
            }
            if (null != c.key)
            {
                c.key.cancel();
            }
            closeQuietly(c.channel);
            final HexFormat hex = HexFormat.of();
            final String sentSha256 = hex.formatHex(c.sentSha.digest());
            final String receivedSha256 = hex.formatHex(c.receivedSha.digest());
            Outcome verdict = outcome;
            String message = error;
            if (outcome == Outcome.OK && !sentSha256.equals(receivedSha256))
            {
                verdict = Outcome.MISMATCH;
                message = "sha256 of the echo differs from that of the bytes sent";
            }
            c.stream = new Stream(c.index, c.localPort, c.sent, c.received, sentSha256, receivedSha256,
                c.firstMismatch, c.maxStallNs, nowNs - startNs, verdict, message);
        }
    }
}
