package io.tandem.bench;

import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

/**
 * The compact table {@code tandem-bench core} prints after JMH: one row per result (benchmark, parameters, score,
 * error, B/op from the GC profiler's {@code gc.alloc.rate.norm}), then the goals of the forwarding core and whether
 * each is met:
 * <ul>
 * <li>established segment ≤ {@value #ESTABLISHED_GOAL_NS} ns/packet, each {@code checksumVerified} variant;</li>
 * <li>new connection ≤ {@value #NEW_CONNECTION_GOAL_NS} ns;</li>
 * <li>0 B/op on the worker benchmarks: below {@value #ZERO_BYTES_PER_OP} B/op. The GC profiler counts every thread's
 * allocations, and JMH's own (some 30–40 KB per iteration) leave a residue of about 0.001–0.01 B/op spread over
 * millions of operations; an object allocated per packet is 16 B/op or more, one per 64-frame burst 0.25 B/op or
 * more. {@code WorkerBenchmarkPathTest} proves the exact 0 with the thread's allocation counter;</li>
 * <li>a Maglev build over 1000 targets ≤ {@value #MAGLEV_GOAL_MS} ms (the paper reports 1.8 ms).</li>
 * </ul>
 * Time goals are judged on the measured score, which includes the per-packet frame copy; the score net of the
 * copy baseline is shown beside it, and a goal met only net of the copy says so.
 */
final class CoreSummary
{
    static final double ESTABLISHED_GOAL_NS = 50;
    static final double NEW_CONNECTION_GOAL_NS = 150;
    static final double MAGLEV_GOAL_MS = 2;
    static final double ZERO_BYTES_PER_OP = 0.1;

    private static final String CORE_PACKAGE = "io.tandem.bench.core.";
    private static final String ESTABLISHED = "EstablishedSegmentBenchmark.segment";
    private static final String ESTABLISHED_COPY = "EstablishedSegmentBenchmark.copyBaseline";
    private static final String NEW_CONNECTION = "NewConnectionBenchmark.syn";
    private static final String NEW_CONNECTION_EXPIRY = "NewConnectionBenchmark.synAndExpiry";
    private static final String NEW_CONNECTION_COPY = "NewConnectionBenchmark.synCopyBaseline";
    private static final String MAGLEV = "MaglevBuildBenchmark.build";

    /** One result: a benchmark with one set of parameters. */
    record Row(String benchmark, String params, double score, double error, String unit, double bytesPerOp,
        TimeUnit timeUnit)
    {
        double nanos()
        {
            return score * timeUnit.toNanos(1);
        }

        double errorNanos()
        {
            return error * timeUnit.toNanos(1);
        }
    }

    private final List<Row> rows = new ArrayList<>();
    private boolean missing;

    /**
     * @param results what JMH returned.
     */
    CoreSummary(final Collection<RunResult> results)
    {
        final Map<String, Row> sorted = new TreeMap<>();
        for (final RunResult result : results)
        {
            final Row row = row(result);
            sorted.put(row.benchmark() + " " + row.params(), row);
        }
        rows.addAll(sorted.values());
    }

    /** @return the rows, sorted by benchmark and parameters. */
    List<Row> rows()
    {
        return rows;
    }

    /** @return true when the last {@link #print} found a goal without its result. */
    boolean hasMissingResults()
    {
        return missing;
    }

    private static Row row(final RunResult result)
    {
        final BenchmarkParams params = result.getParams();
        String benchmark = params.getBenchmark();
        if (benchmark.startsWith(CORE_PACKAGE))
        {
            benchmark = benchmark.substring(CORE_PACKAGE.length());
        }
        final StringBuilder text = new StringBuilder();
        for (final String key : params.getParamsKeys())
        {
            text.append(text.isEmpty() ? "" : ",").append(key).append('=').append(params.getParam(key));
        }
        final Result<?> primary = result.getPrimaryResult();
        return new Row(benchmark, text.toString(), primary.getScore(), primary.getScoreError(),
            unit(benchmark, primary.getScoreUnit()), bytesPerOp(result.getSecondaryResults()), params.getTimeUnit());
    }

    /** @return B/op from the GC profiler, whichever label form this JMH uses, or NaN without it. */
    @SuppressWarnings("rawtypes") // JMH declares the map with the raw type
    static double bytesPerOp(final Map<String, Result> secondary)
    {
        for (final Map.Entry<String, Result> entry : secondary.entrySet())
        {
            final String key = entry.getKey();
            if (key.equals("gc.alloc.rate.norm") || key.endsWith("\u00B7gc.alloc.rate.norm") ||
                key.endsWith(":gc.alloc.rate.norm"))
            {
                return entry.getValue().getScore();
            }
        }
        return Double.NaN;
    }

    private static String unit(final String benchmark, final String jmhUnit)
    {
        final String per;
        if (benchmark.equals(ESTABLISHED))
        {
            per = "packet";
        }
        else if (benchmark.equals(NEW_CONNECTION) || benchmark.equals(NEW_CONNECTION_EXPIRY))
        {
            per = "conn";
        }
        else if (benchmark.startsWith("FlowLookupBenchmark."))
        {
            per = "lookup";
        }
        else if (benchmark.equals(MAGLEV))
        {
            per = "build";
        }
        else
        {
            return jmhUnit;
        }
        return jmhUnit.endsWith("/op") ? jmhUnit.substring(0, jmhUnit.length() - 2) + per : jmhUnit;
    }

    /**
     * Prints the table and the goals.
     *
     * @param out        where to.
     * @param runOptions a one-line description of the run parameters.
     */
    void print(final PrintStream out, final String runOptions)
    {
        out.println();
        out.println("Tandem core benchmarks (" + runOptions + ", JDK " + Runtime.version() + ", " +
            Runtime.getRuntime().availableProcessors() + " CPUs)");
        final String format = "%-42s %-22s %10s %10s  %-10s %10s%n";
        out.printf(Locale.ROOT, format, "benchmark", "params", "score", "± error", "unit", "B/op");
        for (final Row row : rows)
        {
            out.printf(Locale.ROOT, format, row.benchmark(), row.params(), number(row.score()),
                number(row.error()), row.unit(), bytes(row.bytesPerOp()));
        }

        out.println();
        out.println("Goals");
        missing = false;
        final List<Row> established = find(ESTABLISHED);
        final Row establishedCopy = first(find(ESTABLISHED_COPY));
        if (established.isEmpty())
        {
            noResult(out, "established <= 50 ns/packet");
        }
        for (final Row row : established)
        {
            timeGoal(out, "established <= 50 ns/packet (" + row.params() + ")", row, establishedCopy,
                ESTABLISHED_GOAL_NS, "118-B copy");
        }
        final List<Row> newConnections = find(NEW_CONNECTION);
        if (newConnections.isEmpty())
        {
            noResult(out, "new connection <= 150 ns");
        }
        for (final Row row : newConnections)
        {
            timeGoal(out, "new connection <= 150 ns (" + row.params() + ")", row, first(find(NEW_CONNECTION_COPY)),
                NEW_CONNECTION_GOAL_NS, "58-B copy");
        }

        final List<Row> hotPath = new ArrayList<>(established);
        hotPath.addAll(find(NEW_CONNECTION));
        hotPath.addAll(find(NEW_CONNECTION_EXPIRY));
        if (hotPath.isEmpty())
        {
            noResult(out, "0 B/op on the forwarding path");
        }
        for (final Row row : hotPath)
        {
            final String goal = "0 B/op " + row.benchmark() + (row.params().isEmpty() ? "" : " (" + row.params() + ")");
            if (Double.isNaN(row.bytesPerOp()))
            {
                verdict(out, goal, "NO RESULT", "the GC profiler reported no gc.alloc.rate.norm");
                missing = true;
            }
            else
            {
                verdict(out, goal, row.bytesPerOp() < ZERO_BYTES_PER_OP ? "MET" : "NOT MET",
                    bytes(row.bytesPerOp()) + " B/op");
            }
        }

        Row maglev = null;
        for (final Row row : find(MAGLEV))
        {
            if (row.params().equals("targets=1000"))
            {
                maglev = row;
            }
        }
        if (null == maglev)
        {
            noResult(out, "Maglev build, 1000 targets <= 2 ms");
        }
        else
        {
            final double ms = maglev.nanos() / 1e6;
            verdict(out, "Maglev build, 1000 targets <= 2 ms", ms <= MAGLEV_GOAL_MS ? "MET" : "NOT MET",
                String.format(Locale.ROOT, "%.3f ms ± %.3f (paper: 1.8 ms)", ms, maglev.errorNanos() / 1e6));
        }
    }

    private void timeGoal(
        final PrintStream out, final String goal, final Row row, final Row copy, final double limitNs,
        final String copyName)
    {
        final double ns = row.nanos();
        String detail = String.format(Locale.ROOT, "%.1f ns ± %.1f incl. %s", ns, row.errorNanos(), copyName);
        String verdict = ns <= limitNs ? "MET" : "NOT MET";
        if (null != copy)
        {
            final double net = ns - copy.nanos();
            detail += String.format(Locale.ROOT, "; net of copy %.1f ns (copy %.1f ns)", net, copy.nanos());
            if (ns > limitNs && net <= limitNs)
            {
                verdict = "MET net of copy";
            }
        }
        verdict(out, goal, verdict, detail);
    }

    private void noResult(final PrintStream out, final String goal)
    {
        verdict(out, goal, "NO RESULT", "the benchmark did not run or failed");
        missing = true;
    }

    private static void verdict(final PrintStream out, final String goal, final String verdict, final String detail)
    {
        out.printf(Locale.ROOT, "  %-68s %-16s %s%n", goal, verdict, detail);
    }

    private List<Row> find(final String benchmark)
    {
        final List<Row> found = new ArrayList<>();
        for (final Row row : rows)
        {
            if (row.benchmark().equals(benchmark))
            {
                found.add(row);
            }
        }
        return found;
    }

    private static Row first(final List<Row> found)
    {
        return found.isEmpty() ? null : found.get(0);
    }

    private static String number(final double value)
    {
        if (Double.isNaN(value))
        {
            return "n/a";
        }
        return String.format(Locale.ROOT, value >= 1000 ? "%.0f" : "%.2f", value);
    }

    private static String bytes(final double value)
    {
        return Double.isNaN(value) ? "n/a" : String.format(Locale.ROOT, "%.3f", value);
    }
}
