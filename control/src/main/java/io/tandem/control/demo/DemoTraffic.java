package io.tandem.control.demo;

import io.tandem.ffi.Netns;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.SystemNanoClock;

import java.io.PrintStream;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Sends HTTP requests from the topology's clients and counts which target answered: what {@code ./tandem demo}
 * prints to show how connections spread over the targets. Each request is a new TCP connection; requests go out one
 * after another, rotating over the clients and their addresses (so Maglev-by-source-IP sees several sources).
 * <p>
 * Bounded in count and in time: it stops after {@code requests} requests or when the time limit has passed, and
 * each request's own timeout is cut to the time left (but at least {@link #MIN_REQUEST_TIMEOUT}), so a run ends at
 * most that much after its limit. Failures are counted, not thrown.
 */
public final class DemoTraffic
{
    /** The longest a single request may take. */
    public static final Duration MAX_REQUEST_TIMEOUT = Duration.ofSeconds(2);
    /** The shortest timeout a request gets when the run's time is nearly up. */
    public static final Duration MIN_REQUEST_TIMEOUT = Duration.ofMillis(100);
    /** How many distinct error messages a {@link Result} keeps. */
    public static final int KEPT_ERRORS = 5;

    /** Sends one request and returns the responder's name. */
    @FunctionalInterface
    public interface Sender
    {
        /**
         * @param index     0-based number of the request in this run.
         * @param timeoutNs how long it may take.
         * @return the name of the target that answered (the response body, trimmed).
         * @throws Exception when it failed; counted as a failure.
         */
        String send(int index, long timeoutNs) throws Exception;
    }

    /**
     * What a run saw.
     *
     * @param counts    successful requests per target name, sorted by name.
     * @param sent      requests attempted.
     * @param failed    requests that failed (error, or status other than 200).
     * @param elapsedNs how long the run took.
     * @param timedOut  whether the time limit ended the run before all requests were sent.
     * @param errors    the first few distinct error messages.
     */
    public record Result(
        Map<String, Integer> counts,
        int sent,
        int failed,
        long elapsedNs,
        boolean timedOut,
        List<String> errors)
    {
        /** @return requests that got an answer. */
        public int succeeded()
        {
            return sent - failed;
        }

        /**
         * @return a small table: one line per target with its count, its share and a bar, then failures and totals.
         */
        public String table()
        {
            final StringBuilder out = new StringBuilder();
            final int width = Math.max(8, counts.keySet().stream().mapToInt(String::length).max().orElse(0));
            final String row = "%-" + width + "s %9s %7s  %s%n";
            out.append(String.format(Locale.ROOT, row, "target", "requests", "share", ""));
            for (final Map.Entry<String, Integer> entry : counts.entrySet())
            {
                final int count = entry.getValue();
                final double share = sent == 0 ? 0 : 100.0 * count / sent;
                out.append(String.format(Locale.ROOT, row, entry.getKey(), count,
                    String.format(Locale.ROOT, "%.1f%%", share), "#".repeat((int)Math.round(share / 2.5))));
            }
            out.append(String.format(Locale.ROOT, row, "failed", failed,
                String.format(Locale.ROOT, "%.1f%%", sent == 0 ? 0.0 : 100.0 * failed / sent), ""));
            out.append(String.format(Locale.ROOT, "%-" + width + "s %9d in %d ms%s%n", "total", sent,
                elapsedNs / 1_000_000, timedOut ? " (time limit reached)" : ""));
            for (final String error : errors)
            {
                out.append("  error: ").append(error).append(System.lineSeparator());
            }
            return out.toString();
        }
    }

    private DemoTraffic()
    {
    }

    /** Sends {@code requests} requests to the VIP's listener ({@link Topology#vipUrl()}). */
    public static Result toVip(final Topology topology, final int requests, final Duration timeLimit)
    {
        return run(topology, topology.vipUrl(), requests, timeLimit);
    }

    /**
     * Sends {@code requests} GETs of {@code url} from the topology's clients, rotating over every client address.
     *
     * @param url       a test address (198.18.0.0/15), e.g. the VIP's or a target's URL.
     * @param timeLimit the run's time limit.
     */
    public static Result run(final Topology topology, final String url, final int requests, final Duration timeLimit)
    {
        HttpProbe.requireTestAddress(URI.create(url).getHost());
        final List<Netns> namespaces = new ArrayList<>();
        final List<String> sources = new ArrayList<>();
        final int clientCount = topology.clientCount();
        final int perClient = topology.context().addressesPerClient();
        // Interleave: client 1 address 1, client 2 address 1, ..., client 1 address 2, ...
        for (int a = 0; a < perClient; a++)
        {
            for (int c = 1; c <= clientCount; c++)
            {
                namespaces.add(topology.client(c).ns());
                sources.add(topology.client(c).addresses().get(a));
            }
        }
        return run(httpSender(namespaces, sources, url), requests, timeLimit, SystemNanoClock.INSTANCE);
    }

    /**
     * A sender that GETs {@code url} with {@link HttpProbe}, one new connection per request, request {@code index}
     * from {@code namespaces[index % n]} and {@code sources[index % n]}; any status but 200 fails the request.
     *
     * @param namespaces where requests go out; a null element sends from the calling thread's own namespace.
     * @param sources    local addresses, as many as namespaces; a null element lets the kernel choose.
     */
    static Sender httpSender(final List<Netns> namespaces, final List<String> sources, final String url)
    {
        if (namespaces.isEmpty() || namespaces.size() != sources.size())
        {
            throw new IllegalArgumentException("one source per namespace, at least one: " + sources.size() + " for " +
                namespaces.size());
        }
        return (index, timeoutNs) ->
        {
            final int k = index % namespaces.size();
            final Duration timeout = Duration.ofNanos(timeoutNs);
            final Netns ns = namespaces.get(k);
            final HttpProbe.Response response = null == ns ?
                HttpProbe.exchange("GET", sources.get(k), url, -1, 0, timeout) :
                HttpProbe.get(ns, sources.get(k), url, timeout);
            if (response.status() != 200)
            {
                throw new IllegalStateException("HTTP " + response.status());
            }
            return response.bodyText();
        };
    }

    /**
     * The counting core: calls {@code sender} up to {@code requests} times while the time limit lasts.
     *
     * @param clock the clock that bounds the run (injected so tests need not sleep).
     */
    public static Result run(final Sender sender, final int requests, final Duration timeLimit, final NanoClock clock)
    {
        if (requests < 0)
        {
            throw new IllegalArgumentException("requests < 0: " + requests);
        }
        final long startNs = clock.nanoTime();
        final long deadlineNs = startNs + timeLimit.toNanos();
        final Map<String, Integer> counts = new TreeMap<>();
        final List<String> errors = new ArrayList<>();
        int sent = 0;
        int failed = 0;
        boolean timedOut = false;
        for (int i = 0; i < requests; i++)
        {
            final long leftNs = deadlineNs - clock.nanoTime();
            if (leftNs <= 0)
            {
                timedOut = true;
                break;
            }
            final long timeoutNs = Math.max(MIN_REQUEST_TIMEOUT.toNanos(),
                Math.min(MAX_REQUEST_TIMEOUT.toNanos(), leftNs));
            sent++;
            try
            {
                counts.merge(answerName(sender.send(i, timeoutNs)), 1, Integer::sum);
            }
            catch (final Exception ex)
            {
                failed++;
                keepError(errors, describe(ex));
            }
        }
        return new Result(Collections.unmodifiableMap(counts), sent, failed, clock.nanoTime() - startNs, timedOut,
            List.copyOf(errors));
    }

    /** As {@link #run(Topology, String, int, Duration)}, then prints {@link Result#table()} to {@code out}. */
    public static Result runAndPrint(
        final Topology topology,
        final String url,
        final int requests,
        final Duration timeLimit,
        final PrintStream out)
    {
        final Result result = run(topology, url, requests, timeLimit);
        out.print(result.table());
        out.flush();
        return result;
    }

    /** @return how results name an answer: the body stripped and cut to 40 characters, "(empty)" when blank. */
    static String answerName(final String body)
    {
        return body == null || body.isBlank() ? "(empty)" : abbreviate(body.strip());
    }

    /** @return "SimpleClassName: message", how results name an error. */
    static String describe(final Throwable ex)
    {
        return ex.getClass().getSimpleName() + ": " + ex.getMessage();
    }

    /** Adds {@code message} to {@code errors} unless it is there or {@link #KEPT_ERRORS} are kept already. */
    static void keepError(final List<String> errors, final String message)
    {
        if (errors.size() < KEPT_ERRORS && !errors.contains(message))
        {
            errors.add(message);
        }
    }

    private static String abbreviate(final String text)
    {
        return text.length() <= 40 ? text : text.substring(0, 37) + "...";
    }
}
