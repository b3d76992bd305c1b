package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.admin.AdminServer;
import io.tandem.control.admin.InMemoryAdminBackend;
import io.tandem.control.agent.EventLog;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetPoolConfig;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@code tandem ctl} against a real admin server on a temporary Unix socket, with a backend that holds a real,
 * validated load balancer. Runs as any user: the admin group is the user's own primary group.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class CtlCommandTest
{
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private Path socket;
    private InMemoryAdminBackend backend;
    private AdminServer server;

    @BeforeEach
    void start() throws Exception
    {
        socket = dir.resolve("admin.sock");
        backend = new InMemoryAdminBackend();
        final GroupPrincipal group = (GroupPrincipal)Files.getAttribute(dir, "posix:group");
        server = AdminServer.start(new AdminServer.Context()
            .socketPath(socket)
            .groupName(group.getName())
            .backend(backend)
            .log(new EventLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false)));
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    private CtlRun ctl(final String... args)
    {
        final String[] all = new String[args.length + 2];
        all[0] = "--socket";
        all[1] = socket.toString();
        System.arraycopy(args, 0, all, 2, args.length);
        return CtlRun.of(all);
    }

    // ---- status and get ------------------------------------------------------------------------------------------

    @Test
    void shouldShowStatusAsTables()
    {
        final CtlRun run = ctl("status");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("role:              active\n"), run.toString());
        assertTrue(run.out().contains("config version:    v1\n"), run.toString());
        assertTrue(run.out().contains("snapshot version:  7\n"), run.toString());
        assertTrue(run.out().contains("plan:              p10, 6 of 10000 connections (0.1%)\n"), run.toString());
        assertTrue(run.out().matches("(?s).*\\nhttp +80 +3\\n.*"), run.toString());
        assertTrue(run.out().matches("(?s).*\\ntcp-5432 +5432 +3\\n.*"), run.toString());
        assertTrue(run.out().matches(
            "(?s).*\\nweb +web-1 +198\\.18\\.1\\.11 +healthy +2025-01-01T00:00:00\\.123Z +ok\\n.*"), run.toString());
        assertTrue(run.out().matches("(?s).*\\nweb +web-2 +198\\.18\\.1\\.12 +unhealthy +never +-\\n.*"),
            run.toString());
        assertEquals("", run.err());
    }

    @Test
    void shouldPrintStatusAsTheApisJsonWithTheOptionBeforeOrAfterTheSubcommand() throws Exception
    {
        for (final CtlRun run : List.of(ctl("-o", "json", "status"),
            CtlRun.of("status", "--socket", socket.toString(), "--output", "JSON")))
        {
            assertEquals(0, run.exitCode(), run.toString());
            final JsonNode status = JSON.readTree(run.out());
            assertEquals("active", status.get("role").asText());
            assertEquals("v1", status.get("version").asText());
            assertEquals(10_000, status.get("plan").get("maxConnections").asInt());
            assertEquals("web-1", status.get("targets").get(0).get("displayName").asText());
            assertTrue(status.get("targets").get(1).get("lastProbe").isNull());
        }
    }

    @Test
    void shouldGetTheLoadBalancerAsIndentedJson() throws Exception
    {
        final CtlRun run = ctl("get");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().startsWith("{\n  \""), run.out());
        final JsonNode lb = JSON.readTree(run.out());
        assertEquals("shop", lb.get("name").asText());
        assertEquals("v1", lb.get("version").asText());
        assertEquals("198.18.1.12", lb.get("targetPools").get(0).get("targets").get(1).get("ip").asText());
    }

    // ---- apply -----------------------------------------------------------------------------------------------------

    @Test
    void shouldApplyWhatGetPrintedBasedOnItsVersion() throws Exception
    {
        final ObjectNode lb = (ObjectNode)JSON.readTree(ctl("get").out());
        lb.put("planId", "p50");
        final Path file = Files.writeString(dir.resolve("lb.json"), lb.toPrettyString());

        final CtlRun run = ctl("apply", "-f", file.toString());
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("is now at version v2 (based on v1)"), run.toString());
        assertEquals("p50", backend.loadBalancer().plan().id());
        assertEquals("v2", backend.loadBalancer().version());
    }

    @Test
    void shouldApplyAFileWithoutVersionOverTheVersionInForce() throws Exception
    {
        backend.changeBehindTheBack();
        final Path file = Files.writeString(dir.resolve("lb.json"),
            InMemoryAdminBackend.LOAD_BALANCER.replace("\"p10\"", "\"p250\""));

        final CtlRun run = ctl("-o", "json", "apply", "-f", file.toString());
        assertEquals(0, run.exitCode(), run.toString());
        final JsonNode applied = JSON.readTree(run.out());
        assertEquals("v3", applied.get("version").asText());
        assertEquals("p250", applied.get("planId").asText());
        assertEquals("p250", backend.loadBalancer().plan().id());
    }

    @Test
    void shouldExitThreeWithTheCurrentVersionWhenTheFilesVersionIsStale() throws Exception
    {
        final ObjectNode lb = (ObjectNode)JSON.readTree(ctl("get").out());
        lb.put("planId", "p50");
        final Path file = Files.writeString(dir.resolve("lb.json"), lb.toPrettyString());
        backend.changeBehindTheBack();

        final CtlRun run = ctl("apply", "-f", file.toString());
        assertEquals(3, run.exitCode(), run.toString());
        assertTrue(run.err().contains("HTTP 409"), run.toString());
        assertTrue(run.err().contains("the current version is v2"), run.toString());
        assertEquals("", run.out());
        assertEquals("p10", backend.loadBalancer().plan().id());
        assertEquals("v2", backend.loadBalancer().version());
    }

    @Test
    void shouldExitThreeWhenIfVersionIsStale() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("lb.json"), InMemoryAdminBackend.LOAD_BALANCER);
        backend.changeBehindTheBack();

        final CtlRun stale = ctl("apply", "-f", file.toString(), "--if-version", "v1");
        assertEquals(3, stale.exitCode(), stale.toString());
        assertTrue(stale.err().contains("the current version is v2"), stale.toString());

        final CtlRun current = ctl("apply", "-f", file.toString(), "--if-version", "v2");
        assertEquals(0, current.exitCode(), current.toString());
        assertEquals("v3", backend.loadBalancer().version());
    }

    @Test
    void shouldExitTwoWithEveryViolationAndItsPathAndSendNothing() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("bad.json"), InMemoryAdminBackend.LOAD_BALANCER
            .replace("\"port\": 80,", "\"port\": 0,")
            .replace("198.18.1.12", "198.18.1.300"));

        final CtlRun run = ctl("apply", "-f", file.toString());
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("is not a valid load balancer (2 violations); nothing was sent"),
            run.toString());
        assertTrue(run.err().contains("\n  listeners[0].port: "), run.toString());
        assertTrue(run.err().contains("\n  targetPools[0].targets[1].ip: "), run.toString());
        assertEquals("v1", backend.loadBalancer().version());
    }

    @Test
    void shouldExitTwoForAFileThatIsMissingOrNotJson() throws Exception
    {
        final CtlRun missing = ctl("apply", "-f", dir.resolve("nope.json").toString());
        assertEquals(2, missing.exitCode(), missing.toString());
        assertTrue(missing.err().contains("cannot read " + dir.resolve("nope.json") + ": no such file"),
            missing.toString());

        final Path file = Files.writeString(dir.resolve("broken.json"), "{\"name\": ");
        final CtlRun broken = ctl("apply", "-f", file.toString());
        assertEquals(2, broken.exitCode(), broken.toString());

        final CtlRun contradicting = ctl("apply", "-f", Files.writeString(dir.resolve("v.json"),
            InMemoryAdminBackend.LOAD_BALANCER.replace("\"planId\"", "\"version\": \"v1\", \"planId\"")).toString(),
            "--if-version", "v7");
        assertEquals(2, contradicting.exitCode(), contradicting.toString());
        assertEquals("v1", backend.loadBalancer().version());
    }

    @Test
    void shouldExitOneWithTheAgentsReasonWhenTheAgentRefusesAValidFile() throws Exception
    {
        final Path file = Files.writeString(dir.resolve("lb.json"),
            InMemoryAdminBackend.LOAD_BALANCER.replace("198.18.0.100", "198.18.0.101"));
        final CtlRun run = ctl("apply", "-f", file.toString());
        assertEquals(1, run.exitCode(), run.toString());
        assertTrue(run.err().contains("the agent refused the load balancer in " + file + " (HTTP 400): " +
            "externalAddress cannot change after creation"), run.toString());
    }

    // ---- pool set-targets ------------------------------------------------------------------------------------------

    @Test
    void shouldReplaceThePoolsTargetsAndKeepItsOtherSettings()
    {
        final CtlRun run = ctl("pool", "set-targets", "web", "198.18.1.21=web-1", "198.18.1.22");
        assertEquals(0, run.exitCode(), run.toString());
        assertTrue(run.out().contains("target pool web now has 2 targets; the load balancer is at version v2 " +
            "(based on v1)"), run.toString());
        assertTrue(run.out().matches("(?s).*\\n198-18-1-22 +198\\.18\\.1\\.22\\n.*"), run.toString());

        final TargetPoolConfig web = backend.loadBalancer().targetPool("web");
        assertEquals(List.of(new TargetConfig("web-1", "198.18.1.21"), new TargetConfig("198-18-1-22", "198.18.1.22")),
            web.targets());
        assertEquals(8080, web.targetPort());
        assertEquals(Duration.ofSeconds(2), web.activeHealthCheck().interval());
    }

    @Test
    void shouldPrintThePoolAsJson() throws Exception
    {
        final CtlRun run = ctl("pool", "set-targets", "db", "198.18.2.22=db-b", "-o", "json");
        assertEquals(0, run.exitCode(), run.toString());
        final JsonNode pool = JSON.readTree(run.out());
        assertEquals("db", pool.get("name").asText());
        assertEquals("db-b", pool.get("targets").get(0).get("displayName").asText());
        assertEquals(1, pool.get("targets").size());
    }

    @Test
    void shouldExitTwoForTargetsThatBreakThePoolsRulesAndSendNothing()
    {
        final CtlRun run = ctl("pool", "set-targets", "web", "198.18.1.21=web-1", "198.18.1.999=web_2");
        assertEquals(2, run.exitCode(), run.toString());
        assertTrue(run.err().contains("targets[1].displayName"), run.toString());
        assertTrue(run.err().contains("targets[1].ip"), run.toString());
        assertEquals("v1", backend.loadBalancer().version());

        final CtlRun empty = ctl("pool", "set-targets", "web", "=web-1");
        assertEquals(2, empty.exitCode(), empty.toString());

        final CtlRun none = ctl("pool", "set-targets", "web");
        assertEquals(2, none.exitCode(), none.toString());
    }

    @Test
    void shouldExitOneWhenThePoolIsUnknownOrTheAgentRefusesTheTargets()
    {
        final CtlRun unknown = ctl("pool", "set-targets", "cache", "198.18.3.1");
        assertEquals(1, unknown.exitCode(), unknown.toString());
        assertTrue(unknown.err().contains("the agent refused reading target pool cache (HTTP 404)"),
            unknown.toString());

        // valid alone, but the VIP: only the agent, which knows the load balancer, can tell
        final CtlRun vip = ctl("pool", "set-targets", "web", "198.18.0.100");
        assertEquals(1, vip.exitCode(), vip.toString());
        assertTrue(vip.err().contains("HTTP 400"), vip.toString());
        assertTrue(vip.err().contains("targetPools[0].targets[0].ip: must differ from the load balancer's " +
            "externalAddress"), vip.toString());
        assertEquals("v1", backend.loadBalancer().version());
    }

    // ---- reaching the agent and usage ----------------------------------------------------------------------------

    @Test
    void shouldExitOneWithTheHintWhenTheSocketIsUnreachable()
    {
        final Path nowhere = dir.resolve("nowhere.sock");
        for (final String command : List.of("status", "get"))
        {
            final CtlRun run = CtlRun.of(command, "--socket", nowhere.toString());
            assertEquals(1, run.exitCode(), run.toString());
            assertTrue(run.err().startsWith("tandem ctl: cannot connect to " + nowhere + ": "), run.toString());
            assertTrue(run.err().contains("(is the agent running? are you root or in group tandem?)"),
                run.toString());
            assertEquals("", run.out());
        }
    }

    @SuppressWarnings("try") // an accepted connection held open, never read
    @Test
    void shouldExitOneWhenTheAgentDoesNotAnswerInTime() throws Exception
    {
        final Path silent = dir.resolve("silent.sock");
        try (ServerSocketChannel listener = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            listener.bind(UnixDomainSocketAddress.of(silent));
            final Thread acceptor = Thread.ofVirtual().start(() ->
            {
                try (SocketChannel ignored = listener.accept())
                {
                    Thread.sleep(5_000);
                }
                catch (final Exception ignore)
                {
                    // closed by the test
                }
            });
            final long startNs = System.nanoTime();
            final CtlRun run = CtlRun.of("status", "--socket", silent.toString(), "--timeout", "0.3");
            final long tookMs = (System.nanoTime() - startNs) / 1_000_000;
            assertEquals(1, run.exitCode(), run.toString());
            assertTrue(run.err().contains("took more than 300 ms to answer"), run.toString());
            assertTrue(tookMs < 3_000, "took " + tookMs + " ms");
            acceptor.interrupt();
        }
    }

    @Test
    void shouldExitTwoOnBadUsageAndListTheExitCodesInTheHelp()
    {
        assertEquals(2, CtlRun.of().exitCode());
        assertEquals(2, CtlRun.of("apply").exitCode());
        assertEquals(2, CtlRun.of("pool").exitCode());
        assertEquals(2, CtlRun.of("frobnicate").exitCode());
        assertEquals(2, CtlRun.of("status", "-o", "yaml").exitCode());

        final CtlRun help = CtlRun.of("--help");
        assertEquals(0, help.exitCode(), help.toString());
        assertTrue(help.out().contains("Exit codes:"), help.toString());
        assertTrue(help.out().contains("3   conflict"), help.toString());
        final CtlRun applyHelp = CtlRun.of("apply", "--help");
        assertTrue(applyHelp.out().contains("OVERWRITES"), applyHelp.toString());
    }
}
