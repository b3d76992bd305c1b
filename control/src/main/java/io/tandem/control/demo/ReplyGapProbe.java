package io.tandem.control.demo;

import io.tandem.ffi.Netns;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;

/**
 * Measures how long a service does not answer: a steady stream of small HTTP GETs (one every
 * {@link Context#interval()}, default 10 ms), each bounded by a short {@link Context#requestTimeout()} (default
 * 200 ms), for {@link Context#duration()}. It records when every request ended and how, and reports the longest gap
 * between consecutive successful replies: when the active node of a pair dies, that is the takeover time as a
 * client sees it (to within one interval).
 * <p>
 * One request at a time, on one thread: requests never pile up. Request k is due at start + k * interval; when the
 * request before it is still outstanding at that time, tick k is skipped (counted in {@link Result#skippedTicks()})
 * and the next request goes out at the first due time after the previous one ended. So a dead service costs one
 * request per request timeout, not a queue of them.
 * <p>
 * By default every request is a new TCP connection ({@link HttpProbe}, "Connection: close"): each is a new flow for
 * the load balancer. With {@link Context#keepAlive(boolean)} the requests share one persistent connection, to see
 * whether an established flow survives a takeover; after a failure that connection is closed and the next request
 * opens a new one, so {@link Result#failures()} == 0 means one connection carried the whole run.
 * <p>
 * The gap counts from the start of the run to the first reply and from the last reply to the end of the run too: a
 * run in which nothing answered has a gap as long as the run, and so does a service that never came back.
 * <p>
 * In the default mode requests run on the namespace's own thread ({@link HttpProbe#get}), so other users of that
 * thread (another probe from the same client) would delay them; in keep-alive mode only connects do.
 */
public final class ReplyGapProbe
{
    /** The shortest interval. */
    public static final Duration MIN_INTERVAL = Duration.ofMillis(2);
    /** The longest run. */
    public static final Duration MAX_DURATION = Duration.ofMinutes(10);
    /** The longest request timeout. */
    public static final Duration MAX_REQUEST_TIMEOUT = Duration.ofSeconds(10);

    /**
     * Settings of a probe, fluent; {@link #conclude()} checks them and is called by {@link #run}.
     */
    public static final class Context
    {
        private String url;
        private String source;
        private Duration interval = Duration.ofMillis(10);
        private Duration requestTimeout = Duration.ofMillis(200);
        private Duration duration = Duration.ofSeconds(10);
        private boolean keepAlive;

        /** @param url what to GET, at a literal test address, e.g. {@link Topology#vipUrl()}. Required. */
        public Context url(final String url)
        {
            this.url = url;
            return this;
        }

        public String url()
        {
            return url;
        }

        /** @param source the local address to send from (one of the namespace's), or null (default): any. */
        public Context source(final String source)
        {
            this.source = source;
            return this;
        }

        public String source()
        {
            return source;
        }

        /** @param interval time between two requests' due times, at least {@link #MIN_INTERVAL}, default 10 ms. */
        public Context interval(final Duration interval)
        {
            this.interval = interval;
            return this;
        }

        public Duration interval()
        {
            return interval;
        }

        /**
         * @param requestTimeout how long one request may take, connect included, at most
         *                       {@link #MAX_REQUEST_TIMEOUT}, default 200 ms.
         */
        public Context requestTimeout(final Duration requestTimeout)
        {
            this.requestTimeout = requestTimeout;
            return this;
        }

        public Duration requestTimeout()
        {
            return requestTimeout;
        }

        /**
         * @param duration how long requests go out, at most {@link #MAX_DURATION}, default 10 s; the run ends at most
         *                 one request timeout later.
         */
        public Context duration(final Duration duration)
        {
            this.duration = duration;
            return this;
        }

        public Duration duration()
        {
            return duration;
        }

        /** @param keepAlive one persistent connection for all requests instead of one per request (default). */
        public Context keepAlive(final boolean keepAlive)
        {
            this.keepAlive = keepAlive;
            return this;
        }

        public boolean keepAlive()
        {
            return keepAlive;
        }

        /**
         * Checks the settings.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting.
         */
        public Context conclude()
        {
            require(url != null, "url is required");
            final URI uri = URI.create(url);
            require("http".equals(uri.getScheme()) && uri.getHost() != null, "not an http URL with a host: " + url);
            HttpProbe.requireTestAddress(uri.getHost());
            if (source != null)
            {
                HttpProbe.requireTestAddress(source);
            }
            require(interval != null && interval.compareTo(MIN_INTERVAL) >= 0,
                "interval must be at least " + MIN_INTERVAL + ": " + interval);
            require(requestTimeout != null && requestTimeout.toMillis() >= 1 &&
                requestTimeout.compareTo(MAX_REQUEST_TIMEOUT) <= 0,
                "requestTimeout must be in [1 ms, " + MAX_REQUEST_TIMEOUT + "]: " + requestTimeout);
            require(duration != null && !duration.isNegative() && !duration.isZero() &&
                duration.compareTo(MAX_DURATION) <= 0, "duration must be in (0, " + MAX_DURATION + "]: " + duration);
            return this;
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
     * One request.
     *
     * @param startNs when it went out, from the start of the run.
     * @param endNs   when it ended (reply or failure), from the start of the run.
     * @param answer  the answer's name (the body, stripped), or null when it failed.
     * @param error   why it failed, or null when it got a reply.
     */
    public record Sample(long startNs, long endNs, String answer, String error)
    {
        /** @return whether it got a reply. */
        public boolean ok()
        {
            return null == error;
        }

        /** @return how long it took. */
        public long latencyNs()
        {
            return endNs - startNs;
        }
    }

    /**
     * What a probe saw.
     *
     * @param url               what it asked for.
     * @param keepAlive         whether requests shared a connection.
     * @param requests          requests sent.
     * @param replies           requests that got a 200 reply.
     * @param failures          requests that failed: refused, reset, timed out, other status.
     * @param skippedTicks      due times that passed while a request was outstanding.
     * @param longestGapNs      the longest time without a reply: between two consecutive replies, from the start to
     *                          the first, or from the last to the end.
     * @param longestGapStartNs when that gap began, from the start of the run.
     * @param answers           replies per answer (target name), sorted by name.
     * @param errors            the first few distinct errors.
     * @param samples           every request, in order.
     * @param elapsedNs         how long the run took.
     */
    public record Result(
        String url,
        boolean keepAlive,
        int requests,
        int replies,
        int failures,
        int skippedTicks,
        long longestGapNs,
        long longestGapStartNs,
        Map<String, Integer> answers,
        List<String> errors,
        List<Sample> samples,
        long elapsedNs)
    {
        /** @return the answer of the last reply, or null when there was none. */
        public String lastAnswer()
        {
            for (int i = samples.size() - 1; i >= 0; i--)
            {
                if (samples.get(i).ok())
                {
                    return samples.get(i).answer();
                }
            }
            return null;
        }

        /** @return how often the answer of a reply differed from the one before: 0 when one target answered all. */
        public int answerChanges()
        {
            int changes = 0;
            String last = null;
            for (final Sample sample : samples)
            {
                if (sample.ok())
                {
                    if (null != last && !last.equals(sample.answer()))
                    {
                        changes++;
                    }
                    last = sample.answer();
                }
            }
            return changes;
        }

        /**
         * @return one line, e.g. "probe http://198.18.0.100:80/ (new connections): 998 replies of 1000 requests, 2
         * failed, 19 ticks skipped, longest gap 412 ms from 3021 ms, answers {target-2=998}, 10004 ms", with the
         * first error when there are failures.
         */
        public String summary()
        {
            final String line = String.format(Locale.ROOT,
                "probe %s (%s): %d replies of %d requests, %d failed, %d ticks skipped, longest gap %d ms from %d ms," +
                " answers %s, %d ms",
                url, keepAlive ? "keep-alive" : "new connections", replies, requests, failures, skippedTicks,
                longestGapNs / 1_000_000, longestGapStartNs / 1_000_000, answers, elapsedNs / 1_000_000);
            return errors.isEmpty() ? line : line + " (first error: " + errors.getFirst() + ")";
        }
    }

    private ReplyGapProbe()
    {
    }

    /**
     * Probes and waits for the result: about {@link Context#duration()}, at most one request timeout more.
     *
     * @param ns  the namespace to send from (a client's), or null for the calling thread's own.
     * @param ctx the settings, concluded here.
     * @return what it saw; failed requests are in there, never thrown.
     */
    public static Result run(final Netns ns, final Context ctx)
    {
        ctx.conclude();
        if (!ctx.keepAlive())
        {
            final DemoTraffic.Sender sender = DemoTraffic.httpSender(Collections.singletonList(ns),
                Collections.singletonList(ctx.source()), ctx.url());
            return run(ctx, sender, SystemNanoClock.INSTANCE, LockSupport::parkNanos);
        }
        try (KeepAliveSender sender = new KeepAliveSender(ns, ctx))
        {
            return run(ctx, sender, SystemNanoClock.INSTANCE, LockSupport::parkNanos);
        }
    }

    /**
     * Starts {@link #run} on a new daemon thread, for callers that act while it probes (kill a node). It cannot be
     * cancelled; it is bounded as {@link #run} is.
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
        }, "reply-gap-probe");
        thread.setDaemon(true);
        thread.start();
        return result;
    }

    /**
     * The measuring core: ticks, skips and gaps, with the request, the clock and the sleep injected.
     *
     * @param sender sends request {@code index} within {@code timeoutNs}; returns the body or throws.
     * @param sleep  sleeps about the given nanoseconds (it may return early).
     */
    static Result run(final Context ctx, final DemoTraffic.Sender sender, final NanoClock clock,
        final LongConsumer sleep)
    {
        ctx.conclude();
        final long intervalNs = ctx.interval().toNanos();
        final long timeoutNs = ctx.requestTimeout().toNanos();
        final long durationNs = ctx.duration().toNanos();
        final long ticks = (durationNs + intervalNs - 1) / intervalNs;
        final List<Sample> samples = new ArrayList<>();
        final Map<String, Integer> answers = new TreeMap<>();
        final List<String> errors = new ArrayList<>();
        int replies = 0;
        int failures = 0;
        long skipped = 0;
        long lastReplyNs = 0;
        long longestGapNs = 0;
        long longestGapStartNs = 0;

        final long startNs = clock.nanoTime();
        long tick = 0;
        while (tick < ticks && !Thread.currentThread().isInterrupted())
        {
            final long dueNs = tick * intervalNs;
            long nowNs = clock.nanoTime() - startNs;
            while (nowNs < dueNs && !Thread.currentThread().isInterrupted())
            {
                sleep.accept(dueNs - nowNs);
                nowNs = clock.nanoTime() - startNs;
            }
            String answer = null;
            String error = null;
            try
            {
                answer = DemoTraffic.answerName(sender.send(samples.size(), timeoutNs));
            }
            catch (final Exception ex)
            {
                error = DemoTraffic.describe(ex);
            }
            final long endNs = clock.nanoTime() - startNs;
            samples.add(new Sample(nowNs, endNs, answer, error));
            if (null == error)
            {
                replies++;
                answers.merge(answer, 1, Integer::sum);
                if (endNs - lastReplyNs > longestGapNs)
                {
                    longestGapNs = endNs - lastReplyNs;
                    longestGapStartNs = lastReplyNs;
                }
                lastReplyNs = endNs;
            }
            else
            {
                failures++;
                DemoTraffic.keepError(errors, error);
            }
            // the first tick due at or after the end of this request; those in between were skipped
            final long next = Math.max(tick + 1, (endNs + intervalNs - 1) / intervalNs);
            skipped += Math.min(next, ticks) - tick - 1;
            tick = next;
        }
        final long elapsedNs = clock.nanoTime() - startNs;
        if (elapsedNs - lastReplyNs > longestGapNs)
        {
            longestGapNs = elapsedNs - lastReplyNs;
            longestGapStartNs = lastReplyNs;
        }
        return new Result(ctx.url(), ctx.keepAlive(), samples.size(), replies, failures, (int)skipped, longestGapNs,
            longestGapStartNs, Collections.unmodifiableMap(answers), List.copyOf(errors), List.copyOf(samples),
            elapsedNs);
    }

    /**
     * Sends every request over one persistent connection, opened in the namespace when needed and closed after any
     * failure. Used by one thread.
     */
    private static final class KeepAliveSender implements DemoTraffic.Sender, AutoCloseable
    {
        private final Netns ns;
        private final String url;
        private final InetSocketAddress remote;
        private final InetSocketAddress local;
        private Socket socket;
        private InputStream in;

        KeepAliveSender(final Netns ns, final Context ctx)
        {
            this.ns = ns;
            this.url = ctx.url();
            final URI uri = URI.create(url);
            this.remote = new InetSocketAddress(HttpProbe.requireTestAddress(uri.getHost()),
                uri.getPort() == -1 ? 80 : uri.getPort());
            this.local = null == ctx.source() ? null : new InetSocketAddress(InetAddress.ofLiteral(ctx.source()), 0);
        }

        @Override
        public String send(final int index, final long timeoutNs) throws Exception
        {
            try
            {
                long leftNs = timeoutNs;
                if (null == socket)
                {
                    final long deadlineNs = System.nanoTime() + timeoutNs;
                    socket = connect(timeoutNs);
                    in = new BufferedInputStream(socket.getInputStream());
                    leftNs = Math.max(1_000_000, deadlineNs - System.nanoTime());
                }
                final HttpProbe.Response response = HttpProbe.getOn(socket, in, url, Duration.ofNanos(leftNs));
                if ("close".equalsIgnoreCase(response.header("connection")))
                {
                    close();
                }
                if (response.status() != 200)
                {
                    throw new IllegalStateException("HTTP " + response.status());
                }
                return response.bodyText();
            }
            catch (final Exception ex)
            {
                close();
                throw ex;
            }
        }

        private Socket connect(final long timeoutNs) throws Exception
        {
            final Callable<Socket> task = () ->
            {
                final Socket s = new Socket();
                try
                {
                    if (null != local)
                    {
                        s.bind(local);
                    }
                    s.setTcpNoDelay(true);
                    s.connect(remote, (int)Math.max(1, timeoutNs / 1_000_000));
                    return s;
                }
                catch (final IOException ex)
                {
                    s.close();
                    throw ex;
                }
            };
            return null == ns ? task.call() : ns.call(task);
        }

        @Override
        public void close()
        {
            if (null != socket)
            {
                try
                {
                    socket.close();
                }
                catch (final IOException ignore)
                {
                    // the connection is given up either way
                }
                socket = null;
                in = null;
            }
        }
    }
}
