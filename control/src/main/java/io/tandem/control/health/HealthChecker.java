package io.tandem.control.health;

import io.tandem.control.config.ActiveHealthCheckConfig;
import io.tandem.control.config.HttpHealthCheckConfig;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetHealth;
import io.tandem.control.config.TargetPoolConfig;
import org.agrona.concurrent.EpochClock;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemEpochClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.StandardSocketOptions;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.random.RandomGenerator;

/**
 * Probes every target of every pool of a {@link LoadBalancerConfig} and keeps each target's health, from one thread.
 * <p>
 * <b>Probes.</b> A TCP check succeeds when a connection to the target's probe port ({@code altPort}, else the pool's
 * {@code targetPort}) is established; the checker then closes it with a RST (SO_LINGER 0), so that frequent probes
 * leave no TIME_WAIT sockets on the node. An HTTP check sends
 * {@code GET path HTTP/1.1}, {@code Host}, {@code Connection: close} and {@code User-Agent: tandem-health}, reads the
 * status line (at most {@value #MAX_STATUS_LINE_BYTES} bytes; anything else is a malformed reply) and succeeds when
 * the status is one of {@code okStatuses}. Every probe, connect and reply together, must end within the check's
 * {@code timeout}. When a local address is configured (the node's own address), every probe socket is bound to it
 * before it connects.
 * <p>
 * <b>Thresholds.</b> A healthy target turns unhealthy after {@code unhealthyThreshold} failed probes in a row and an
 * unhealthy one healthy after {@code healthyThreshold} successful ones; each change is reported at once to the
 * {@link HealthListener}.
 * <p>
 * <b>Initial state: healthy.</b> A target that the checker has not yet probed counts as healthy, as
 * {@link TargetHealth#ALL_HEALTHY} and {@link TargetHealth#of} do for unknown targets. A node that starts, or a
 * passive node that takes over, then forwards at once instead of dropping every connection for
 * {@code healthyThreshold} intervals (10 s with the defaults) while it proves targets that are almost always fine;
 * the price is that a dead target gets new connections until {@code unhealthyThreshold} probes have failed, the same
 * exposure as when a healthy target dies.
 * <p>
 * <b>Schedule.</b> A target's first probe starts at a random time within one interval of its arrival, so a new
 * configuration does not probe every target at once. After that, probe {@code n + 1} is due
 * {@code interval + random(0..intervalJitter)} after probe {@code n} was due (fixed rate, no drift from the time a
 * probe takes). When a probe still runs at its successor's due time (timeout longer than the interval), the next
 * probe starts as soon as it ends: a target never has two probes in flight. Due times and probe deadlines sit in one
 * priority queue; the selector blocks until the earliest of them or until a socket is ready, so an idle checker uses
 * no CPU.
 * <p>
 * <b>Updates.</b> {@link #update(LoadBalancerConfig)} replaces the set of checked targets, keyed by pool name and
 * target address. A target whose probe settings (address, probe port and the whole check) are unchanged keeps its
 * state, counters and schedule. A target whose settings changed starts its counters afresh but keeps its current
 * verdict, so an edit to a check does not make the data plane flap; a removed target is forgotten.
 * <p>
 * <b>Threads.</b> The checker runs one platform thread, started by the constructor; it inherits the network namespace
 * of the thread that constructs the checker (Linux threads share the creating thread's namespaces), so construct it
 * on a thread inside the node's namespace. {@link #isHealthy}, {@link #snapshot()}, {@link #statuses()},
 * {@link #status}, {@link #update} and {@link #close()} may be called from any thread.
 */
public final class HealthChecker implements TargetHealth, AutoCloseable
{
    /** The longest status line, with its CRLF, that an HTTP check reads before it calls the reply malformed. */
    public static final int MAX_STATUS_LINE_BYTES = 1024;
    /** The {@code User-Agent} of HTTP checks. */
    public static final String USER_AGENT = "tandem-health";

    private static final long CLOSE_TIMEOUT_MS = 5_000;

    private final Context ctx;
    private final NanoClock nanoClock;
    private final EpochClock epochClock;
    private final RandomGenerator random;
    private final HealthListener listener;
    private final Consumer<Throwable> errorHandler;
    private final InetAddress localAddress;
    private final Selector selector;
    private final Thread thread;
    private final ConcurrentLinkedQueue<PendingUpdate> updates = new ConcurrentLinkedQueue<>();
    private final PriorityQueue<Timer> timers = new PriorityQueue<>();
    private final byte[] readScratch = new byte[MAX_STATUS_LINE_BYTES];

    // owned by the checker thread
    private Map<TargetHealth.Key, Target> targets = Map.of();
    private long timerSequence;

    // published to other threads
    private volatile Map<TargetHealth.Key, Target> publishedTargets = Map.of();
    private volatile Map<TargetHealth.Key, Boolean> publishedHealth = Map.of();
    private volatile boolean running = true;
    private volatile long probesStarted;
    private volatile long maxStartLatenessNs;
    private volatile long errors;
    private boolean closed;

    /**
     * Settings of a checker, fluent; {@link #conclude()} checks them and fills defaults.
     */
    public static final class Context
    {
        private String localAddress;
        private HealthListener listener = HealthListener.NONE;
        private Consumer<Throwable> errorHandler = Throwable::printStackTrace;
        private NanoClock nanoClock = SystemNanoClock.INSTANCE;
        private EpochClock epochClock = SystemEpochClock.INSTANCE;
        private RandomGenerator random;
        private String threadName = "tandem-health";

        /** @param localAddress the node's own address that probes are sent from, or null for the kernel's choice. */
        public Context localAddress(final String localAddress)
        {
            this.localAddress = localAddress;
            return this;
        }

        public String localAddress()
        {
            return localAddress;
        }

        /** @param listener told of transitions and probes, on the checker thread; see {@link HealthListener}. */
        public Context listener(final HealthListener listener)
        {
            this.listener = listener;
            return this;
        }

        public HealthListener listener()
        {
            return listener;
        }

        /** @param errorHandler gets unexpected exceptions of the checker thread and of the listener. */
        public Context errorHandler(final Consumer<Throwable> errorHandler)
        {
            this.errorHandler = errorHandler;
            return this;
        }

        public Consumer<Throwable> errorHandler()
        {
            return errorHandler;
        }

        /** @param nanoClock the monotonic clock for due times, deadlines and lateness. */
        public Context nanoClock(final NanoClock nanoClock)
        {
            this.nanoClock = nanoClock;
            return this;
        }

        public NanoClock nanoClock()
        {
            return nanoClock;
        }

        /** @param epochClock the wall clock for the times in {@link TargetStatus}. */
        public Context epochClock(final EpochClock epochClock)
        {
            this.epochClock = epochClock;
            return this;
        }

        public EpochClock epochClock()
        {
            return epochClock;
        }

        /** @param random source of first-probe offsets and jitter; used only by the checker thread. */
        public Context random(final RandomGenerator random)
        {
            this.random = random;
            return this;
        }

        public RandomGenerator random()
        {
            return random;
        }

        /** @param threadName the checker thread's name. */
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
            if (null == listener || null == errorHandler || null == nanoClock || null == epochClock ||
                null == threadName)
            {
                throw new IllegalArgumentException("listener, errorHandler, clocks and threadName must not be null");
            }
            if (null != localAddress && !isIpv4(localAddress))
            {
                throw new IllegalArgumentException("localAddress must be a dotted quad: " + localAddress);
            }
            if (null == random)
            {
                random = new SplittableRandom();
            }
            return this;
        }
    }

    /**
     * Opens the selector and starts the checker thread, which inherits the caller's network namespace. The checker
     * probes nothing until the first {@link #update}.
     *
     * @param context settings, concluded here.
     * @throws UncheckedIOException when the selector cannot be opened.
     */
    public HealthChecker(final Context context)
    {
        ctx = context.conclude();
        nanoClock = ctx.nanoClock();
        epochClock = ctx.epochClock();
        random = ctx.random();
        listener = ctx.listener();
        errorHandler = ctx.errorHandler();
        localAddress = null == ctx.localAddress() ? null : ipv4(ctx.localAddress());
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
     * Replaces the targets to check with every target of every pool of {@code config}; see the class comment for
     * what is kept. The checker thread applies it before its next probe; called on the checker thread (from the
     * listener), it is applied after the listener returns.
     *
     * @param config a validated configuration.
     * @return completes when the checker thread has applied it, or exceptionally when the checker is closed.
     */
    public CompletableFuture<Void> update(final LoadBalancerConfig config)
    {
        Objects.requireNonNull(config, "config");
        final List<TargetSpec> specs = new ArrayList<>();
        for (final TargetPoolConfig pool : config.targetPools())
        {
            final ActiveHealthCheckConfig check = pool.activeHealthCheck();
            for (final TargetConfig target : pool.targets())
            {
                specs.add(new TargetSpec(new TargetHealth.Key(pool.name(), target.ip()),
                    check.probePort(pool.targetPort()), check));
            }
        }
        final PendingUpdate update = new PendingUpdate(List.copyOf(specs), new CompletableFuture<>());
        updates.add(update);
        if (!running)
        {
            failPendingUpdates();
        }
        selector.wakeup();
        return update.done();
    }

    /**
     * The latest verdict; targets the checker does not know count as healthy. Answers may change between two calls:
     * to build a snapshot, ask {@link #snapshot()} once and build from that.
     */
    @Override
    public boolean isHealthy(final String poolName, final String targetIp)
    {
        return publishedHealth.getOrDefault(new TargetHealth.Key(poolName, targetIp), Boolean.TRUE);
    }

    /** @return the verdicts of this moment, frozen: consistent for one snapshot build. */
    public TargetHealth snapshot()
    {
        return TargetHealth.of(publishedHealth);
    }

    /** @return the status of every checked target, in configuration order; a copy. */
    public Map<TargetHealth.Key, TargetStatus> statuses()
    {
        final Map<TargetHealth.Key, Target> current = publishedTargets;
        final Map<TargetHealth.Key, TargetStatus> result = new LinkedHashMap<>();
        for (final Map.Entry<TargetHealth.Key, Target> entry : current.entrySet())
        {
            result.put(entry.getKey(), entry.getValue().status);
        }
        return Collections.unmodifiableMap(result);
    }

    /**
     * @param poolName the pool's name.
     * @param targetIp the target's address.
     * @return the target's status, or null when the checker does not check it.
     */
    public TargetStatus status(final String poolName, final String targetIp)
    {
        final Target target = publishedTargets.get(new TargetHealth.Key(poolName, targetIp));
        return null == target ? null : target.status;
    }

    /** @return probes started since the checker was created. */
    public long probesStarted()
    {
        return probesStarted;
    }

    /**
     * @return the largest delay so far between the time a probe was due and the time it started: how far the one
     * thread falls behind its schedule (it does not count the wait for a previous probe of the same target).
     */
    public long maxStartLatenessNs()
    {
        return maxStartLatenessNs;
    }

    /** @return unexpected exceptions so far, from the checker thread or the listener. */
    public long errors()
    {
        return errors;
    }

    /** @return the checker thread, e.g. to measure its CPU time. */
    public Thread thread()
    {
        return thread;
    }

    /** Stops the thread, closes every probe socket and the selector; idempotent, waits up to 5 s. */
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
    // the checker thread

    private void run()
    {
        try
        {
            while (running)
            {
                try
                {
                    applyUpdates();
                    fireTimers(nanoClock.nanoTime());
                    select();
                }
                catch (final IOException | RuntimeException ex)
                {
                    onError(ex);
                }
            }
        }
        finally
        {
            for (final Target target : targets.values())
            {
                target.closeProbe();
            }
            try
            {
                selector.close();
            }
            catch (final IOException ex)
            {
                onError(ex);
            }
            failPendingUpdates();
        }
    }

    private void select() throws IOException
    {
        final Timer head = timers.peek();
        final int ready;
        if (null == head)
        {
            ready = selector.select();
        }
        else
        {
            final long waitNs = head.dueNs - nanoClock.nanoTime();
            if (waitNs <= 0)
            {
                ready = selector.selectNow();
            }
            else
            {
                // round up: waking a fraction of a millisecond early would only spin once more
                ready = selector.select(Math.max(1, TimeUnit.NANOSECONDS.toMillis(waitNs + 999_999)));
            }
        }
        if (ready > 0)
        {
            final Iterator<SelectionKey> keys = selector.selectedKeys().iterator();
            while (keys.hasNext())
            {
                final SelectionKey key = keys.next();
                keys.remove();
                onReady(key);
            }
        }
    }

    private void fireTimers(final long nowNs)
    {
        Timer timer;
        while (null != (timer = timers.peek()) && timer.dueNs <= nowNs)
        {
            timers.poll();
            final Target target = timer.target;
            if (target.removed || timer.generation != target.generation)
            {
                continue;
            }
            if (null == target.channel)
            {
                startProbe(target, nowNs);
            }
            else
            {
                completeProbe(target, ProbeResult.TIMEOUT);
            }
        }
    }

    private void schedule(final Target target, final long dueNs)
    {
        target.generation++;
        timers.add(new Timer(dueNs, timerSequence++, target, target.generation));
    }

    private void startProbe(final Target target, final long nowNs)
    {
        final long latenessNs = nowNs - target.dueNs;
        if (latenessNs > maxStartLatenessNs)
        {
            maxStartLatenessNs = latenessNs;
        }
        probesStarted++;
        target.probeStartNs = nowNs;
        target.probeStartEpochMs = epochClock.time();
        schedule(target, nowNs + target.spec.check().timeout().toNanos());
        try
        {
            final SocketChannel channel = SocketChannel.open();
            target.channel = channel;
            channel.configureBlocking(false);
            if (null == target.request)
            {
                // a TCP check closes first; a RST instead of a FIN leaves no TIME_WAIT behind on the node
                channel.setOption(StandardSocketOptions.SO_LINGER, 0);
            }
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true);
            if (null != localAddress)
            {
                channel.bind(new InetSocketAddress(localAddress, 0));
            }
            if (channel.connect(target.remote))
            {
                onConnected(target);
            }
            else
            {
                target.key = channel.register(selector, SelectionKey.OP_CONNECT, target);
            }
        }
        catch (final IOException ex)
        {
            completeProbe(target, failure(ex));
        }
    }

    private void onReady(final SelectionKey key)
    {
        final Target target = (Target)key.attachment();
        if (!key.isValid() || target.removed || target.channel != key.channel())
        {
            return;
        }
        try
        {
            if (key.isConnectable())
            {
                if (target.channel.finishConnect())
                {
                    onConnected(target);
                }
                return;
            }
            if (key.isWritable())
            {
                writeRequest(target);
            }
            if (key.isReadable())
            {
                readStatus(target);
            }
        }
        catch (final IOException ex)
        {
            completeProbe(target, failure(ex));
        }
    }

    private void onConnected(final Target target) throws IOException
    {
        if (null == target.request)
        {
            completeProbe(target, ProbeResult.OK);
            return;
        }
        target.out = ByteBuffer.wrap(target.request);
        target.received = 0;
        if (null == target.key)
        {
            target.key = target.channel.register(selector, 0, target);
        }
        writeRequest(target);
    }

    private void writeRequest(final Target target) throws IOException
    {
        target.channel.write(target.out);
        // a reply can only follow the whole request, so read interest waits until it is out
        target.key.interestOps(target.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void readStatus(final Target target) throws IOException
    {
        final ByteBuffer in = ByteBuffer.wrap(readScratch, target.received, MAX_STATUS_LINE_BYTES - target.received);
        if (target.received > 0)
        {
            System.arraycopy(target.partial, 0, readScratch, 0, target.received);
        }
        final int n = target.channel.read(in);
        final int length = target.received + Math.max(0, n);
        final int status = StatusLine.parse(readScratch, length);
        if (status >= 0)
        {
            completeProbe(target, ProbeResult.http(status, target.okStatuses.contains(status)));
        }
        else if (status == StatusLine.MALFORMED || length == MAX_STATUS_LINE_BYTES)
        {
            completeProbe(target, ProbeResult.error("malformed status line"));
        }
        else if (n < 0)
        {
            completeProbe(target, ProbeResult.error(
                length == 0 ? "closed before the status line" : "closed within the status line"));
        }
        else
        {
            // rare: the status line arrived in pieces; keep them, as the scratch buffer is shared
            if (null == target.partial)
            {
                target.partial = new byte[MAX_STATUS_LINE_BYTES];
            }
            System.arraycopy(readScratch, 0, target.partial, 0, length);
            target.received = length;
        }
    }

    private void completeProbe(final Target target, final ProbeResult result)
    {
        target.closeProbe();
        final boolean transition = target.state.onProbe(result.success());
        target.probeCount++;
        if (transition)
        {
            target.lastTransitionEpochMs = epochClock.time();
        }
        target.lastResult = result;
        target.lastProbeEpochMs = target.probeStartEpochMs;
        target.publishStatus();

        final ActiveHealthCheckConfig check = target.spec.check();
        final long nowNs = nanoClock.nanoTime();
        final long nextNs = nextProbeNs(target.dueNs, check.interval().toNanos(), check.intervalJitter().toNanos(),
            random);
        // a probe that outlived its successor's due time: start the next one now, not in a burst of late ones
        target.dueNs = Math.max(nextNs, nowNs);
        schedule(target, target.dueNs);

        if (transition)
        {
            publishHealth();
        }
        try
        {
            listener.onProbe(target.status);
            if (transition)
            {
                listener.onTransition(target.spec.key().poolName(), target.spec.key().targetIp(),
                    target.state.healthy(), reason(target, result));
            }
        }
        catch (final RuntimeException ex)
        {
            onError(ex);
        }
    }

    private static String reason(final Target target, final ProbeResult last)
    {
        return target.state.healthy() ?
            target.state.successes() + " successful probes in a row, last: " + last :
            target.state.failures() + " failed probes in a row, last: " + last;
    }

    private void applyUpdates()
    {
        PendingUpdate update;
        while (null != (update = updates.poll()))
        {
            try
            {
                apply(update.specs());
                update.done().complete(null);
            }
            catch (final RuntimeException ex)
            {
                update.done().completeExceptionally(ex);
                throw ex;
            }
        }
    }

    private void apply(final List<TargetSpec> specs)
    {
        final long nowNs = nanoClock.nanoTime();
        final long nowMs = epochClock.time();
        final Map<TargetHealth.Key, Target> next = new LinkedHashMap<>();
        final Map<TargetHealth.Key, Target> previous = new HashMap<>(targets);
        for (final TargetSpec spec : specs)
        {
            final Target old = previous.remove(spec.key());
            if (null != old && old.spec.equals(spec))
            {
                next.put(spec.key(), old);
                continue;
            }
            final Target target;
            if (null == old)
            {
                target = new Target(spec, true, nowMs);
            }
            else
            {
                // new probe settings: fresh counters, but the verdict stays until the new probes overturn it
                target = new Target(spec, old.state.healthy(), old.lastTransitionEpochMs);
                retire(old);
            }
            target.dueNs = firstProbeNs(nowNs, spec.check().interval().toNanos(), random);
            schedule(target, target.dueNs);
            next.put(spec.key(), target);
        }
        for (final Target gone : previous.values())
        {
            retire(gone);
        }
        targets = next;
        publishedTargets = Collections.unmodifiableMap(next);
        publishHealth();
    }

    private static void retire(final Target target)
    {
        target.removed = true;
        target.closeProbe();
    }

    private void publishHealth()
    {
        final Map<TargetHealth.Key, Boolean> health = new HashMap<>();
        for (final Map.Entry<TargetHealth.Key, Target> entry : targets.entrySet())
        {
            health.put(entry.getKey(), entry.getValue().state.healthy());
        }
        publishedHealth = Map.copyOf(health);
    }

    private void failPendingUpdates()
    {
        PendingUpdate update;
        while (null != (update = updates.poll()))
        {
            update.done().completeExceptionally(new IllegalStateException("health checker closed"));
        }
    }

    private void onError(final Throwable ex)
    {
        errors++;
        try
        {
            errorHandler.accept(ex);
        }
        catch (final RuntimeException ignore)
        {
            // the error handler's own failure must not stop the checks
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // helpers, package-private for tests

    /**
     * @param nowNs      when the target arrived.
     * @param intervalNs the check's interval, positive.
     * @param random     the random source.
     * @return when its first probe is due: uniformly within one interval, so that new targets are not probed at once.
     */
    static long firstProbeNs(final long nowNs, final long intervalNs, final RandomGenerator random)
    {
        return nowNs + random.nextLong(intervalNs);
    }

    /**
     * @param dueNs      when the previous probe was due.
     * @param intervalNs the check's interval.
     * @param jitterNs   the check's interval jitter, zero or positive.
     * @param random     the random source.
     * @return when the next probe is due: {@code interval + random(0..jitter)} after the previous due time.
     */
    static long nextProbeNs(final long dueNs, final long intervalNs, final long jitterNs, final RandomGenerator random)
    {
        return dueNs + intervalNs + (jitterNs > 0 ? random.nextLong(jitterNs + 1) : 0);
    }

    /**
     * @param ex why a connect, write or read failed.
     * @return the probe result for it.
     */
    static ProbeResult failure(final IOException ex)
    {
        final String message = null == ex.getMessage() ? "" : ex.getMessage();
        if (ex instanceof ConnectException && message.toLowerCase().contains("refused"))
        {
            return ProbeResult.REFUSED;
        }
        if (ex instanceof NoRouteToHostException)
        {
            return ProbeResult.error("no route to host");
        }
        return ProbeResult.error(message.isEmpty() ? ex.getClass().getSimpleName() : message.toLowerCase());
    }

    static byte[] request(final String host, final int port, final HttpHealthCheckConfig http)
    {
        // Host carries the port unless it is HTTP's default (RFC 9110 section 7.2)
        final String authority = port == 80 ? host : host + ":" + port;
        return ("GET " + http.path() + " HTTP/1.1\r\n" +
            "Host: " + authority + "\r\n" +
            "Connection: close\r\n" +
            "User-Agent: " + USER_AGENT + "\r\n" +
            "\r\n").getBytes(StandardCharsets.US_ASCII);
    }

    private static boolean isIpv4(final String ip)
    {
        return ip.matches("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
    }

    private static InetAddress ipv4(final String ip)
    {
        if (!isIpv4(ip))
        {
            throw new IllegalArgumentException("not a dotted quad: " + ip);
        }
        try
        {
            // a literal: no name lookup happens
            return InetAddress.getByName(ip);
        }
        catch (final UnknownHostException ex)
        {
            throw new IllegalArgumentException("not an address: " + ip, ex);
        }
    }

    // ---------------------------------------------------------------------------------------------------------------
    // state

    /** What identifies a target's probes: if any of it changes, the counters start afresh. */
    private record TargetSpec(TargetHealth.Key key, int port, ActiveHealthCheckConfig check)
    {
    }

    private record PendingUpdate(List<TargetSpec> specs, CompletableFuture<Void> done)
    {
    }

    /** A due time in the queue; stale when the target moved on to a newer generation or was removed. */
    private static final class Timer implements Comparable<Timer>
    {
        final long dueNs;
        final long sequence;
        final Target target;
        final int generation;

        Timer(final long dueNs, final long sequence, final Target target, final int generation)
        {
            this.dueNs = dueNs;
            this.sequence = sequence;
            this.target = target;
            this.generation = generation;
        }

        @Override
        public int compareTo(final Timer other)
        {
            final int byTime = Long.compare(dueNs, other.dueNs);
            return byTime != 0 ? byTime : Long.compare(sequence, other.sequence);
        }
    }

    /** One checked target; every field but {@link #status} is owned by the checker thread. */
    private static final class Target
    {
        final TargetSpec spec;
        final InetSocketAddress remote;
        final byte[] request;
        final List<Integer> okStatuses;
        final HealthState state;
        long lastTransitionEpochMs;
        long lastProbeEpochMs;
        long probeCount;
        ProbeResult lastResult;
        long dueNs;
        int generation;
        boolean removed;

        SocketChannel channel;
        SelectionKey key;
        ByteBuffer out;
        byte[] partial;
        int received;
        long probeStartNs;
        long probeStartEpochMs;

        volatile TargetStatus status;

        Target(final TargetSpec spec, final boolean healthy, final long lastTransitionEpochMs)
        {
            this.spec = spec;
            this.remote = new InetSocketAddress(ipv4(spec.key().targetIp()), spec.port());
            final HttpHealthCheckConfig http = spec.check().httpHealthChecks();
            this.request = null == http ? null : request(spec.key().targetIp(), spec.port(), http);
            this.okStatuses = null == http ? List.of() : http.okStatuses();
            this.state = new HealthState(spec.check().healthyThreshold(), spec.check().unhealthyThreshold(), healthy);
            this.lastTransitionEpochMs = lastTransitionEpochMs;
            publishStatus();
        }

        void publishStatus()
        {
            status = new TargetStatus(spec.key().poolName(), spec.key().targetIp(), spec.port(), state.healthy(),
                state.successes(), state.failures(), probeCount, lastResult, lastProbeEpochMs,
                lastTransitionEpochMs);
        }

        void closeProbe()
        {
            if (null != channel)
            {
                try
                {
                    // closing deregisters the key as well
                    channel.close();
                }
                catch (final IOException ignore)
                {
                    // nothing to do about a socket that will not close
                }
                channel = null;
                key = null;
                out = null;
                received = 0;
            }
        }
    }
}
