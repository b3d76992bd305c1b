package io.tandem.control.cli;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.admin.AdminJson;
import io.tandem.control.metrics.CountersFile;
import io.tandem.dataplane.status.WorkerCounters;
import org.agrona.concurrent.status.CountersReader;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code tandem ctl stats}: the workers' counters, read from the memory-mapped counters file ({@link CountersFile}),
 * never from the admin socket, so that it answers also when the agent is too busy to. Each counter is summed over the
 * workers; {@code --per-worker} adds a column per worker; {@code --watch} prints rates per second.
 */
@Command(name = "stats", mixinStandardHelpOptions = true,
    description = {"The workers' counters, from the counters file.",
        "Every worker counter summed over the workers, read from the counters file (--counters) only, never the " +
            "admin socket: works also when the agent is too busy to answer. Shows the counters that are not zero " +
            "(--all: every one), with the agent's PID and start time.",
        "-o json prints {\"name\": value} with every counter, so that the keys are always there; with " +
            "--per-worker {\"total\": {...}, \"workers\": {\"0\": {...}, ...}}.",
        "--watch S prints rates per second every S seconds (-o json: one object per line) until Ctrl-C, or " +
            "--count N samples."})
final class StatsCommand extends CtlCommand.Base
{
    private static final String LABEL_PREFIX = "worker-";

    @Option(names = "--per-worker", description = "a column per worker")
    boolean perWorker;

    @Option(names = "--all", description = "also the counters that are zero")
    boolean all;

    @Option(names = "--watch", paramLabel = "SECONDS", description = "print rates per second every SECONDS")
    Double watchSeconds;

    @Option(names = "--count", paramLabel = "N", description = "with --watch: stop after N samples")
    Integer count;

    @Override
    void run()
    {
        if (null != count && null == watchSeconds)
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--count needs --watch");
        }
        if (null == watchSeconds)
        {
            printTotals(sample());
            return;
        }
        if (!(watchSeconds >= 0.01 && watchSeconds <= 3600))
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--watch must be 0.01 to 3600 seconds, got " + watchSeconds);
        }
        if (null != count && count < 1)
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--count must be at least 1, got " + count);
        }
        if (perWorker)
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--per-worker does not combine with --watch");
        }
        watch();
    }

    /** One reading of the counters file. */
    record Sample(long pid, long startTimeMs, long takenNs, Map<String, Long> totals,
        Map<Integer, Map<String, Long>> workers)
    {
    }

    /**
     * Maps the file, reads every worker counter, unmaps it. Opening it anew each time follows an agent that
     * restarted (it creates the file anew) instead of reading the dead agent's last values forever.
     */
    Sample sample()
    {
        final Path path = ctl().counters;
        final CountersFile file;
        try
        {
            file = CountersFile.open(path);
        }
        catch (final IllegalStateException ex)
        {
            throw new CtlException(CtlCommand.EXIT_ERROR, "cannot read the counters: " + ex.getMessage());
        }
        catch (final RuntimeException ex)
        {
            throw new CtlException(CtlCommand.EXIT_ERROR, "cannot read the counters file " + path + ": " +
                ex.getMessage() + " (are you root or in group tandem?)");
        }
        try
        {
            final CountersReader reader = file.reader();
            final Map<String, Long> totals = new LinkedHashMap<>();
            final Map<Integer, Map<String, Long>> workers = new TreeMap<>();
            reader.forEach((counterId, typeId, keyBuffer, label) ->
            {
                final int colon = label.indexOf(": ");
                if (typeId != WorkerCounters.TYPE_ID || !label.startsWith(LABEL_PREFIX) || colon < 0)
                {
                    return;
                }
                final int worker;
                try
                {
                    worker = Integer.parseInt(label.substring(LABEL_PREFIX.length(), colon));
                }
                catch (final NumberFormatException ex)
                {
                    return;
                }
                final String name = label.substring(colon + 2);
                final long value = reader.getCounterValue(counterId);
                totals.merge(name, value, Long::sum);
                workers.computeIfAbsent(worker, w -> new LinkedHashMap<>()).merge(name, value, Long::sum);
            });
            return new Sample(file.pid(), file.startTimeMs(), System.nanoTime(), totals, workers);
        }
        finally
        {
            file.close();
        }
    }

    private void printTotals(final Sample sample)
    {
        final PrintWriter out = out();
        if (json())
        {
            final ObjectNode totals = JsonNodeFactory.instance.objectNode();
            sample.totals().forEach(totals::put);
            if (!perWorker)
            {
                out.print(AdminJson.write(totals));
                return;
            }
            final ObjectNode both = JsonNodeFactory.instance.objectNode();
            both.set("total", totals);
            final ObjectNode workers = both.putObject("workers");
            sample.workers().forEach((worker, values) ->
            {
                final ObjectNode one = workers.putObject(String.valueOf(worker));
                values.forEach(one::put);
            });
            out.print(AdminJson.write(both));
            return;
        }

        out.println(header(sample));
        final List<String> columns = new ArrayList<>(List.of("COUNTER", ">TOTAL"));
        if (perWorker)
        {
            sample.workers().keySet().forEach(worker -> columns.add(">" + LABEL_PREFIX + worker));
        }
        final TextTable table = new TextTable(columns.toArray(String[]::new));
        sample.totals().forEach((name, total) ->
        {
            if (all || 0 != total)
            {
                final List<Object> cells = new ArrayList<>(List.of(name, total));
                if (perWorker)
                {
                    sample.workers().values().forEach(values -> cells.add(values.getOrDefault(name, 0L)));
                }
                table.row(cells.toArray());
            }
        });
        if (table.isEmpty())
        {
            out.println("every counter is zero (--all shows them)");
            return;
        }
        table.print(out);
    }

    private void watch()
    {
        final PrintWriter out = out();
        final long intervalNs = Math.round(watchSeconds * 1e9);
        Sample previous = sample();
        if (!json())
        {
            out.println(header(previous));
            out.println("rates per second every " + watchSeconds + " s" + (null == count ? "; Ctrl-C stops" : ""));
            out.flush();
        }
        int printed = 0;
        while (null == count || printed < count)
        {
            try
            {
                final long sleepNs = previous.takenNs() + intervalNs - System.nanoTime();
                if (sleepNs > 0)
                {
                    Thread.sleep(Duration.ofNanos(sleepNs));
                }
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            final Sample next = sample();
            if (next.pid() != previous.pid() || next.startTimeMs() != previous.startTimeMs())
            {
                if (!json())
                {
                    out.println("the agent restarted: " + header(next) + "; rates start again");
                    out.flush();
                }
                previous = next;
                continue;
            }
            final double seconds = (next.takenNs() - previous.takenNs()) / 1e9;
            final Map<String, Double> rates = new LinkedHashMap<>();
            for (final Map.Entry<String, Long> entry : next.totals().entrySet())
            {
                final long before = previous.totals().getOrDefault(entry.getKey(), 0L);
                rates.put(entry.getKey(), seconds > 0 ? (entry.getValue() - before) / seconds : 0.0);
            }
            printRates(out, next, rates);
            out.flush();
            previous = next;
            printed++;
        }
    }

    private void printRates(final PrintWriter out, final Sample sample, final Map<String, Double> rates)
    {
        if (json())
        {
            final ObjectNode line = JsonNodeFactory.instance.objectNode();
            rates.forEach((name, rate) -> line.put(name, round(rate)));
            out.println(line.toString());
            return;
        }
        out.println();
        out.println(Instant.now().truncatedTo(ChronoUnit.MILLIS));
        final TextTable table = new TextTable("COUNTER", ">TOTAL", ">PER SECOND");
        rates.forEach((name, rate) ->
        {
            if (all || 0 != rate)
            {
                table.row(name, sample.totals().get(name), String.format(Locale.ROOT, "%.1f", rate));
            }
        });
        if (table.isEmpty())
        {
            out.println("no counter moved (--all shows them)");
            return;
        }
        table.print(out);
    }

    private static double round(final double rate)
    {
        return Math.round(rate * 10) / 10.0;
    }

    private static String header(final Sample sample)
    {
        final boolean alive = ProcessHandle.of(sample.pid()).map(ProcessHandle::isAlive).orElse(false);
        final Duration up = Duration.ofMillis(Math.max(0, System.currentTimeMillis() - sample.startTimeMs()));
        return "agent pid " + sample.pid() + (alive ? "" : " (not running: these are its last counts)") +
            ", started " + Instant.ofEpochMilli(sample.startTimeMs()) + (alive ? ", up " + format(up) : "") +
            ", " + sample.workers().size() + " worker" + (sample.workers().size() == 1 ? "" : "s");
    }

    private static String format(final Duration duration)
    {
        final long seconds = duration.toSeconds();
        if (seconds < 60)
        {
            return seconds + "s";
        }
        if (seconds < 3600)
        {
            return seconds / 60 + "m" + seconds % 60 + "s";
        }
        if (seconds < 86_400)
        {
            return seconds / 3600 + "h" + seconds % 3600 / 60 + "m";
        }
        return seconds / 86_400 + "d" + seconds % 86_400 / 3600 + "h";
    }
}
