package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.control.metrics.CountersFile;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.status.WorkerCounters;
import org.agrona.concurrent.status.CountersManager;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tandem ctl stats} against a counters file made here, with two workers' counters in it, as the agent lays
 * them out. No agent and no admin socket.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class StatsCommandTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path path;
    private CountersFile file;
    private WorkerCounters worker0;
    private WorkerCounters worker1;

    @BeforeEach
    void createCounters()
    {
        path = dir.resolve("tandem-counters");
        file = CountersFile.create(path, 2 * WorkerCounter.values().length);
        // one manager for both: each manager allocates from the first free id it knows of
        final CountersManager manager = file.manager();
        worker0 = new WorkerCounters(manager, 0);
        worker1 = new WorkerCounters(manager, 1);
        worker0.add(WorkerCounter.RX_FRAMES, 10);
        worker1.add(WorkerCounter.RX_FRAMES, 32);
        worker1.add(WorkerCounter.DROP_ACL, 5);
        worker0.publish();
        worker1.publish();
    }

    @AfterEach
    void closeCounters()
    {
        file.close();
    }

    private CtlRun stats(final String... args)
    {
        final String[] all = new String[args.length + 5];
        all[0] = "stats";
        all[1] = "--counters";
        all[2] = path.toString();
        // never the socket: a path where nothing listens changes nothing
        all[3] = "--socket";
        all[4] = dir.resolve("no-agent.sock").toString();
        System.arraycopy(args, 0, all, 5, args.length);
        return CtlRun.of(all);
    }

    @Test
    void shouldSumEachCounterOverTheWorkersAndShowThoseThatAreNotZero()
    {
        final CtlRun run = stats();
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().startsWith("agent pid " + ProcessHandle.current().pid() + ", started " +
            Instant.ofEpochMilli(file.startTimeMs()) + ", up "), run.toString());
        assertTrue(run.out().contains(", 2 workers\n"), run.toString());
        assertTrue(run.out().matches("(?s).*\\nrx_frames +42\\n.*"), run.toString());
        assertTrue(run.out().matches("(?s).*\\ndrop_acl +5\\n.*"), run.toString());
        assertFalse(run.out().contains("tx_frames"), run.toString());
        assertEquals("", run.err());
    }

    @Test
    void shouldShowEveryCounterWithAllAndEachWorkerWithPerWorker()
    {
        final CtlRun all = stats("--all");
        assertEquals(0, all.exitCode(), all.toString());
        assertTrue(all.out().matches("(?s).*\\ntx_frames +0\\n.*"), all.toString());
        assertTrue(all.out().contains("\nworker_errors"), all.toString());

        final CtlRun perWorker = stats("--per-worker");
        assertEquals(0, perWorker.exitCode(), perWorker.toString());
        assertTrue(perWorker.out().matches("(?s).*\\nCOUNTER +TOTAL +worker-0 +worker-1\\n.*"), perWorker.toString());
        assertTrue(perWorker.out().matches("(?s).*\\nrx_frames +42 +10 +32\\n.*"), perWorker.toString());
        assertTrue(perWorker.out().matches("(?s).*\\ndrop_acl +5 +0 +5\\n.*"), perWorker.toString());
    }

    @Test
    void shouldPrintEveryCounterAsJson() throws Exception
    {
        final CtlRun run = stats("-o", "json");
        assertEquals(0, run.exitCode(), run.toString());
        final JsonNode totals = JSON.readTree(run.out());
        assertEquals(WorkerCounter.values().length, totals.size());
        assertEquals(42, totals.get("rx_frames").asLong());
        assertEquals(5, totals.get("drop_acl").asLong());
        assertEquals(0, totals.get("tx_frames").asLong());

        final CtlRun perWorker = stats("-o", "json", "--per-worker");
        assertEquals(0, perWorker.exitCode(), perWorker.toString());
        final JsonNode both = JSON.readTree(perWorker.out());
        assertEquals(42, both.get("total").get("rx_frames").asLong());
        assertEquals(10, both.get("workers").get("0").get("rx_frames").asLong());
        assertEquals(32, both.get("workers").get("1").get("rx_frames").asLong());
    }

    @Test
    void shouldSeeWhatTheWorkersPublishSinceTheLastRun() throws Exception
    {
        worker0.add(WorkerCounter.RX_FRAMES, 100);
        worker0.publish();
        assertEquals(142, JSON.readTree(stats("-o", "json").out()).get("rx_frames").asLong());
    }

    @Test
    void shouldPrintRatesWithWatchForCountSamples() throws Exception
    {
        final CtlRun json = stats("-o", "json", "--watch", "0.05", "--count", "2");
        assertEquals(0, json.exitCode(), json.toString());
        final String[] lines = json.out().split("\n");
        assertEquals(2, lines.length, json.toString());
        for (final String line : lines)
        {
            final JsonNode rates = JSON.readTree(line);
            assertEquals(WorkerCounter.values().length, rates.size());
            assertTrue(rates.get("rx_frames").asDouble() >= 0, line);
        }

        final CtlRun table = stats("--watch", "0.05", "--count", "1", "--all");
        assertEquals(0, table.exitCode(), table.toString());
        assertTrue(table.out().contains("rates per second every 0.05 s\n"), table.toString());
        assertTrue(table.out().matches("(?s).*\\nrx_frames +42 +0\\.0\\n.*"), table.toString());
    }

    @Test
    void shouldExitTwoForWatchOptionsThatDoNotFit()
    {
        assertEquals(2, stats("--count", "2").exitCode());
        assertEquals(2, stats("--watch", "0").exitCode());
        assertEquals(2, stats("--watch", "1", "--count", "0").exitCode());
        assertEquals(2, stats("--watch", "1", "--per-worker").exitCode());
    }

    @Test
    void shouldExitOneWhenThereIsNoCountersFile() throws Exception
    {
        final Path missing = dir.resolve("missing");
        final CtlRun run = CtlRun.of("stats", "--counters", missing.toString());
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("no counters file at " + missing + " (is the agent running?)"),
            run.toString());

        final Path other = Files.writeString(dir.resolve("other"), "x".repeat(4096));
        final CtlRun notCounters = CtlRun.of("stats", "--counters", other.toString());
        assertEquals(1, notCounters.exitCode(), notCounters.toString());
        assertTrue(notCounters.err().contains("is not a Tandem counters file"), notCounters.toString());
    }
}
