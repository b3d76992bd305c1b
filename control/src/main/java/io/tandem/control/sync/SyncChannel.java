package io.tandem.control.sync;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;

import static io.tandem.control.sync.SyncConnection.STATE_AUTH_SENT;
import static io.tandem.control.sync.SyncConnection.STATE_CLOSED;
import static io.tandem.control.sync.SyncConnection.STATE_CONNECTING;
import static io.tandem.control.sync.SyncConnection.STATE_HELLO_SENT;
import static io.tandem.control.sync.SyncConnection.STATE_UP;
import static io.tandem.control.sync.SyncFrameDescriptor.FRAME_OVERHEAD;
import static io.tandem.control.sync.SyncFrameDescriptor.HANDSHAKE_MAX_FRAME_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_AUTH;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_GOODBYE;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_HEARTBEAT;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_HELLO;

/**
 * The pair's sync channel: a typed, ordered, authenticated message stream between this node and its peer over one
 * TCP connection, kept up for as long as the channel is open.
 * <p>
 * <b>Connection.</b> The node with the lower address (IPv4 compared as unsigned 32-bit numbers) connects, from its own
 * address and an ephemeral port, to the peer's address and {@link Context#port()}; the other node listens on its own
 * address and that port. The listener closes any connection from an address other than the peer's at once, with a
 * reset, and counts it ({@link SyncCounters#refusedPeers()}). The connecting node retries for ever, after
 * {@link Context#reconnectInitialBackoffMs()} doubling up to {@link Context#reconnectMaxBackoffMs()}, back to the
 * initial delay once a session is up; the listening node retries a failed bind the same way. Connect and handshake
 * together must end within {@link Context#handshakeTimeoutMs()}.
 * <p>
 * <b>Authentication.</b> Both sides exchange random nonces and prove knowledge of the shared {@link Context#key()}
 * with HMAC-SHA256 over both nonces, their role and both node names; every later frame carries a sequence number and
 * an HMAC-SHA256 with a key derived for this connection and direction (see the package-private {@code Handshake} and
 * {@code SyncFrameDescriptor}). Frames are therefore neither replayable across connections nor reorderable. Any frame
 * that fails a check ends the connection ({@link SessionLoss#BAD_FRAME}, counted by {@link FrameError}) and a new one
 * follows. Without a key the same protocol runs with a public constant as key: corruption and misordering are still
 * caught, but anyone who can send from the peer's address can join, so production must configure a key.
 * <p>
 * <b>Sessions.</b> An authenticated connection is a session: {@link SyncHandler#onSessionUp} begins it,
 * {@link SyncHandler#onSessionDown} ends it, and in between messages arrive in order through
 * {@link SyncHandler#onMessage}. A new session always begins with an empty queue, so the user's bulk resync at
 * {@link SyncHandler#onSessionUp} is the first thing it carries. When the listening node authenticates a new
 * connection from the peer while it still holds a session (the peer restarted before this node noticed), the old
 * session ends ({@link SessionLoss#REPLACED}) before the new one begins.
 * <p>
 * <b>Liveness.</b> Each side sends a heartbeat when it has written nothing for {@link Context#heartbeatIntervalMs()}.
 * A session from which nothing has arrived for {@link Context#deadAfterMs()} ends ({@link SessionLoss#PEER_DEAD}):
 * this catches a peer that died without a FIN or RST. Bytes of a long frame count as arriving.
 * <p>
 * <b>Sending.</b> {@link #send(int, byte[], int, int)} copies the payload into the session's outbound queue and
 * returns at once; it never blocks on the network. It returns false when no session is up, and also when the queue
 * would exceed {@link Context#outboundQueueBytes()} (the peer or the network does not keep up): then the message is
 * lost, so the session ends ({@link SessionLoss#QUEUE_OVERFLOW}) and the user resyncs in the next one. A gap in the
 * stream is never silent. A queued message costs its payload plus {@value #FRAME_OVERHEAD} bytes.
 * <p>
 * <b>Threads and memory.</b> One platform thread, started by the constructor, runs a {@link Selector}, every timer
 * and every handler callback; it blocks in the selector when idle (no busy loop). It inherits the network namespace
 * of the thread that constructs the channel. {@link #send}, the accessors and {@link #close()} may be called from
 * any thread, callbacks included. Memory is bounded by the outbound queue bound, plus per connection (at most two:
 * a session and a newer connection in its handshake) a 128 KiB write buffer and a read buffer that grows up to the
 * largest frame received.
 */
public final class SyncChannel implements AutoCloseable
{
    /** The TCP port both nodes use when none is configured. */
    public static final int DEFAULT_PORT = 7946;
    /** The lowest message type a user may send. */
    public static final int MIN_USER_TYPE = SyncFrameDescriptor.MIN_USER_TYPE;
    /** The highest message type a user may send; the types above are the channel's own. */
    public static final int MAX_USER_TYPE = SyncFrameDescriptor.MAX_USER_TYPE;
    /** Bytes that a frame adds to its payload (header and MAC), on the wire and in the outbound queue. */
    public static final int FRAME_OVERHEAD = SyncFrameDescriptor.FRAME_OVERHEAD;
    /** The shortest shared key accepted, in bytes; 32 random bytes are recommended. */
    public static final int MIN_KEY_LENGTH = 16;

    private static final int WRITE_BUFFER_LENGTH = 128 * 1024;
    private static final int INITIAL_READ_BUFFER_LENGTH = 64 * 1024;
    private static final int MAX_READS_PER_EVENT = 16;
    private static final int MAX_FLUSH_ROUNDS = 64;
    private static final int MAX_ACCEPTS_PER_EVENT = 16;
    private static final int MAX_GOODBYE_REASON_LENGTH = 200;
    private static final long CLOSE_TIMEOUT_MS = 5_000;
    private static final byte[] EMPTY = new byte[0];

    private static final int SESSIONS_ESTABLISHED = 0;
    private static final int FRAMES_SENT = 1;
    private static final int BYTES_SENT = 2;
    private static final int FRAMES_RECEIVED = 3;
    private static final int BYTES_RECEIVED = 4;
    private static final int MESSAGES_SENT = 5;
    private static final int MESSAGES_RECEIVED = 6;
    private static final int REFUSED_PEERS = 7;
    private static final int CONNECT_FAILURES = 8;
    private static final int LISTEN_FAILURES = 9;
    private static final int HANDSHAKE_FAILURES = 10;
    private static final int AUTH_FAILURES = 11;
    private static final int QUEUE_OVERFLOWS = 12;
    private static final int SENDS_REJECTED = 13;
    private static final int HEARTBEATS_MISSED = 14;
    private static final int HANDLER_ERRORS = 15;
    private static final int SESSION_LOSSES_BASE = 16;
    private static final int BAD_FRAMES_BASE = SESSION_LOSSES_BASE + SessionLoss.values().length;
    private static final int COUNTER_COUNT = BAD_FRAMES_BASE + FrameError.values().length;

    private final Context ctx;
    private final SyncHandler handler;
    private final Consumer<Throwable> errorHandler;
    private final NanoClock nanoClock;
    private final InetAddress localAddress;
    private final InetAddress peerAddress;
    private final InetSocketAddress peerEndpoint;
    private final boolean connector;
    private final int role;
    private final int peerRole;
    private final byte[] rootKey;
    private final byte[] helloKey;
    private final byte[] nameBytes;
    private final long heartbeatIntervalNs;
    private final long deadAfterNs;
    private final long handshakeTimeoutNs;
    private final int maxFrameLength;
    private final long outboundQueueBytes;
    private final SecureRandom random = new SecureRandom();
    private final Selector selector;
    private final Thread thread;
    private final AtomicLongArray counters = new AtomicLongArray(COUNTER_COUNT);
    private final AtomicBoolean wakeupPending = new AtomicBoolean();
    private final Consumer<SelectionKey> onSelected = this::onSelected;

    // owned by the channel thread
    private ServerSocketChannel server;
    private SyncConnection handshaking;
    private long reconnectAtNs;
    private long listenRetryAtNs;
    private long backoffMs;
    private boolean moreToWrite;

    // published to other threads
    private volatile SyncConnection session;
    private volatile String lastFailure;
    private volatile boolean running = true;
    private boolean closed;

    /**
     * Settings of a channel, fluent; {@link #conclude()} checks them and fills defaults. Times are in milliseconds.
     */
    public static final class Context
    {
        private String localAddress;
        private String peerAddress;
        private int port = DEFAULT_PORT;
        private byte[] key;
        private String nodeName;
        private long heartbeatIntervalMs = 100;
        private long deadAfterMs = 500;
        private long handshakeTimeoutMs = 1_000;
        private int maxFrameLength = 8 * 1024 * 1024;
        private long outboundQueueBytes = 64L * 1024 * 1024;
        private long reconnectInitialBackoffMs = 50;
        private long reconnectMaxBackoffMs = 1_000;
        private SyncHandler handler;
        private Consumer<Throwable> errorHandler = Throwable::printStackTrace;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private String threadName = "tandem-sync";

        /** @param localAddress this node's own IPv4 address, dotted quad; required. */
        public Context localAddress(final String localAddress)
        {
            this.localAddress = localAddress;
            return this;
        }

        public String localAddress()
        {
            return localAddress;
        }

        /** @param peerAddress the peer node's IPv4 address, dotted quad; required and not the local address. */
        public Context peerAddress(final String peerAddress)
        {
            this.peerAddress = peerAddress;
            return this;
        }

        public String peerAddress()
        {
            return peerAddress;
        }

        /**
         * @param port the TCP port that the node with the higher address listens on and the other connects to;
         *             default {@value SyncChannel#DEFAULT_PORT}.
         */
        public Context port(final int port)
        {
            this.port = port;
            return this;
        }

        public int port()
        {
            return port;
        }

        /**
         * @param key the shared secret of the pair, at least {@value SyncChannel#MIN_KEY_LENGTH} bytes (32 random
         *            bytes recommended), copied; null runs without authentication, which production must not do.
         */
        public Context key(final byte[] key)
        {
            this.key = null == key ? null : key.clone();
            return this;
        }

        /** @return a copy of the key, or null. */
        public byte[] key()
        {
            return null == key ? null : key.clone();
        }

        /** @param nodeName this node's name as the peer sees it, 1..64 UTF-8 bytes; default the local address. */
        public Context nodeName(final String nodeName)
        {
            this.nodeName = nodeName;
            return this;
        }

        public String nodeName()
        {
            return nodeName;
        }

        /** @param heartbeatIntervalMs a heartbeat goes out when nothing was written for this long; default 100. */
        public Context heartbeatIntervalMs(final long heartbeatIntervalMs)
        {
            this.heartbeatIntervalMs = heartbeatIntervalMs;
            return this;
        }

        public long heartbeatIntervalMs()
        {
            return heartbeatIntervalMs;
        }

        /**
         * @param deadAfterMs a session from which nothing arrived for this long ends; at least twice the heartbeat
         *                    interval; default 500.
         */
        public Context deadAfterMs(final long deadAfterMs)
        {
            this.deadAfterMs = deadAfterMs;
            return this;
        }

        public long deadAfterMs()
        {
            return deadAfterMs;
        }

        /** @param handshakeTimeoutMs connect and handshake of one connection must end within this; default 1000. */
        public Context handshakeTimeoutMs(final long handshakeTimeoutMs)
        {
            this.handshakeTimeoutMs = handshakeTimeoutMs;
            return this;
        }

        public long handshakeTimeoutMs()
        {
            return handshakeTimeoutMs;
        }

        /**
         * @param maxFrameLength the longest frame either side may send, header and MAC included, 1 KiB..256 MiB;
         *                       both nodes must agree; default 8 MiB.
         */
        public Context maxFrameLength(final int maxFrameLength)
        {
            this.maxFrameLength = maxFrameLength;
            return this;
        }

        public int maxFrameLength()
        {
            return maxFrameLength;
        }

        /**
         * @param outboundQueueBytes the bound of the outbound queue (payloads plus frame overhead), at least
         *                           {@link #maxFrameLength()}; default 64 MiB.
         */
        public Context outboundQueueBytes(final long outboundQueueBytes)
        {
            this.outboundQueueBytes = outboundQueueBytes;
            return this;
        }

        public long outboundQueueBytes()
        {
            return outboundQueueBytes;
        }

        /** @param reconnectInitialBackoffMs the first delay before a new connection attempt; default 50. */
        public Context reconnectInitialBackoffMs(final long reconnectInitialBackoffMs)
        {
            this.reconnectInitialBackoffMs = reconnectInitialBackoffMs;
            return this;
        }

        public long reconnectInitialBackoffMs()
        {
            return reconnectInitialBackoffMs;
        }

        /** @param reconnectMaxBackoffMs the delay doubles after each failed attempt up to this; default 1000. */
        public Context reconnectMaxBackoffMs(final long reconnectMaxBackoffMs)
        {
            this.reconnectMaxBackoffMs = reconnectMaxBackoffMs;
            return this;
        }

        public long reconnectMaxBackoffMs()
        {
            return reconnectMaxBackoffMs;
        }

        /** @param handler told of sessions and messages, on the channel's thread; required. */
        public Context handler(final SyncHandler handler)
        {
            this.handler = handler;
            return this;
        }

        public SyncHandler handler()
        {
            return handler;
        }

        /** @param errorHandler gets unexpected exceptions of the channel thread and of the handler. */
        public Context errorHandler(final Consumer<Throwable> errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public Consumer<Throwable> errorHandler()
        {
            return errorHandler;
        }

        /** @param nanoClock the monotonic clock of every timer. */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /** @param threadName the channel thread's name. */
        public Context threadName(final String threadName)
        {
            this.threadName = threadName;
            return this;
        }

        public String threadName()
        {
            return threadName;
        }

        /**
         * Checks the settings and fills defaults.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting.
         */
        public Context conclude()
        {
            if (null == handler || null == errorHandler || null == nanoClock || null == threadName)
            {
                throw new IllegalArgumentException("handler, errorHandler, nanoClock and threadName must not be null");
            }
            final int local = parseIpv4("localAddress", localAddress);
            final int peer = parseIpv4("peerAddress", peerAddress);
            if (local == peer)
            {
                throw new IllegalArgumentException("peerAddress must differ from localAddress: " + peerAddress);
            }
            if (port < 1 || port > 65_535)
            {
                throw new IllegalArgumentException("port must be 1..65535: " + port);
            }
            if (null != key && key.length < MIN_KEY_LENGTH)
            {
                throw new IllegalArgumentException("key must have at least " + MIN_KEY_LENGTH + " bytes");
            }
            if (null == nodeName)
            {
                nodeName = localAddress;
            }
            final int nameLength = nodeName.getBytes(StandardCharsets.UTF_8).length;
            if (nameLength < 1 || nameLength > Handshake.MAX_NAME_LENGTH)
            {
                throw new IllegalArgumentException("nodeName must have 1.." + Handshake.MAX_NAME_LENGTH +
                    " UTF-8 bytes: " + nodeName);
            }
            if (heartbeatIntervalMs < 1)
            {
                throw new IllegalArgumentException("heartbeatIntervalMs must be positive: " + heartbeatIntervalMs);
            }
            if (deadAfterMs < 2 * heartbeatIntervalMs)
            {
                throw new IllegalArgumentException("deadAfterMs must be at least twice heartbeatIntervalMs: " +
                    deadAfterMs);
            }
            if (handshakeTimeoutMs < 1)
            {
                throw new IllegalArgumentException("handshakeTimeoutMs must be positive: " + handshakeTimeoutMs);
            }
            if (maxFrameLength < 1024 || maxFrameLength > 256 * 1024 * 1024)
            {
                throw new IllegalArgumentException("maxFrameLength must be 1 KiB..256 MiB: " + maxFrameLength);
            }
            if (outboundQueueBytes < maxFrameLength)
            {
                throw new IllegalArgumentException("outboundQueueBytes must be at least maxFrameLength: " +
                    outboundQueueBytes);
            }
            if (reconnectInitialBackoffMs < 1 || reconnectMaxBackoffMs < reconnectInitialBackoffMs)
            {
                throw new IllegalArgumentException("need 1 <= reconnectInitialBackoffMs <= reconnectMaxBackoffMs: " +
                    reconnectInitialBackoffMs + ", " + reconnectMaxBackoffMs);
            }
            return this;
        }
    }

    /**
     * Opens the selector and starts the channel thread, which at once starts to listen or to connect. The thread
     * inherits the caller's network namespace.
     *
     * @param context settings, concluded here.
     * @throws IllegalArgumentException when a setting is bad.
     * @throws UncheckedIOException     when the selector cannot be opened.
     */
    public SyncChannel(final Context context)
    {
        ctx = context.conclude();
        handler = ctx.handler();
        errorHandler = ctx.errorHandler();
        nanoClock = ctx.nanoClock();
        final int local = parseIpv4("localAddress", ctx.localAddress());
        final int peer = parseIpv4("peerAddress", ctx.peerAddress());
        localAddress = inet(local);
        peerAddress = inet(peer);
        peerEndpoint = new InetSocketAddress(peerAddress, ctx.port());
        connector = Integer.compareUnsigned(local, peer) < 0;
        role = connector ? Handshake.ROLE_CONNECTOR : Handshake.ROLE_ACCEPTOR;
        peerRole = connector ? Handshake.ROLE_ACCEPTOR : Handshake.ROLE_CONNECTOR;
        rootKey = Handshake.rootKey(ctx.key());
        helloKey = Handshake.helloKey(rootKey);
        nameBytes = ctx.nodeName().getBytes(StandardCharsets.UTF_8);
        heartbeatIntervalNs = ctx.heartbeatIntervalMs() * 1_000_000L;
        deadAfterNs = ctx.deadAfterMs() * 1_000_000L;
        handshakeTimeoutNs = ctx.handshakeTimeoutMs() * 1_000_000L;
        maxFrameLength = ctx.maxFrameLength();
        outboundQueueBytes = ctx.outboundQueueBytes();
        backoffMs = ctx.reconnectInitialBackoffMs();
        final long nowNs = nanoClock.nanoTime();
        reconnectAtNs = nowNs;
        listenRetryAtNs = nowNs;
        try
        {
            selector = Selector.open();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot open a selector", ex);
        }
        thread = new Thread(this::run, ctx.threadName());
        thread.setDaemon(true);
        thread.start();
    }

    /**
     * Queues a message for the peer in the current session. Never blocks on the network.
     *
     * @param type    {@link #MIN_USER_TYPE}..{@link #MAX_USER_TYPE}.
     * @param payload the payload, copied before the call returns.
     * @param offset  where the payload starts in the array.
     * @param length  the payload's length, at most {@link #maxPayloadLength()}.
     * @return true when the message is queued: it reaches the peer in this session, in order, unless the session
     * ends; false when no session is up, the session is ending, or the queue is full (which ends the session).
     * @throws IllegalArgumentException when the type or the length is out of range.
     */
    public boolean send(final int type, final byte[] payload, final int offset, final int length)
    {
        checkMessage(type, length);
        Objects.checkFromIndexSize(offset, length, payload.length);
        final SyncConnection target = reserve(length);
        if (null == target)
        {
            return false;
        }
        enqueue(target, type, Arrays.copyOfRange(payload, offset, offset + length));
        return true;
    }

    /**
     * Queues a whole array; see {@link #send(int, byte[], int, int)}.
     *
     * @param type    {@link #MIN_USER_TYPE}..{@link #MAX_USER_TYPE}.
     * @param payload the payload, copied.
     * @return whether the message is queued.
     */
    public boolean send(final int type, final byte[] payload)
    {
        return send(type, payload, 0, payload.length);
    }

    /**
     * Queues the remaining bytes of a buffer; its position does not move. See {@link #send(int, byte[], int, int)}.
     *
     * @param type    {@link #MIN_USER_TYPE}..{@link #MAX_USER_TYPE}.
     * @param payload the bytes from position to limit, copied.
     * @return whether the message is queued.
     */
    public boolean send(final int type, final ByteBuffer payload)
    {
        final int length = payload.remaining();
        checkMessage(type, length);
        final SyncConnection target = reserve(length);
        if (null == target)
        {
            return false;
        }
        final byte[] copy = new byte[length];
        payload.get(payload.position(), copy);
        enqueue(target, type, copy);
        return true;
    }

    /**
     * Queues a range of an Agrona buffer; see {@link #send(int, byte[], int, int)}.
     *
     * @param type   {@link #MIN_USER_TYPE}..{@link #MAX_USER_TYPE}.
     * @param buffer the buffer, read but not changed.
     * @param offset where the payload starts.
     * @param length the payload's length.
     * @return whether the message is queued.
     */
    public boolean send(final int type, final DirectBuffer buffer, final int offset, final int length)
    {
        checkMessage(type, length);
        final SyncConnection target = reserve(length);
        if (null == target)
        {
            return false;
        }
        final byte[] copy = new byte[length];
        buffer.getBytes(offset, copy);
        enqueue(target, type, copy);
        return true;
    }

    /** @return whether an authenticated session is up and accepts messages. Any thread. */
    public boolean isConnected()
    {
        final SyncConnection current = session;
        return null != current && null == current.closeRequest;
    }

    /** @return the peer's announced name in the current session, or null when none is up. */
    public String peerName()
    {
        final SyncConnection current = session;
        return null == current ? null : current.peerName;
    }

    /** @return true when this node connects (it has the lower address), false when it listens. */
    public boolean isConnector()
    {
        return connector;
    }

    /** @return the largest payload {@code send} accepts: the maximum frame length less the frame overhead. */
    public int maxPayloadLength()
    {
        return maxFrameLength - FRAME_OVERHEAD;
    }

    /** @return bytes (payloads plus frame overhead) queued in the current session and not yet encoded; 0 if none. */
    public long queuedBytes()
    {
        final SyncConnection current = session;
        return null == current ? 0 : current.queuedBytes.get();
    }

    /**
     * @return the queue room left in the current session, 0 when none is up: a user that sends more than the bound
     * at once (a large bulk resync) paces itself on this from its own thread rather than from a callback, since the
     * channel thread sends nothing while a callback runs.
     */
    public long outboundQueueFreeBytes()
    {
        final SyncConnection current = session;
        return null == current || null != current.closeRequest ?
            0 : Math.max(0, outboundQueueBytes - current.queuedBytes.get());
    }

    /** @return the detail of the last failed connection attempt, handshake or session loss, or null. */
    public String lastFailure()
    {
        return lastFailure;
    }

    /** @return the counters of this moment. Any thread. */
    public SyncCounters counters()
    {
        final Map<SessionLoss, Long> losses = new EnumMap<>(SessionLoss.class);
        for (final SessionLoss reason : SessionLoss.values())
        {
            losses.put(reason, counters.get(SESSION_LOSSES_BASE + reason.ordinal()));
        }
        final Map<FrameError, Long> badFrames = new EnumMap<>(FrameError.class);
        for (final FrameError error : FrameError.values())
        {
            badFrames.put(error, counters.get(BAD_FRAMES_BASE + error.ordinal()));
        }
        return new SyncCounters(
            counters.get(SESSIONS_ESTABLISHED),
            losses,
            counters.get(FRAMES_SENT),
            counters.get(BYTES_SENT),
            counters.get(FRAMES_RECEIVED),
            counters.get(BYTES_RECEIVED),
            counters.get(MESSAGES_SENT),
            counters.get(MESSAGES_RECEIVED),
            counters.get(REFUSED_PEERS),
            counters.get(CONNECT_FAILURES),
            counters.get(LISTEN_FAILURES),
            counters.get(HANDSHAKE_FAILURES),
            counters.get(AUTH_FAILURES),
            badFrames,
            counters.get(QUEUE_OVERFLOWS),
            counters.get(SENDS_REJECTED),
            counters.get(HEARTBEATS_MISSED),
            counters.get(HANDLER_ERRORS));
    }

    /** @return the concluded settings. */
    public Context context()
    {
        return ctx;
    }

    /** @return the channel thread, e.g. to measure its CPU time. */
    public Thread thread()
    {
        return thread;
    }

    /**
     * Ends the session, if any, with a GOODBYE to the peer (best effort) and {@link SyncHandler#onSessionDown}
     * ({@link SessionLoss#CLOSED}), closes every socket and stops the thread. Messages still queued are dropped.
     * Idempotent; from another thread it waits up to 5 s for the channel thread to end, from a callback it returns
     * at once and the channel stops when the callback returns.
     */
    @Override
    public void close()
    {
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
        }
        running = false;
        selector.wakeup();
        if (Thread.currentThread() != thread)
        {
            try
            {
                thread.join(CLOSE_TIMEOUT_MS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // senders, any thread

    private void checkMessage(final int type, final int length)
    {
        if (!SyncFrameDescriptor.isUserType(type))
        {
            throw new IllegalArgumentException("type must be " + MIN_USER_TYPE + ".." + MAX_USER_TYPE + ": " + type);
        }
        if (length < 0 || length > maxPayloadLength())
        {
            throw new IllegalArgumentException("payload length must be 0.." + maxPayloadLength() + ": " + length);
        }
    }

    private SyncConnection reserve(final int length)
    {
        final SyncConnection target = session;
        if (null == target || null != target.closeRequest)
        {
            counters.getAndIncrement(SENDS_REJECTED);
            return null;
        }
        final long cost = (long)length + FRAME_OVERHEAD;
        final long queued = target.queuedBytes.addAndGet(cost);
        if (queued > outboundQueueBytes)
        {
            target.queuedBytes.addAndGet(-cost);
            counters.getAndIncrement(QUEUE_OVERFLOWS);
            target.requestClose(SessionLoss.QUEUE_OVERFLOW, "outbound queue full: " + (queued - cost) +
                " bytes queued, " + cost + " more would exceed the bound of " + outboundQueueBytes);
            selector.wakeup();
            return null;
        }
        return target;
    }

    private void enqueue(final SyncConnection target, final int type, final byte[] payload)
    {
        target.queue.offer(new SyncConnection.Outbound(type, payload));
        // one wakeup per burst: the channel thread clears the flag just before it drains the queue
        if (wakeupPending.compareAndSet(false, true))
        {
            selector.wakeup();
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // the channel thread

    private void run()
    {
        try
        {
            while (running)
            {
                try
                {
                    final long nowNs = nanoClock.nanoTime();
                    onTimers(nowNs);
                    final SyncConnection current = session;
                    if (null != current && !current.writeBlocked)
                    {
                        wakeupPending.set(false);
                        flush(current, nowNs);
                    }
                    select(nowNs);
                }
                catch (final IOException | RuntimeException ex)
                {
                    onError(ex);
                }
            }
        }
        finally
        {
            shutdown();
        }
    }

    private void select(final long nowNs) throws IOException
    {
        if (moreToWrite || !running)
        {
            moreToWrite = false;
            selector.selectNow(onSelected);
            return;
        }
        final long deadlineNs = nextDeadlineNs();
        if (Long.MAX_VALUE == deadlineNs)
        {
            selector.select(onSelected, 0);
            return;
        }
        if (deadlineNs <= nowNs)
        {
            selector.selectNow(onSelected);
        }
        else
        {
            selector.select(onSelected, (deadlineNs - nowNs + 999_999) / 1_000_000);
        }
    }

    private long nextDeadlineNs()
    {
        long deadlineNs = Long.MAX_VALUE;
        if (connector)
        {
            if (null == handshaking && null == session)
            {
                deadlineNs = reconnectAtNs;
            }
        }
        else if (null == server)
        {
            deadlineNs = listenRetryAtNs;
        }
        if (null != handshaking)
        {
            deadlineNs = Math.min(deadlineNs, handshaking.deadlineNs);
        }
        final SyncConnection current = session;
        if (null != current)
        {
            deadlineNs = Math.min(deadlineNs, current.lastReceiveNs + deadAfterNs);
            deadlineNs = Math.min(deadlineNs, current.lastReceiveNs + (current.missedHeartbeats + 2) *
                heartbeatIntervalNs);
            deadlineNs = Math.min(deadlineNs, current.heartbeatDueNs);
            if (null != current.closeRequest)
            {
                deadlineNs = Long.MIN_VALUE;
            }
        }
        return deadlineNs;
    }

    private void onTimers(final long nowNs)
    {
        if (connector)
        {
            if (null == handshaking && null == session && nowNs - reconnectAtNs >= 0)
            {
                startConnect(nowNs);
            }
        }
        else if (null == server && nowNs - listenRetryAtNs >= 0)
        {
            openServer(nowNs);
        }

        final SyncConnection pending = handshaking;
        if (null != pending && nowNs - pending.deadlineNs >= 0)
        {
            if (STATE_CONNECTING == pending.state)
            {
                failConnect(pending, "connect to " + peerEndpoint + " not complete within " +
                    ctx.handshakeTimeoutMs() + " ms", nowNs);
            }
            else
            {
                failHandshake(pending, "not complete within " + ctx.handshakeTimeoutMs() + " ms", nowNs);
            }
        }

        final SyncConnection current = session;
        if (null == current)
        {
            return;
        }
        final SessionLoss request = current.closeRequest;
        if (null != request)
        {
            closeSession(current, request, current.closeRequestDetail, true, nowNs);
            return;
        }
        final long silentNs = nowNs - current.lastReceiveNs;
        if (silentNs >= deadAfterNs)
        {
            closeSession(current, SessionLoss.PEER_DEAD,
                "nothing received for " + silentNs / 1_000_000 + " ms", true, nowNs);
            return;
        }
        final long missed = silentNs / heartbeatIntervalNs - 1;
        if (missed > current.missedHeartbeats)
        {
            counters.getAndAdd(HEARTBEATS_MISSED, missed - current.missedHeartbeats);
            current.missedHeartbeats = missed;
        }
        if (nowNs - current.heartbeatDueNs >= 0)
        {
            // when a long frame or a full socket holds the writer, bytes are on their way or the peer is not reading:
            // either way a heartbeat adds nothing
            if (!current.writeBlocked)
            {
                writeControlFrame(current, TYPE_HEARTBEAT, EMPTY);
            }
            current.heartbeatDueNs = nowNs + heartbeatIntervalNs;
        }
    }

    private void openServer(final long nowNs)
    {
        ServerSocketChannel channel = null;
        try
        {
            channel = ServerSocketChannel.open();
            channel.setOption(StandardSocketOptions.SO_REUSEADDR, true);
            channel.bind(new InetSocketAddress(localAddress, ctx.port()), 16);
            channel.configureBlocking(false);
            channel.register(selector, SelectionKey.OP_ACCEPT, null);
            server = channel;
            backoffMs = ctx.reconnectInitialBackoffMs();
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            counters.getAndIncrement(LISTEN_FAILURES);
            lastFailure = "cannot listen on " + localAddress.getHostAddress() + ":" + ctx.port() + ": " + ex;
            listenRetryAtNs = nowNs + backoffMs * 1_000_000L;
            backoffMs = Math.min(2 * backoffMs, ctx.reconnectMaxBackoffMs());
        }
    }

    private void startConnect(final long nowNs)
    {
        SocketChannel channel = null;
        try
        {
            channel = SocketChannel.open();
            channel.configureBlocking(false);
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            channel.bind(new InetSocketAddress(localAddress, 0));
            final SyncConnection connection = new SyncConnection(
                channel, INITIAL_READ_BUFFER_LENGTH, WRITE_BUFFER_LENGTH, nowNs + handshakeTimeoutNs);
            handshaking = connection;
            if (channel.connect(peerEndpoint))
            {
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                startHandshake(connection, nowNs);
            }
            else
            {
                connection.key = channel.register(selector, SelectionKey.OP_CONNECT, connection);
            }
        }
        catch (final IOException ex)
        {
            closeQuietly(channel);
            handshaking = null;
            counters.getAndIncrement(CONNECT_FAILURES);
            lastFailure = "cannot connect to " + peerEndpoint + ": " + ex;
            scheduleReconnect(nowNs);
        }
    }

    private void scheduleReconnect(final long nowNs)
    {
        reconnectAtNs = nowNs + backoffMs * 1_000_000L;
        backoffMs = Math.min(2 * backoffMs, ctx.reconnectMaxBackoffMs());
    }

    private void onSelected(final SelectionKey key)
    {
        final long nowNs = nanoClock.nanoTime();
        try
        {
            if (null == key.attachment())
            {
                onAcceptable(nowNs);
                return;
            }
            final SyncConnection connection = (SyncConnection)key.attachment();
            if (STATE_CLOSED == connection.state || !key.isValid())
            {
                return;
            }
            final int ready = key.readyOps();
            if (0 != (ready & SelectionKey.OP_CONNECT))
            {
                onConnectable(connection, nowNs);
            }
            if (STATE_CLOSED != connection.state && 0 != (ready & SelectionKey.OP_WRITE))
            {
                connection.writeBlocked = false;
                connection.key.interestOps(SelectionKey.OP_READ);
                flush(connection, nowNs);
            }
            if (STATE_CLOSED != connection.state && 0 != (ready & SelectionKey.OP_READ))
            {
                onReadable(connection, nowNs);
            }
        }
        catch (final RuntimeException ex)
        {
            onError(ex);
        }
    }

    private void onAcceptable(final long nowNs)
    {
        for (int i = 0; i < MAX_ACCEPTS_PER_EVENT; i++)
        {
            final SocketChannel channel;
            try
            {
                channel = server.accept();
            }
            catch (final IOException ex)
            {
                // e.g. out of file descriptors: listen afresh after a backoff rather than spin on a ready socket
                closeQuietly(server);
                server = null;
                counters.getAndIncrement(LISTEN_FAILURES);
                lastFailure = "accept failed: " + ex;
                listenRetryAtNs = nowNs + backoffMs * 1_000_000L;
                backoffMs = Math.min(2 * backoffMs, ctx.reconnectMaxBackoffMs());
                return;
            }
            if (null == channel)
            {
                return;
            }
            try
            {
                final SocketAddress remote = channel.getRemoteAddress();
                if (!(remote instanceof InetSocketAddress inet) || !peerAddress.equals(inet.getAddress()))
                {
                    counters.getAndIncrement(REFUSED_PEERS);
                    abort(channel);
                    continue;
                }
                channel.configureBlocking(false);
                channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
                if (null != handshaking)
                {
                    failHandshake(handshaking, "superseded by a newer connection from the peer", nowNs);
                }
                final SyncConnection connection = new SyncConnection(
                    channel, INITIAL_READ_BUFFER_LENGTH, WRITE_BUFFER_LENGTH, nowNs + handshakeTimeoutNs);
                connection.key = channel.register(selector, SelectionKey.OP_READ, connection);
                handshaking = connection;
                startHandshake(connection, nowNs);
            }
            catch (final IOException ex)
            {
                abort(channel);
                counters.getAndIncrement(HANDSHAKE_FAILURES);
                lastFailure = "accepted connection failed: " + ex;
            }
        }
    }

    private void onConnectable(final SyncConnection connection, final long nowNs)
    {
        try
        {
            if (!connection.channel.finishConnect())
            {
                return;
            }
        }
        catch (final IOException ex)
        {
            failConnect(connection, "cannot connect to " + peerEndpoint + ": " + ex, nowNs);
            return;
        }
        connection.key.interestOps(SelectionKey.OP_READ);
        startHandshake(connection, nowNs);
    }

    private void failConnect(final SyncConnection connection, final String detail, final long nowNs)
    {
        closeConnection(connection);
        if (handshaking == connection)
        {
            handshaking = null;
        }
        counters.getAndIncrement(CONNECT_FAILURES);
        lastFailure = detail;
        scheduleReconnect(nowNs);
    }

    private void startHandshake(final SyncConnection connection, final long nowNs)
    {
        final byte[] nonce = new byte[Handshake.NONCE_LENGTH];
        random.nextBytes(nonce);
        connection.localNonce = nonce;
        connection.state = STATE_HELLO_SENT;
        connection.encoder.reset(helloKey, 0);
        connection.decoder.reset(helloKey, 0, HANDSHAKE_MAX_FRAME_LENGTH);
        writeControlFrame(connection, TYPE_HELLO, Handshake.encodeHello(role, nonce, nameBytes));
        flush(connection, nowNs);
    }

    private void onReadable(final SyncConnection connection, final long nowNs)
    {
        for (int i = 0; i < MAX_READS_PER_EVENT && running; i++)
        {
            final ByteBuffer buffer = connection.readBuffer;
            final int read;
            try
            {
                read = connection.channel.read(buffer);
            }
            catch (final IOException ex)
            {
                onIoFailure(connection, "read failed: " + ex.getMessage(), nowNs);
                return;
            }
            if (read < 0)
            {
                if (STATE_UP == connection.state)
                {
                    closeSession(connection, SessionLoss.PEER_CLOSED, "end of stream", false, nowNs);
                }
                else
                {
                    failHandshake(connection, "the peer closed the connection during the handshake", nowNs);
                }
                return;
            }
            if (0 == read)
            {
                return;
            }
            counters.getAndAdd(BYTES_RECEIVED, read);
            connection.lastReceiveNs = nowNs;
            connection.missedHeartbeats = 0;

            buffer.flip();
            final int requiredLength = decodeFrames(connection, buffer, nowNs);
            if (requiredLength < 0)
            {
                return;
            }
            if (buffer.position() > 0)
            {
                buffer.compact();
            }
            else
            {
                // only the start of a frame: leave it where it is instead of moving it onto itself
                buffer.position(buffer.limit());
                buffer.limit(buffer.capacity());
            }
            if (requiredLength > buffer.capacity())
            {
                final int capacity = Math.max(requiredLength, Math.min(2 * buffer.capacity(), maxFrameLength));
                final ByteBuffer grown = ByteBuffer.allocateDirect(capacity);
                buffer.flip();
                grown.put(buffer);
                connection.readBuffer = grown;
            }
        }
    }

    /**
     * @return the length the frame at the buffer's position needs, or -1 when the connection ended or the channel
     * stops.
     */
    private int decodeFrames(final SyncConnection connection, final ByteBuffer buffer, final long nowNs)
    {
        final FrameDecoder decoder = connection.decoder;
        while (running && STATE_CLOSED != connection.state)
        {
            final int result = decoder.decode(buffer);
            if (FrameDecoder.FRAME_INCOMPLETE == result)
            {
                return decoder.requiredLength();
            }
            if (FrameDecoder.FRAME_ERROR == result)
            {
                onBadFrame(connection, decoder.error(), decoder.errorDetail(), nowNs);
                return -1;
            }
            counters.getAndIncrement(FRAMES_RECEIVED);
            final ByteBuffer payload = buffer.duplicate()
                .limit(decoder.payloadOffset() + decoder.payloadLength())
                .position(decoder.payloadOffset())
                .slice()
                .asReadOnlyBuffer();
            onFrame(connection, decoder.type(), payload, nowNs);
        }
        return -1;
    }

    private void onFrame(final SyncConnection connection, final int type, final ByteBuffer payload, final long nowNs)
    {
        switch (connection.state)
        {
            case STATE_HELLO_SENT -> onHello(connection, type, payload, nowNs);
            case STATE_AUTH_SENT -> onAuth(connection, type, payload, nowNs);
            case STATE_UP -> onSessionFrame(connection, type, payload, nowNs);
            default -> throw new IllegalStateException("frame in state " + connection.state);
        }
    }

    private void onHello(final SyncConnection connection, final int type, final ByteBuffer payload, final long nowNs)
    {
        if (TYPE_HELLO != type)
        {
            failHandshake(connection, "expected HELLO, got type " + type, nowNs);
            return;
        }
        final Handshake.Hello hello = Handshake.parseHello(payload);
        if (null == hello || SyncFrameDescriptor.VERSION != hello.version())
        {
            failHandshake(connection, "malformed HELLO or another protocol version", nowNs);
            return;
        }
        if (peerRole != hello.role())
        {
            failHandshake(connection, "the peer has the same role: both nodes think they " +
                (connector ? "connect" : "listen"), nowNs);
            return;
        }
        if (Arrays.equals(hello.nonce(), connection.localNonce))
        {
            failHandshake(connection, "the peer sent this node's own nonce", nowNs);
            return;
        }
        connection.peerName = hello.nameText();
        final byte[] connectorNonce = connector ? connection.localNonce : hello.nonce();
        final byte[] acceptorNonce = connector ? hello.nonce() : connection.localNonce;
        final byte[] connectorName = connector ? nameBytes : hello.name();
        final byte[] acceptorName = connector ? hello.name() : nameBytes;
        connection.encoder.reset(Handshake.directionKey(rootKey, role, connectorNonce, acceptorNonce), 1);
        connection.decoder.reset(Handshake.directionKey(rootKey, peerRole, connectorNonce, acceptorNonce), 1,
            HANDSHAKE_MAX_FRAME_LENGTH);
        connection.expectedPeerProof =
            Handshake.proof(rootKey, peerRole, connectorNonce, acceptorNonce, connectorName, acceptorName);
        connection.state = STATE_AUTH_SENT;
        writeControlFrame(connection, TYPE_AUTH,
            Handshake.proof(rootKey, role, connectorNonce, acceptorNonce, connectorName, acceptorName));
        flush(connection, nowNs);
    }

    private void onAuth(final SyncConnection connection, final int type, final ByteBuffer payload, final long nowNs)
    {
        if (TYPE_AUTH != type)
        {
            failHandshake(connection, "expected AUTH, got type " + type, nowNs);
            return;
        }
        final byte[] proof = new byte[payload.remaining()];
        payload.get(proof);
        if (!Handshake.constantTimeEquals(proof, connection.expectedPeerProof))
        {
            counters.getAndIncrement(AUTH_FAILURES);
            failHandshake(connection, "the peer's proof does not verify: another shared key", nowNs);
            return;
        }
        promote(connection, nowNs);
    }

    private void promote(final SyncConnection connection, final long nowNs)
    {
        connection.state = STATE_UP;
        connection.decoder.maxFrameLength(maxFrameLength);
        connection.lastReceiveNs = nowNs;
        connection.heartbeatDueNs = nowNs + heartbeatIntervalNs;
        handshaking = null;
        final SyncConnection previous = session;
        if (null != previous)
        {
            closeSession(previous, SessionLoss.REPLACED, "a new authenticated connection from the peer replaced it",
                true, nowNs);
        }
        backoffMs = ctx.reconnectInitialBackoffMs();
        wakeupPending.set(false);
        session = connection;
        counters.getAndIncrement(SESSIONS_ESTABLISHED);
        try
        {
            handler.onSessionUp(connection.peerName);
        }
        catch (final RuntimeException ex)
        {
            onHandlerError(connection, "onSessionUp", ex, nowNs);
        }
    }

    private void onSessionFrame(
        final SyncConnection connection, final int type, final ByteBuffer payload, final long nowNs)
    {
        if (SyncFrameDescriptor.isUserType(type))
        {
            counters.getAndIncrement(MESSAGES_RECEIVED);
            try
            {
                handler.onMessage(type, payload);
            }
            catch (final RuntimeException ex)
            {
                onHandlerError(connection, "onMessage", ex, nowNs);
            }
            return;
        }
        switch (type)
        {
            case TYPE_HEARTBEAT ->
            {
                if (payload.hasRemaining())
                {
                    onBadFrame(connection, FrameError.BAD_PAYLOAD, "heartbeat with a payload", nowNs);
                }
            }
            case TYPE_GOODBYE ->
            {
                final byte[] reason = new byte[Math.min(payload.remaining(), MAX_GOODBYE_REASON_LENGTH)];
                payload.get(reason);
                closeSession(connection, SessionLoss.PEER_CLOSED,
                    "the peer said goodbye: " + new String(reason, StandardCharsets.UTF_8), false, nowNs);
            }
            default -> onBadFrame(connection, FrameError.UNEXPECTED_TYPE, "type " + type + " in a session", nowNs);
        }
    }

    private void onBadFrame(
        final SyncConnection connection, final FrameError error, final String detail, final long nowNs)
    {
        if (STATE_UP == connection.state)
        {
            counters.getAndIncrement(BAD_FRAMES_BASE + error.ordinal());
            closeSession(connection, SessionLoss.BAD_FRAME, error + ", " + detail, true, nowNs);
        }
        else
        {
            if (FrameError.BAD_MAC == error)
            {
                counters.getAndIncrement(AUTH_FAILURES);
                failHandshake(connection, "the peer's " + (STATE_HELLO_SENT == connection.state ? "HELLO" : "AUTH") +
                    " does not verify: another shared key", nowNs);
            }
            else
            {
                failHandshake(connection, "bad frame in the handshake: " + error + ", " + detail, nowNs);
            }
        }
    }

    private void onHandlerError(
        final SyncConnection connection, final String callback, final RuntimeException ex, final long nowNs)
    {
        counters.getAndIncrement(HANDLER_ERRORS);
        errorHandler.accept(ex);
        closeSession(connection, SessionLoss.HANDLER_ERROR, callback + " threw " + ex, true, nowNs);
    }

    private void onIoFailure(final SyncConnection connection, final String detail, final long nowNs)
    {
        if (STATE_UP == connection.state)
        {
            closeSession(connection, SessionLoss.IO_ERROR, detail, true, nowNs);
        }
        else
        {
            failHandshake(connection, detail, nowNs);
        }
    }

    /**
     * Writes a frame of the channel's own between two messages, when the write buffer has room for it whole.
     *
     * @return whether it was written to the buffer.
     */
    private boolean writeControlFrame(final SyncConnection connection, final int type, final byte[] payload)
    {
        final FrameEncoder encoder = connection.encoder;
        if (encoder.inProgress() || connection.writeBuffer.remaining() < FRAME_OVERHEAD + payload.length)
        {
            return false;
        }
        encoder.begin(type, payload, 0, payload.length);
        encoder.encode(connection.writeBuffer);
        counters.getAndIncrement(FRAMES_SENT);
        return true;
    }

    /**
     * Encodes queued messages into the write buffer and writes it until the queue is empty, the socket is full or a
     * round limit is reached (then the next select does not wait).
     */
    private void flush(final SyncConnection connection, final long nowNs)
    {
        final ByteBuffer buffer = connection.writeBuffer;
        for (int round = 0; round < MAX_FLUSH_ROUNDS; round++)
        {
            if (STATE_UP == connection.state)
            {
                encodeQueued(connection);
            }
            if (0 == buffer.position())
            {
                return;
            }
            buffer.flip();
            final int written;
            try
            {
                written = connection.channel.write(buffer);
            }
            catch (final IOException ex)
            {
                buffer.clear();
                onIoFailure(connection, "write failed: " + ex.getMessage(), nowNs);
                return;
            }
            if (buffer.hasRemaining())
            {
                buffer.compact();
            }
            else
            {
                buffer.clear();
            }
            if (written > 0)
            {
                counters.getAndAdd(BYTES_SENT, written);
                connection.heartbeatDueNs = nowNs + heartbeatIntervalNs;
            }
            if (buffer.position() > 0)
            {
                connection.writeBlocked = true;
                connection.key.interestOps(SelectionKey.OP_READ | SelectionKey.OP_WRITE);
                return;
            }
            if (connection.queue.isEmpty() && !connection.encoder.inProgress())
            {
                return;
            }
        }
        moreToWrite = true;
    }

    private void encodeQueued(final SyncConnection connection)
    {
        final ByteBuffer buffer = connection.writeBuffer;
        final FrameEncoder encoder = connection.encoder;
        while (buffer.hasRemaining())
        {
            if (!encoder.inProgress())
            {
                final SyncConnection.Outbound next = connection.queue.poll();
                if (null == next)
                {
                    return;
                }
                encoder.begin(next.type(), next.payload(), 0, next.payload().length);
                connection.inFlightCost = (long)next.payload().length + FRAME_OVERHEAD;
            }
            if (!encoder.encode(buffer))
            {
                return;
            }
            connection.queuedBytes.addAndGet(-connection.inFlightCost);
            counters.getAndIncrement(FRAMES_SENT);
            counters.getAndIncrement(MESSAGES_SENT);
        }
    }

    private void closeSession(
        final SyncConnection connection,
        final SessionLoss reason,
        final String detail,
        final boolean abortive,
        final long nowNs)
    {
        if (STATE_CLOSED == connection.state)
        {
            return;
        }
        connection.state = STATE_CLOSED;
        if (abortive)
        {
            // a reset discards what is still unsent or unread on both ends: the peer learns at once and the next
            // session does not wait behind stale bytes
            abort(connection.channel);
        }
        closeConnection(connection);
        if (session == connection)
        {
            session = null;
        }
        connection.queue.clear();
        counters.getAndIncrement(SESSION_LOSSES_BASE + reason.ordinal());
        final String text = reason.name() + ": " + detail;
        lastFailure = text;
        if (connector)
        {
            scheduleReconnect(nowNs);
        }
        try
        {
            handler.onSessionDown(text);
        }
        catch (final RuntimeException ex)
        {
            counters.getAndIncrement(HANDLER_ERRORS);
            errorHandler.accept(ex);
        }
    }

    private void failHandshake(final SyncConnection connection, final String detail, final long nowNs)
    {
        if (STATE_CLOSED == connection.state)
        {
            return;
        }
        connection.state = STATE_CLOSED;
        closeConnection(connection);
        if (handshaking == connection)
        {
            handshaking = null;
        }
        counters.getAndIncrement(HANDSHAKE_FAILURES);
        lastFailure = "handshake with " + peerAddress.getHostAddress() + " failed: " + detail;
        if (connector)
        {
            scheduleReconnect(nowNs);
        }
    }

    private void closeConnection(final SyncConnection connection)
    {
        connection.state = STATE_CLOSED;
        if (null != connection.key)
        {
            connection.key.cancel();
        }
        closeQuietly(connection.channel);
    }

    private void shutdown()
    {
        final long nowNs = nanoClock.nanoTime();
        final SyncConnection current = session;
        if (null != current && STATE_UP == current.state)
        {
            if (!current.writeBlocked &&
                writeControlFrame(current, TYPE_GOODBYE, "channel closed".getBytes(StandardCharsets.UTF_8)))
            {
                final ByteBuffer buffer = current.writeBuffer;
                buffer.flip();
                try
                {
                    current.channel.write(buffer);
                }
                catch (final IOException ignore)
                {
                    // best effort: the peer sees the end of the stream either way
                }
            }
            closeSession(current, SessionLoss.CLOSED, "channel closed", false, nowNs);
        }
        if (null != handshaking)
        {
            closeConnection(handshaking);
            handshaking = null;
        }
        closeQuietly(server);
        server = null;
        try
        {
            selector.close();
        }
        catch (final IOException ex)
        {
            onError(ex);
        }
    }

    private void onError(final Throwable ex)
    {
        try
        {
            errorHandler.accept(ex);
        }
        catch (final RuntimeException ignore)
        {
            // the error handler must not stop the channel
        }
    }

    private static void abort(final SocketChannel channel)
    {
        try
        {
            channel.setOption(StandardSocketOptions.SO_LINGER, 0);
        }
        catch (final IOException ignore)
        {
            // already closed or reset: close below is all that is left
        }
        closeQuietly(channel);
    }

    private static void closeQuietly(final java.nio.channels.Channel channel)
    {
        if (null != channel)
        {
            try
            {
                channel.close();
            }
            catch (final IOException ignore)
            {
                // nothing to do about a failed close
            }
        }
    }

    static int parseIpv4(final String name, final String address)
    {
        if (null == address)
        {
            throw new IllegalArgumentException(name + " is required");
        }
        final String[] parts = address.split("\\.", -1);
        if (4 != parts.length)
        {
            throw new IllegalArgumentException(name + " must be a dotted quad: " + address);
        }
        int value = 0;
        for (final String part : parts)
        {
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9'))
            {
                throw new IllegalArgumentException(name + " must be a dotted quad: " + address);
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255)
            {
                throw new IllegalArgumentException(name + " must be a dotted quad: " + address);
            }
            value = (value << 8) | octet;
        }
        return value;
    }

    private static InetAddress inet(final int address)
    {
        try
        {
            return InetAddress.getByAddress(new byte[]{
                (byte)(address >>> 24), (byte)(address >>> 16), (byte)(address >>> 8), (byte)address });
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalStateException(ex);
        }
    }
}
