package io.tandem.control.admin;

import io.tandem.control.metrics.CountersFile;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.status.WorkerCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

class PrometheusRendererTest
{
    private static final Pattern HELP = Pattern.compile("# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+");
    private static final Pattern TYPE = Pattern.compile("# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge)");
    private static final Pattern SAMPLE = Pattern.compile(
        "([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{([a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\"" +
            "(,[a-zA-Z_][a-zA-Z0-9_]*=\"(?:[^\"\\\\\\n]|\\\\[\\\\\"n])*\")*)?})? (-?[0-9]+(\\.[0-9]+)?)");

    @Test
    void shouldRenderEveryWorkerCounterPerWorkerAndTheStatusGauges(@TempDir final Path dir)
    {
        try (CountersFile file = CountersFile.create(dir.resolve("counters"), 2 * WorkerCounter.values().length))
        {
            final var manager = file.manager();
            final WorkerCounters w0 = new WorkerCounters(manager, 0);
            final WorkerCounters w1 = new WorkerCounters(manager, 1);
            w0.add(WorkerCounter.RX_FRAMES, 5);
            w1.add(WorkerCounter.RX_FRAMES, 7);
            w1.add(WorkerCounter.DROP_ACL, 2);
            w0.publish();
            w1.publish();

            final AdminStatus status = new AdminStatus("passive", "v3", 9,
                new AdminStatus.PlanUsage("p50", 50_000, 12),
                List.of(new AdminStatus.ListenerStatus("web \"main\"", 80, 12,
                    new AdminStatus.Traffic(30, 2000, 25, 90_000))),
                List.of(new AdminStatus.TargetStatus("web", "web-1", "198.18.1.11", true, "ok", 1_735_689_600_123L,
                    new AdminStatus.Traffic(30, 2000, 25, 90_000)),
                    new AdminStatus.TargetStatus("web", "web-2", "198.18.1.12", false, null, 0)));
            final String text = PrometheusRenderer.render(file.reader(), status);
            assertParses(text);

            assertTrue(text.contains("tandem_rx_frames_total{worker=\"0\"} 5\n"), text);
            assertTrue(text.contains("tandem_rx_frames_total{worker=\"1\"} 7\n"), text);
            assertTrue(text.contains("tandem_drop_acl_total{worker=\"1\"} 2\n"), text);
            for (final WorkerCounter counter : WorkerCounter.values())
            {
                assertTrue(text.contains("# TYPE tandem_" + counter.label() + "_total counter\n"), counter.label());
            }
            assertTrue(text.contains("tandem_role{role=\"passive\"} 1\n"), text);
            assertTrue(text.contains("tandem_snapshot_version 9\n"), text);
            assertTrue(text.contains("tandem_plan_max_connections{plan=\"p50\"} 50000\n"), text);
            assertTrue(text.contains("tandem_active_connections 12\n"), text);
            assertTrue(text.contains("tandem_listener_active_connections{listener=\"web \\\"main\\\"\",port=\"80\"} 12"),
                text);
            assertTrue(text.contains("tandem_listener_packets_total{listener=\"web \\\"main\\\"\",port=\"80\"," +
                "direction=\"to_target\"} 30\n"), text);
            assertTrue(text.contains("tandem_listener_bytes_total{listener=\"web \\\"main\\\"\",port=\"80\"," +
                "direction=\"to_client\"} 90000\n"), text);
            assertTrue(text.contains("tandem_target_packets_total{pool=\"web\",target=\"198.18.1.11\",name=\"web-1\"," +
                "direction=\"to_client\"} 25\n"), text);
            assertTrue(text.contains("tandem_target_bytes_total{pool=\"web\",target=\"198.18.1.12\",name=\"web-2\"," +
                "direction=\"to_target\"} 0\n"), text);
            assertTrue(text.contains("tandem_target_healthy{pool=\"web\",target=\"198.18.1.11\",name=\"web-1\"} 1\n"));
            assertTrue(text.contains("tandem_target_healthy{pool=\"web\",target=\"198.18.1.12\",name=\"web-2\"} 0\n"));
            assertTrue(text.contains(
                "tandem_target_last_probe_timestamp_seconds{pool=\"web\",target=\"198.18.1.11\",name=\"web-1\"} " +
                    "1735689600.123\n"), text);
            assertTrue(!text.contains("198.18.1.12\",name=\"web-2\"} 1735"), text);
        }
    }

    @Test
    void shouldRenderWithoutCounters()
    {
        final AdminStatus status = new AdminStatus("standalone", null, 0, new AdminStatus.PlanUsage("p10", 10, 0),
            List.of(), List.of());
        final String text = PrometheusRenderer.render(null, status);
        assertParses(text);
        assertTrue(text.startsWith("# HELP tandem_role"), text);
    }

    /**
     * Every line is a HELP, a TYPE or a sample; a metric's HELP and TYPE come once, before its samples, and its
     * samples come together.
     */
    static void assertParses(final String text)
    {
        assertTrue(text.endsWith("\n"), "the text ends with a line break");
        final Set<String> typed = new HashSet<>();
        final Set<String> finished = new HashSet<>();
        String current = null;
        int samples = 0;
        for (final String line : text.split("\n"))
        {
            final Matcher help = HELP.matcher(line);
            final Matcher type = TYPE.matcher(line);
            final Matcher sample = SAMPLE.matcher(line);
            if (help.matches())
            {
                if (null != current)
                {
                    finished.add(current);
                }
                current = help.group(1);
                assertTrue(!finished.contains(current) && !typed.contains(current), "HELP twice: " + line);
            }
            else if (type.matches())
            {
                assertEquals(current, type.group(1), "TYPE after its HELP: " + line);
                assertTrue(typed.add(type.group(1)), "TYPE twice: " + line);
            }
            else if (sample.matches())
            {
                assertEquals(current, sample.group(1), "sample under its metric's TYPE: " + line);
                assertTrue(typed.contains(current), "sample before TYPE: " + line);
                samples++;
            }
            else
            {
                fail("not a line of the text format: " + line);
            }
        }
        assertTrue(samples > 0, "no samples");
    }

    @Test
    void shouldRenderTheElectionAndTheSyncChannelOfAPair()
    {
        final AdminStatus status = new AdminStatus("passive", "1-00000000", 3, new AdminStatus.PlanUsage("p10", 10, 0),
            List.of(), List.of(), new AdminStatus.PairStatus("198.18.0.10", "BACKUP", true, 5, 120,
            java.util.Map.of("BAD_TTL", 2L, "NOT_FROM_PEER", 0L), 1, 0, 3, 0, 2, 0));
        final String text = PrometheusRenderer.render(null, status);
        assertParses(text);
        assertTrue(text.contains("tandem_role{role=\"passive\"} 1\n"), text);
        assertTrue(text.contains("tandem_sync_connected 1\n"), text);
        assertTrue(text.contains("tandem_vrrp_advertisements_accepted_total 120\n"), text);
        assertTrue(text.contains("tandem_vrrp_dropped_total{reason=\"bad_ttl\"} 2\n"), text);
        assertTrue(text.contains("tandem_sync_auth_failures_total 3\n"), text);
        assertTrue(text.contains("tandem_sync_bulks_received_total 2\n"), text);
    }
}
