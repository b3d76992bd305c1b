package io.tandem.control.election;

import io.tandem.ffi.Errno;
import io.tandem.ffi.LibC;
import io.tandem.ffi.RawIpSocket;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.EnumMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.locks.LockSupport;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;

/**
 * One VRRPv3 virtual router on one interface: runs a {@link VrrpStateMachine} on its own thread over a
 * {@link RawIpSocket} (IP protocol 112), sends its advertisements (to 224.0.0.18, or to the configured peer) and
 * reports role changes to a {@link VrrpListener}.
 * <p>
 * <b>Life cycle.</b> The constructor opens the socket on the <em>calling</em> thread, so the speaker speaks in the
 * network namespace of its creator whichever thread runs it afterwards (a socket keeps the namespace it was created
 * in). {@link #start()} starts the thread: the router begins in BACKUP and becomes MASTER when no better master
 * advertises within Master_Down_Interval. {@link #close()} is the clean shutdown: a master sends a priority-0
 * advertisement, so that its peer takes over after its Skew_Time instead of Master_Down_Interval, then the socket is
 * closed and the role is INITIALIZE.
 * <p>
 * <b>Receiving.</b> Every datagram is checked, and if dropped counted by {@link VrrpDropReason}, in this order:
 * IPv4 header and lengths, TTL 255, version 3 / type advertisement, checksum (all in
 * {@link VrrpAdvertisement#decode}), then the virtual router id, the source (when a peer is configured: only the
 * peer's address), and with a key the MAC. The advertisement's address list is not compared with ours (RFC 5798
 * 7.1 makes that a MAY; keepalived, which does compare, gets the same list from us when configured alike).
 * <p>
 * <b>Demotion.</b> {@link #setDemoted(boolean) setDemoted(true)} (the data interface went down, workers stalled):
 * a master sends priority 0 once and becomes BACKUP; a demoted node never becomes MASTER. {@code setDemoted(false)}
 * makes it an ordinary backup again, which takes over after Master_Down_Interval if no master advertises.
 * <p>
 * <b>Timing.</b> The thread waits in poll(2) until the next timer of the state machine (a master's next
 * advertisement, a backup's Master_Down_Timer), a datagram, or a wake-up from {@link #setDemoted} or
 * {@link #close}; never longer than {@link #MAX_WAIT_MS}. No busy loop.
 * <p>
 * Thread-safety: every public method may be called from any thread. The listener runs on the speaker's thread.
 */
public final class VrrpSpeaker implements AutoCloseable
{
    /** Longest poll when no timer runs (a demoted backup): bounds nothing but the loop's idle wake-ups. */
    public static final int MAX_WAIT_MS = 1_000;
    /** How long {@link #close()} waits for the thread to send its priority-0 advertisement and stop. */
    public static final long CLOSE_TIMEOUT_MS = 5_000;

    private static final int RECEIVE_BUFFER_LENGTH = 2_048;
    private static final int MAX_PACKETS_PER_WAKE_UP = 64;
    private static final long NANOS_PER_MILLI = 1_000_000L;
    private static final long ERROR_BACKOFF_NS = TimeUnit.MILLISECONDS.toNanos(10);

    private final VrrpConfig config;
    private final VrrpListener listener;
    private final NanoClock clock;
    private final RawIpSocket socket;
    private final VrrpStateMachine machine;
    private final byte[] key;
    private final int routerId;
    private final int peerAddress;
    private final int destinationAddress;
    private final Arena arena;
    private final MemorySegment advertisement;
    private final MemorySegment shutdownAdvertisement;
    private final Thread thread;
    private final Object lifecycle = new Object();

    private final AtomicLong advertisementsSent = new AtomicLong();
    private final AtomicLong sendErrors = new AtomicLong();
    private final AtomicLong packetsReceived = new AtomicLong();
    private final AtomicLong advertisementsAccepted = new AtomicLong();
    private final AtomicLong receiveErrors = new AtomicLong();
    private final AtomicLong transitions = new AtomicLong();
    private final AtomicLong listenerErrors = new AtomicLong();
    private final AtomicLongArray dropped = new AtomicLongArray(VrrpDropReason.values().length);

    private volatile VrrpRole role = VrrpRole.INITIALIZE;
    private volatile boolean demoteRequested;
    private volatile boolean stopRequested;
    private volatile boolean abandon;
    private volatile Throwable failure;
    private MemorySegment errno;
    private boolean started;
    private boolean closed;

    /**
     * Opens the socket on the calling thread, in its network namespace: bound to the interface, TTL 255, and
     * either joined to 224.0.0.18 (multicast) or bound to the local address (unicast to the peer).
     *
     * @param config   the virtual router.
     * @param listener told of every role change, on the speaker's thread.
     * @throws io.tandem.ffi.NativeException when the socket cannot be set up (no such interface, not root, the
     *                                       local address is not configured on the interface for unicast).
     */
    public VrrpSpeaker(final VrrpConfig config, final VrrpListener listener)
    {
        this(config, listener, new SystemNanoClock());
    }

    /**
     * As {@link #VrrpSpeaker(VrrpConfig, VrrpListener)}, with the clock the timers run on.
     *
     * @param clock monotonic nanoseconds, e.g. {@link SystemNanoClock}.
     */
    public VrrpSpeaker(final VrrpConfig config, final VrrpListener listener, final NanoClock clock)
    {
        if (null == config || null == listener || null == clock)
        {
            throw new IllegalArgumentException("config, listener and clock must not be null");
        }
        this.config = config;
        this.listener = listener;
        this.clock = clock;
        this.key = config.key();
        this.routerId = config.routerId();
        this.peerAddress = config.peerAddressValue();
        this.destinationAddress = config.destinationAddress();
        final int localAddress = config.localAddressValue();
        this.machine = new VrrpStateMachine(config.priority(), config.preempt(), config.advertIntervalCs(),
            localAddress, new Actions());

        final VrrpAdvertisement own = new VrrpAdvertisement(config.routerId(), config.priority(),
            config.advertIntervalCs(), config.virtualAddressValues());
        this.arena = Arena.ofShared();
        this.advertisement = arena.allocateFrom(JAVA_BYTE, own.encode(localAddress, destinationAddress, key));
        this.shutdownAdvertisement = arena.allocateFrom(JAVA_BYTE,
            own.withPriority(VrrpAdvertisement.PRIORITY_SHUTDOWN).encode(localAddress, destinationAddress, key));

        RawIpSocket opened = null;
        try
        {
            opened = RawIpSocket.open(config.interfaceName(), VrrpAdvertisement.IP_PROTOCOL, localAddress);
            if (config.isUnicast())
            {
                opened.bindLocal(localAddress);
            }
            else
            {
                opened.joinGroup(VrrpAdvertisement.MULTICAST_GROUP);
            }
        }
        catch (final RuntimeException ex)
        {
            if (null != opened)
            {
                opened.close();
            }
            arena.close();
            throw ex;
        }
        this.socket = opened;
        this.thread = new Thread(this::run, "vrrp-" + config.interfaceName() + "-" + config.routerId());
        this.thread.setDaemon(true);
    }

    /**
     * Starts the speaker's thread: the router enters BACKUP at once (the listener hears of it) and becomes MASTER
     * after Master_Down_Interval unless a better master advertises, or it is demoted.
     *
     * @throws IllegalStateException when started before or closed.
     */
    public void start()
    {
        synchronized (lifecycle)
        {
            if (closed)
            {
                throw new IllegalStateException("closed");
            }
            if (started)
            {
                throw new IllegalStateException("already started");
            }
            started = true;
            thread.start();
        }
    }

    /** @return the current role; INITIALIZE before {@link #start()} and after {@link #close()}. */
    public VrrpRole role()
    {
        return role;
    }

    /**
     * Demotes the node (it stops being master and never becomes it) or undemotes it (an ordinary backup again). Takes
     * effect on the speaker's thread within moments; may be called before {@link #start()}.
     *
     * @param demoted true to demote, false to undemote.
     */
    public void setDemoted(final boolean demoted)
    {
        demoteRequested = demoted;
        socket.wakeup();
    }

    /** @return the demotion last asked for with {@link #setDemoted}. */
    public boolean isDemoted()
    {
        return demoteRequested;
    }

    /** @return the configuration the speaker runs. */
    public VrrpConfig config()
    {
        return config;
    }

    /** @return what ended the speaker's thread unexpectedly (it then reported INITIALIZE), or null. */
    public Throwable failure()
    {
        return failure;
    }

    /** @return a snapshot of the counters. */
    public VrrpCounters counters()
    {
        final EnumMap<VrrpDropReason, Long> drops = new EnumMap<>(VrrpDropReason.class);
        for (final VrrpDropReason reason : VrrpDropReason.values())
        {
            drops.put(reason, dropped.get(reason.ordinal()));
        }
        return new VrrpCounters(advertisementsSent.get(), sendErrors.get(), packetsReceived.get(),
            advertisementsAccepted.get(), receiveErrors.get(), transitions.get(), listenerErrors.get(), drops);
    }

    /**
     * Clean shutdown: a master sends one priority-0 advertisement (the peer takes over after its Skew_Time), the
     * listener hears of INITIALIZE, the thread ends and the socket is closed. Waits up to {@link #CLOSE_TIMEOUT_MS}
     * for the thread; called from the listener (on the speaker's thread) it only asks the thread to stop after the
     * listener returns. Idempotent.
     */
    @Override
    public void close()
    {
        final boolean wasStarted;
        synchronized (lifecycle)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            wasStarted = started;
        }
        if (!wasStarted)
        {
            socket.close();
            arena.close();
            return;
        }
        stopRequested = true;
        socket.wakeup();
        if (Thread.currentThread() == thread)
        {
            return;
        }
        try
        {
            thread.join(CLOSE_TIMEOUT_MS);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Stops like a crash: the thread ends without the priority-0 advertisement, so a peer notices only after its
     * Master_Down_Interval. For tests that play a node dying.
     */
    void abandon()
    {
        abandon = true;
        close();
    }

    private void run()
    {
        try (Arena threadArena = Arena.ofConfined())
        {
            errno = LibC.allocateErrnoSegment(threadArena);
            final MemorySegment buffer = threadArena.allocate(RECEIVE_BUFFER_LENGTH);
            final byte[] packet = new byte[RECEIVE_BUFFER_LENGTH];
            try
            {
                applyDemotion(clock.nanoTime());
                machine.start(clock.nanoTime());
                while (!stopRequested)
                {
                    final long nowNs = clock.nanoTime();
                    applyDemotion(nowNs);
                    machine.poll(nowNs);
                    final int events = socket.poll(errno, timeoutMs(nowNs, machine.deadlineNs()));
                    if (events < 0)
                    {
                        if (events != -Errno.EINTR)
                        {
                            receiveErrors.incrementAndGet();
                            LockSupport.parkNanos(ERROR_BACKOFF_NS);
                        }
                    }
                    else if ((events & (RawIpSocket.POLL_READABLE | RawIpSocket.POLL_ERROR)) != 0 &&
                        0 == drain(buffer, packet))
                    {
                        // readable or in error, yet nothing to read: do not spin on a condition poll keeps reporting
                        LockSupport.parkNanos(ERROR_BACKOFF_NS);
                    }
                }
                if (abandon)
                {
                    changeRole(VrrpRole.INITIALIZE, "stopped without a priority-0 advertisement");
                }
                else
                {
                    machine.shutdown(clock.nanoTime());
                }
            }
            catch (final Throwable t)
            {
                failure = t;
                if (VrrpRole.INITIALIZE != role)
                {
                    changeRole(VrrpRole.INITIALIZE, "the speaker failed: " + t);
                }
            }
            finally
            {
                socket.close();
            }
        }
        finally
        {
            arena.close();
        }
    }

    private static int timeoutMs(final long nowNs, final long deadlineNs)
    {
        if (VrrpStateMachine.NO_DEADLINE == deadlineNs)
        {
            return MAX_WAIT_MS;
        }
        final long remainingNs = deadlineNs - nowNs;
        if (remainingNs <= 0)
        {
            return 0;
        }
        // rounded up: waking before the deadline would only loop once more without doing anything
        return (int)Math.min(MAX_WAIT_MS, (remainingNs + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI);
    }

    private void applyDemotion(final long nowNs)
    {
        final boolean demote = demoteRequested;
        if (demote != machine.isDemoted())
        {
            machine.demote(nowNs, demote);
        }
    }

    /** @return datagrams and errors read, 0 when the socket had nothing after all. */
    private int drain(final MemorySegment buffer, final byte[] packet)
    {
        int read = 0;
        for (; read < MAX_PACKETS_PER_WAKE_UP; read++)
        {
            final long length = socket.receive(errno, buffer);
            if (length == -Errno.EAGAIN)
            {
                break;
            }
            if (length < 0)
            {
                // a pending socket error (ENETDOWN...) is reported once and cleared: read on
                receiveErrors.incrementAndGet();
                continue;
            }
            packetsReceived.incrementAndGet();
            final int copied = (int)Math.min(length, RECEIVE_BUFFER_LENGTH);
            MemorySegment.copy(buffer, JAVA_BYTE, 0, packet, 0, copied);
            onPacket(packet, copied);
        }
        return read;
    }

    private void onPacket(final byte[] packet, final int length)
    {
        final VrrpAdvertisement.Received received = VrrpAdvertisement.decode(packet, length);
        VrrpDropReason reason = received.dropReason();
        if (null == reason)
        {
            if (received.advertisement().routerId() != routerId)
            {
                reason = VrrpDropReason.WRONG_ROUTER_ID;
            }
            else if (0 != peerAddress && received.sourceAddress() != peerAddress)
            {
                reason = VrrpDropReason.NOT_FROM_PEER;
            }
            else if (null != key && !VrrpAdvertisement.hasValidMac(packet, length, key))
            {
                reason = VrrpDropReason.AUTH_FAILURE;
            }
        }
        if (null != reason)
        {
            dropped.incrementAndGet(reason.ordinal());
            return;
        }
        advertisementsAccepted.incrementAndGet();
        final VrrpAdvertisement advertisement = received.advertisement();
        machine.onAdvertisement(clock.nanoTime(), received.sourceAddress(), advertisement.priority(),
            advertisement.maxAdvertIntervalCs());
    }

    private void send(final MemorySegment bytes)
    {
        final long rc = socket.send(errno, destinationAddress, bytes);
        if (rc < 0)
        {
            sendErrors.incrementAndGet();
        }
        else
        {
            advertisementsSent.incrementAndGet();
        }
    }

    private void changeRole(final VrrpRole newRole, final String reason)
    {
        role = newRole;
        transitions.incrementAndGet();
        try
        {
            listener.onRoleChange(newRole, reason);
        }
        catch (final Throwable t)
        {
            listenerErrors.incrementAndGet();
        }
    }

    @Override
    public String toString()
    {
        return "VRRP speaker " + config + ": " + role + (demoteRequested ? " (demoted)" : "");
    }

    private final class Actions implements VrrpStateMachine.Actions
    {
        @Override
        public void sendAdvertisement(final int priority)
        {
            send(VrrpAdvertisement.PRIORITY_SHUTDOWN == priority ? shutdownAdvertisement : advertisement);
        }

        @Override
        public void onRoleChange(final VrrpRole newRole, final String reason)
        {
            changeRole(newRole, reason);
        }

        @Override
        public void onRivalYields(final int sourceAddress)
        {
            try
            {
                listener.onRivalYields(sourceAddress);
            }
            catch (final RuntimeException ex)
            {
                listenerErrors.incrementAndGet();
            }
        }
    }
}
