package io.tandem.control.e2e;

import io.tandem.control.demo.DemoConfig;
import io.tandem.control.demo.DemoTraffic;
import io.tandem.control.demo.Topology;
import io.tandem.control.metrics.CountersFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The agent as an operator runs it, in network namespaces, with real Linux TCP clients and servers on both sides.
 */
@Tag("root")
class AgentEndToEndTest
{
    @TempDir
    Path dir;

    private Topology topology;
    private AgentProcess agent;

    @AfterEach
    void tearDown()
    {
        if (null != agent)
        {
            agent.close();
        }
        if (null != topology)
        {
            topology.close();
        }
    }

    private AgentProcess startAgent(final DemoConfig config) throws Exception
    {
        final Path file = dir.resolve("tandem.json");
        Files.writeString(file, config.countersFile(dir.resolve("counters").toString()).json());
        agent = AgentProcess.start(topology.nodeNs(), file);
        agent.awaitLine("agent.ready", 30, TimeUnit.SECONDS);
        return agent;
    }

    private CountersFile counters()
    {
        return CountersFile.open(dir.resolve("counters"));
    }

    @Test
    void shouldSpreadConnectionsEvenlyOverThreeTargetsWithRoundRobin() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology));

        final DemoTraffic.Result result = DemoTraffic.toVip(topology, 300, Duration.ofSeconds(60));
        System.out.println(result.table());
        assertEquals(300, result.succeeded(), result.toString());
        final Map<String, Integer> counts = result.counts();
        assertEquals(3, counts.size(), counts.toString());
        for (final int n : counts.values())
        {
            assertTrue(n >= 90 && n <= 110, "even spread: " + counts);
        }
        try (CountersFile file = counters())
        {
            assertEquals(300, file.total("connections_opened"));
        }

        assertEquals(0, agent.stop(), "clean exit on SIGTERM");
        assertTrue(agent.output().stream().anyMatch(l -> l.contains("agent.stopped")), agent.output().toString());
        final String addresses = topology.node().ip("-4", "-o", "addr", "show");
        assertTrue(!addresses.contains(topology.vip()) && !addresses.contains(topology.snatAddress()),
            "addresses removed: " + addresses);
        assertTrue(!topology.node().exec("nft", "list", "tables").contains("tandem"), "rule removed");
    }
}
