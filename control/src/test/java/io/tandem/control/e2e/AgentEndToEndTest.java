package io.tandem.control.e2e;

import io.tandem.control.demo.DemoConfig;
import io.tandem.control.demo.DemoTraffic;
import io.tandem.control.demo.Topology;
import io.tandem.control.metrics.CountersFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.tandem.control.demo.HttpProbe;
import jdk.net.ExtendedSocketOptions;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
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

    /** Rewrites the agent's configuration file and sends SIGHUP; waits for the outcome line. */
    private String reload(final DemoConfig config) throws Exception
    {
        Files.writeString(dir.resolve("tandem.json"), config.countersFile(dir.resolve("counters").toString()).json());
        final int before = agent.output().size();
        Runtime.getRuntime().exec(new String[]{"kill", "-HUP", String.valueOf(agent.pid())}).waitFor();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline)
        {
            for (final String line : agent.output().subList(before, agent.output().size()))
            {
                if (line.contains("config.applied") || line.contains("config.rejected"))
                {
                    return line;
                }
            }
            Thread.sleep(20);
        }
        throw new AssertionError("no reaction to SIGHUP: " + agent.output());
    }

    private AgentProcess startAgent(final DemoConfig config) throws Exception
    {
        return startAgent(config, false);
    }

    private AgentProcess startAgent(final DemoConfig config, final boolean hangupsIgnored) throws Exception
    {
        final Path file = dir.resolve("tandem.json");
        Files.writeString(file, config.countersFile(dir.resolve("counters").toString()).json());
        agent = hangupsIgnored ?
            AgentProcess.startWithHangupsIgnored(topology.nodeNs(), file) : AgentProcess.start(topology.nodeNs(), file);
        agent.awaitLine("agent.ready", 30, TimeUnit.SECONDS);
        return agent;
    }

    private CountersFile counters()
    {
        return CountersFile.open(dir.resolve("counters"));
    }

    /** Waits, bounded, until a counter (summed over workers) reaches {@code expected}; @return its value. */
    private long awaitCounter(final String name, final long expected) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        long value;
        do
        {
            try (CountersFile file = counters())
            {
                value = file.total(name);
            }
            if (value >= expected)
            {
                return value;
            }
            Thread.sleep(20);
        }
        while (System.nanoTime() < deadline);
        return value;
    }

    @Test
    void shouldSpreadConnectionsEvenlyOverThreeTargetsWithRoundRobin() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology));

        final DemoTraffic.Result result = DemoTraffic.toVip(topology, 300, Duration.ofSeconds(50));
        System.out.println(result.table());
        assertEquals(300, result.succeeded(), result.toString());
        final Map<String, Integer> counts = result.counts();
        assertEquals(3, counts.size(), counts.toString());
        for (final int n : counts.values())
        {
            assertTrue(n >= 90 && n <= 110, "even spread: " + counts);
        }
        assertEquals(300, awaitCounter("connections_opened", 300));

        assertEquals(0, agent.stop(), "clean exit on SIGTERM");
        assertTrue(agent.output().stream().anyMatch(l -> l.contains("agent.stopped")), agent.output().toString());
        final String addresses = topology.node().ip("-4", "-o", "addr", "show");
        assertTrue(!addresses.contains(topology.vip()) && !addresses.contains(topology.snatAddress()),
            "addresses removed: " + addresses);
        assertTrue(!topology.node().exec("nft", "list", "tables").contains("tandem"), "rule removed");
    }

    @Test
    void shouldKeepEveryConnectionOfAClientOnOneTargetAndSpreadClientsWithMaglev() throws Exception
    {
        topology = Topology.build(new Topology.Context().clients(2).addressesPerClient(4));
        startAgent(new DemoConfig(topology).sourceIpPersistence(true));

        final Set<String> targetsUsed = new HashSet<>();
        for (int client = 1; client <= topology.clientCount(); client++)
        {
            for (final String source : topology.client(client).addresses())
            {
                final Set<String> answers = new HashSet<>();
                for (int i = 0; i < 8; i++)
                {
                    answers.add(topology.httpGet(client, source, topology.vipUrl()));
                }
                assertEquals(1, answers.size(), source + " went to " + answers);
                targetsUsed.addAll(answers);
            }
        }
        assertTrue(targetsUsed.size() >= 2, "8 client addresses spread over the targets: " + targetsUsed);
    }

    @Test
    void shouldCarryTensOfMegabytesIntactInBothDirections() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology));
        final int n = 40_000_000;

        final HttpProbe.Response download = topology.download(1, topology.vipUrl() + "bytes?n=" + n + "&seed=11",
            Duration.ofSeconds(50));
        assertEquals(n, download.bodyLength());
        assertEquals(download.header("X-Sha256"), download.bodySha256());

        final HttpProbe.Response upload = topology.upload(1, topology.vipUrl(), n, Duration.ofSeconds(50));
        assertEquals(upload.requestBodySha256() + "\n", upload.bodyText());
        try (CountersFile file = counters())
        {
            assertEquals(0, file.total("drop_tx_full"));
        }
    }

    /** An echo connection through the VIP, read timeout 20 s. */
    private Socket echoConnection() throws IOException
    {
        final Socket socket = topology.connect(1, topology.vip(), Topology.VIP_PORT, Duration.ofSeconds(5));
        socket.setSoTimeout(20_000);
        return socket;
    }

    private static void roundTrip(final Socket socket, final byte value) throws IOException
    {
        socket.getOutputStream().write(value);
        assertEquals(value, socket.getInputStream().read());
    }

    /** @return how long until the connection's read returned -1 (an orderly close, not a reset). */
    private static long millisUntilEof(final Socket socket, final long startNs) throws IOException
    {
        assertEquals(-1, socket.getInputStream().read(), "orderly end of stream");
        return (System.nanoTime() - startNs) / 1_000_000;
    }

    private String echoEnds()
    {
        final StringBuilder all = new StringBuilder();
        for (int i = 1; i <= topology.targetCount(); i++)
        {
            all.append(topology.echoServerOutput(i));
        }
        return all.toString();
    }

    /** Waits until the targets saw {@code count} connections from the balancer end the given way. */
    private void awaitEchoEnds(final String kind, final int count) throws InterruptedException
    {
        // only connections through the balancer: they come from the SNAT address (the topology's own readiness
        // probes come from the targets themselves)
        final String marker = "echo-end " + kind + " " + topology.snatAddress() + ":";
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && echoEnds().split(marker, -1).length - 1 < count)
        {
            Thread.sleep(50);
        }
        assertEquals(count, echoEnds().split(marker, -1).length - 1, echoEnds());
    }

    @Test
    void shouldCloseIdleConnectionsWithAnOrderlyEofOnBothEndsUnlessDataFlows() throws Exception
    {
        topology = Topology.build(new Topology.Context().echoServers(true));
        startAgent(new DemoConfig(topology).idleTimeout("3s").targetPort(Topology.ECHO_PORT));

        // quiet: both ends see an orderly end of stream after about the idle timeout
        try (Socket quiet = echoConnection())
        {
            roundTrip(quiet, (byte)1);
            final long waited = millisUntilEof(quiet, System.nanoTime());
            assertTrue(waited >= 2500 && waited < 6000, "closed after " + waited + " ms");
        }
        awaitEchoEnds("eof", 1);

        // data every second keeps it open well past the timeout; when it stops, the timeout runs again
        try (Socket busy = echoConnection())
        {
            for (int i = 0; i < 7; i++)
            {
                roundTrip(busy, (byte)i);
                Thread.sleep(1000);
            }
            final long waited = millisUntilEof(busy, System.nanoTime());
            assertTrue(waited >= 1500 && waited < 6000, "closed " + waited + " ms after the last data");
        }
        awaitEchoEnds("eof", 2);

        // TCP keepalives every second carry no data: they do not keep it open
        try (Socket keepalive = echoConnection())
        {
            keepalive.setKeepAlive(true);
            keepalive.setOption(ExtendedSocketOptions.TCP_KEEPIDLE, 1);
            keepalive.setOption(ExtendedSocketOptions.TCP_KEEPINTERVAL, 1);
            keepalive.setOption(ExtendedSocketOptions.TCP_KEEPCOUNT, 10);
            roundTrip(keepalive, (byte)9);
            final long waited = millisUntilEof(keepalive, System.nanoTime());
            assertTrue(waited >= 2500 && waited < 6000, "closed after " + waited + " ms despite keepalives");
        }
        awaitEchoEnds("eof", 3);
        // health probes come from the node's own address and end with an RST by design; the balancer's from SNAT
        assertTrue(!echoEnds().contains("echo-end reset " + topology.snatAddress() + ":"), echoEnds());
        assertEquals(3, awaitCounter("connections_idle_timeout", 3));
        assertEquals(6, awaitCounter("tx_fin_idle_timeout", 6));
    }

    @Test
    void shouldResetAConnectionTheBalancerDoesNotKnowAfterARestart() throws Exception
    {
        topology = Topology.build(new Topology.Context().echoServers(true));
        final DemoConfig config = new DemoConfig(topology).targetPort(Topology.ECHO_PORT);
        startAgent(config);
        try (Socket socket = echoConnection())
        {
            roundTrip(socket, (byte)1);
            agent.kill();
            startAgent(config);

            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            out.write(2);
            final SocketException reset = assertThrows(SocketException.class, () ->
            {
                in.read();
                out.write(3);
                in.read();
            });
            assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
        }
        assertTrue(awaitCounter("tx_rst_untracked", 1) >= 1);
    }

    @Test
    void shouldLetNothingThroughFromOutsideTheAllowedSourceRanges() throws Exception
    {
        topology = Topology.build(new Topology.Context().addressesPerClient(2));
        final String allowed = topology.client(1).addresses().get(1);
        final String denied = topology.client(1).addresses().get(0);
        startAgent(new DemoConfig(topology).allow(allowed + "/32"));

        assertTrue(topology.httpGet(1, allowed, topology.vipUrl()).startsWith("target-"));
        assertThrows(RuntimeException.class, () -> topology.httpGet(1, denied, topology.vipUrl()));
        assertTrue(awaitCounter("drop_acl", 1) >= 1, "the SYN was dropped by the ACL");
        assertEquals(0, awaitCounter("tx_rst_refused", 0), "silently");
    }

    @Test
    void shouldRefuseConnectionsBeyondTheCapWithAResetAndKeepTheAdmittedOnes() throws Exception
    {
        topology = Topology.build(new Topology.Context().echoServers(true));
        startAgent(new DemoConfig(topology).targetPort(Topology.ECHO_PORT).maxConnections(3));

        final Socket[] admitted = new Socket[3];
        try
        {
            for (int i = 0; i < admitted.length; i++)
            {
                admitted[i] = echoConnection();
                roundTrip(admitted[i], (byte)i);
            }
            final IOException refused = assertThrows(IOException.class, this::echoConnection);
            assertTrue(refused.getMessage().contains("refused"), "an RST answers the SYN: " + refused.getMessage());
            for (int i = 0; i < admitted.length; i++)
            {
                roundTrip(admitted[i], (byte)(10 + i));
            }
        }
        finally
        {
            for (final Socket socket : admitted)
            {
                if (null != socket)
                {
                    socket.close();
                }
            }
        }
        assertEquals(1, awaitCounter("refused_plan_cap", 1));
        assertEquals(1, awaitCounter("tx_rst_refused", 1));
    }

    @Test
    void shouldCountAndDropBadFramesOnTheWireAndForwardGoodTrafficAfter() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology));
        final String ready = agent.awaitLine("node.up", 1, TimeUnit.SECONDS);
        final String nodeMac = ready.replaceAll(".* mac=(\\S+).*", "$1");
        final Topology.Host sender = topology.target(1);
        final String targetMac = sender.ip("-o", "link", "show", sender.interfaceName())
            .replaceAll("(?s).*link/ether (\\S+).*", "$1");
        final Path script = dir.resolve("bad_frames.py");
        try (InputStream in = AgentEndToEndTest.class.getResourceAsStream("/e2e/bad_frames.py"))
        {
            Files.write(script, in.readAllBytes());
        }

        final String out = sender.exec("python3", script.toString(), sender.interfaceName(), targetMac, nodeMac,
            sender.address(), topology.vip(), String.valueOf(Topology.VIP_PORT), "5");
        assertTrue(out.contains("sent 30"), out);

        final Map<String, Long> drops = new HashMap<>();
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        final String[] reasons = {"drop_truncated", "drop_bad_ip_header", "drop_ip_options", "drop_fragment",
            "drop_bad_ip_checksum", "drop_bad_tcp_checksum"};
        while (System.nanoTime() < deadline)
        {
            try (CountersFile file = counters())
            {
                for (final String reason : reasons)
                {
                    drops.put(reason, file.total(reason));
                }
            }
            if (drops.values().stream().allMatch(n -> n >= 5))
            {
                break;
            }
            Thread.sleep(50);
        }
        for (final String reason : reasons)
        {
            assertEquals(5L, drops.get(reason), reason + " in " + drops);
        }
        assertTrue(topology.httpGet(1, topology.vipUrl()).startsWith("target-"), "good traffic still flows");
        assertEquals(1, awaitCounter("connections_opened", 1), "only the good request opened a connection");
        assertEquals(0, awaitCounter("worker_errors", 0));
    }

    @Test
    void shouldSteerBothDirectionsOfEachConnectionToOneOfTwoWorkers() throws Exception
    {
        topology = Topology.build(new Topology.Context().addressesPerClient(4));
        startAgent(new DemoConfig(topology).workers(2));

        final DemoTraffic.Result result = DemoTraffic.toVip(topology, 200, Duration.ofSeconds(60));
        assertEquals(200, result.succeeded(), result.toString());
        for (final String source : topology.client(1).addresses())
        {
            assertTrue(topology.httpGet(1, source, topology.vipUrl()).startsWith("target-"));
        }
        final HttpProbe.Response download = topology.download(1, topology.vipUrl() + "bytes?n=10000000&seed=3",
            Duration.ofSeconds(50));
        assertEquals(download.header("X-Sha256"), download.bodySha256());

        assertEquals(205, awaitCounter("connections_opened", 205));
        try (CountersFile file = counters())
        {
            final long[] perWorker = new long[2];
            file.reader().forEach((id, type, key, label) ->
            {
                if (label.endsWith(": connections_opened"))
                {
                    perWorker[label.startsWith("worker-0") ? 0 : 1] += file.reader().getCounterValue(id);
                }
            });
            assertTrue(perWorker[0] > 20 && perWorker[1] > 20, "both workers open connections: " +
                java.util.Arrays.toString(perWorker));
            // a segment from a target reaching the other worker would be answered with an RST
            assertEquals(0, file.total("tx_rst_untracked"));
        }
    }

    @Test
    void shouldApplyAChangedFileOnSighupWithoutLosingEstablishedConnections() throws Exception
    {
        topology = Topology.build(new Topology.Context().echoServers(true));
        // started under nohup, as operators do: the agent takes the ignored SIGHUP over
        startAgent(new DemoConfig(topology).targetPort(Topology.ECHO_PORT), true);
        final Socket[] established = new Socket[3];
        try
        {
            for (int i = 0; i < established.length; i++)
            {
                established[i] = echoConnection();
                roundTrip(established[i], (byte)i);
            }

            // the pool shrinks to target 2 only, and a second listener appears
            final DemoConfig changed = new DemoConfig(topology).targetPort(Topology.ECHO_PORT)
                .listener(8081, Topology.HTTP_PORT, 2);
            final String outcome = reload(changed.onlyTargets(2));
            assertTrue(outcome.contains("config.applied"), outcome);

            for (int i = 0; i < established.length; i++)
            {
                roundTrip(established[i], (byte)(20 + i));
            }
            for (int i = 0; i < 6; i++)
            {
                try (Socket fresh = echoConnection())
                {
                    roundTrip(fresh, (byte)(40 + i));
                }
            }
            assertEquals("target-2\n", topology.httpGet(1, "http://" + topology.vip() + ":8081/"));

            final String rejected = reload(new DemoConfig(topology).plan("p1500"));
            assertTrue(rejected.contains("config.rejected") && rejected.contains("restart"), rejected);
            roundTrip(established[0], (byte)60);
        }
        finally
        {
            for (final Socket socket : established)
            {
                if (null != socket)
                {
                    socket.close();
                }
            }
        }
        awaitEchoEnds("eof", 9);
        final String ends = echoEnds();
        final int toTarget2 = topology.echoServerOutput(2).split("echo-end eof " + topology.snatAddress(), -1).length
            - 1;
        assertEquals(7, toTarget2, "one established and all six new connections on target 2: " + ends);

        // the accepted change was persisted: a restarted agent runs it, not the node file's first configuration
        assertEquals(0, agent.stop());
        Files.writeString(dir.resolve("tandem.json"), new DemoConfig(topology).targetPort(Topology.ECHO_PORT)
            .countersFile(dir.resolve("counters").toString()).json());
        agent = AgentProcess.start(topology.nodeNs(), dir.resolve("tandem.json"));
        agent.awaitLine("agent.ready", 30, TimeUnit.SECONDS);
        assertEquals("target-2\n", topology.httpGet(1, "http://" + topology.vip() + ":8081/"));
    }

    /** Runs {@code tandem ctl ARGS} as its own process; @return its output, after checking it exited 0. */
    private static String ctl(final String... args) throws Exception
    {
        final java.util.List<String> command = new java.util.ArrayList<>(List.of("ctl"));
        command.addAll(java.util.List.of(args));
        final java.util.List<String> processCommand = io.tandem.control.demo.AgentLauncher.javaCommand(
            command.toArray(new String[0]));
        final Process process = new ProcessBuilder(processCommand).redirectErrorStream(true).start();
        final String out = new String(process.getInputStream().readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
        assertTrue(process.waitFor(30, TimeUnit.SECONDS), "ctl finished");
        assertEquals(0, process.exitValue(), "tandem ctl " + String.join(" ", args) + ":\n" + out);
        return out;
    }

    /** {@code curl --unix-socket} against the agent's admin socket, as the README shows it. */
    private String admin(final String method, final String path, final String body) throws Exception
    {
        final java.util.List<String> command = new java.util.ArrayList<>(java.util.List.of("curl", "-sS",
            "--max-time", "10", "--unix-socket", dir.resolve("admin.sock").toString(), "-X", method));
        if (null != body)
        {
            command.addAll(java.util.List.of("-H", "Content-Type: application/json", "--data-binary", body));
        }
        command.add("http://localhost" + path);
        final Process curl = new ProcessBuilder(command).redirectErrorStream(true).start();
        final String out = new String(curl.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        assertEquals(0, curl.waitFor(), out);
        return out;
    }

    @SuppressWarnings("try") // a connection held open for the flow sample
    @Test
    void shouldServeStatusAndApplyATargetPoolUpdateThroughTheAdminSocket() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology));
        assertTrue(topology.httpGet(1, topology.vipUrl()).startsWith("target-"));

        final String status = admin("GET", "/v2/status", null);
        assertTrue(status.contains("\"role\"") && status.contains("198.18.0.21"), status);
        assertTrue(admin("GET", "/metrics", null).contains("tandem_"), "Prometheus text");

        final String pool = "{\"name\": \"web\", \"targetPort\": 8080, \"targets\": [" +
            "{\"displayName\": \"target-3\", \"ip\": \"" + topology.target(3).address() + "\"}]}";
        final String updated = admin("PUT", "/v2/load-balancer/target-pools/web", pool);
        assertTrue(updated.contains(topology.target(3).address()), updated);
        for (int i = 0; i < 6; i++)
        {
            assertEquals("target-3\n", topology.httpGet(1, topology.vipUrl()), "traffic follows the pool update");
        }

        final String stale = admin("PUT", "/v2/load-balancer", admin("GET", "/v2/load-balancer", null)
            .replaceAll("\"version\"\\s*:\\s*\"[^\"]*\"", "\"version\": \"0-00000000\""));
        assertTrue(stale.contains("STALE_VERSION"), "a change based on an old version is refused: " + stale);

        // a sample of tracked connections, while one is open
        try (Socket open = topology.connect(1, topology.vip(), Topology.VIP_PORT, Duration.ofSeconds(5)))
        {
            final String flows = admin("GET", "/v2/flows?limit=10", null);
            assertTrue(flows.matches("(?s).*\"target\"\\s*:\\s*\"" + topology.target(3).address() +
                ":8080\".*") && flows.contains("ESTABLISHED"), flows);
            final String table = ctl("--socket", dir.resolve("admin.sock").toString(), "flows", "--limit", "10");
            assertTrue(table.contains("ESTABLISHED") && table.contains("connection(s) sampled"), table);
        }

        // tandemctl against the real agent: status through the socket, stats straight from the counters file
        final String ctlStatus = ctl("--socket", dir.resolve("admin.sock").toString(), "status");
        assertTrue(ctlStatus.contains(topology.target(3).address()), ctlStatus);
        final String ctlStats = ctl("--counters", dir.resolve("counters").toString(), "-o", "json", "stats");
        assertTrue(ctlStats.contains("\"connections_opened\""), ctlStats);
        assertEquals("target-3\n", topology.httpGet(1, topology.vipUrl()), "and changes nothing");

        // packets and bytes per listener and per target: target 3 served at least 8 requests, both ways
        final String metrics = admin("GET", "/metrics", null);
        final java.util.regex.Matcher toTarget3 = java.util.regex.Pattern.compile(
            "tandem_target_packets_total\\{pool=\"web\",target=\"" + topology.target(3).address().replace(".", "\\.") +
            "\",name=\"target-3\",direction=\"to_target\"} (\\d+)").matcher(metrics);
        assertTrue(toTarget3.find() && Long.parseLong(toTarget3.group(1)) >= 8 * 4, metrics);
        final java.util.regex.Matcher fromListener = java.util.regex.Pattern.compile(
            "tandem_listener_bytes_total\\{listener=\"[^\"]*\",port=\"80\",direction=\"to_client\"} (\\d+)")
            .matcher(metrics);
        assertTrue(fromListener.find() && Long.parseLong(fromListener.group(1)) > 8 * 100, metrics);
    }

    /** @return true when none of {@code requests} requests through the VIP reached target {@code target}. */
    private boolean avoids(final int target, final int requests)
    {
        for (int i = 0; i < requests; i++)
        {
            try
            {
                if (topology.httpGet(1, topology.vipUrl()).equals("target-" + target + "\n"))
                {
                    return false;
                }
            }
            catch (final RuntimeException refused)
            {
                return false; // a connection sent to the stopped target before it was found down
            }
        }
        return true;
    }

    @Test
    void shouldMoveTrafficOffATargetThatStopsAnsweringAndBackWhenItReturns() throws Exception
    {
        topology = Topology.build();
        startAgent(new DemoConfig(topology).healthCheck("0.2s", "0.15s", 2, 2));
        assertTrue(!avoids(2, 6), "target 2 serves while healthy");

        final long stoppedNs = System.nanoTime();
        topology.stopServer(2);
        final String down = agent.awaitLine("target.down pool=web target=" + topology.target(2).address(), 10,
            TimeUnit.SECONDS);
        final long detectedMs = (System.nanoTime() - stoppedNs) / 1_000_000;
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!avoids(2, 9) && System.nanoTime() < deadline)
        {
            Thread.sleep(50);
        }
        final long movedMs = (System.nanoTime() - stoppedNs) / 1_000_000;
        assertTrue(avoids(2, 9), "traffic avoids the down target");
        System.out.printf("health: server stopped -> target.down %d ms, -> traffic moved by %d ms (%s)%n", detectedMs,
            movedMs, down);
        assertTrue(admin("GET", "/v2/status", null).contains("refused"), "status shows the last probe's result");

        final long startedNs = System.nanoTime();
        topology.startServer(2);
        agent.awaitLine("target.up pool=web target=" + topology.target(2).address(), 10, TimeUnit.SECONDS);
        final long upMs = (System.nanoTime() - startedNs) / 1_000_000;
        final long backDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        boolean back = false;
        while (!back && System.nanoTime() < backDeadline)
        {
            back = !avoids(2, 6);
        }
        assertTrue(back, "target 2 takes connections again");
        System.out.printf("health: server started -> target.up %d ms%n", upMs);
    }

    @Test
    void shouldMoveOnlyTheDownTargetsClientsWithMaglev() throws Exception
    {
        topology = Topology.build(new Topology.Context().clients(2).addressesPerClient(6));
        startAgent(new DemoConfig(topology).sourceIpPersistence(true).healthCheck("0.2s", "0.15s", 2, 2));
        final Map<String, String> before = new HashMap<>();
        for (int client = 1; client <= topology.clientCount(); client++)
        {
            for (final String source : topology.client(client).addresses())
            {
                before.put(client + "/" + source, topology.httpGet(client, source, topology.vipUrl()));
            }
        }
        assertTrue(before.containsValue("target-2\n") && before.size() == 12, before.toString());

        topology.stopServer(2);
        agent.awaitLine("target.down pool=web target=" + topology.target(2).address(), 10, TimeUnit.SECONDS);
        agent.awaitLine("snapshot.published reason=health", 10, TimeUnit.SECONDS);

        for (final Map.Entry<String, String> entry : before.entrySet())
        {
            final String[] key = entry.getKey().split("/");
            final String now = topology.httpGet(Integer.parseInt(key[0]), key[1], topology.vipUrl());
            if (entry.getValue().equals("target-2\n"))
            {
                assertTrue(!now.equals("target-2\n"), entry.getKey() + " moved off the down target");
            }
            else
            {
                assertEquals(entry.getValue(), now, entry.getKey() + " stays where it was");
            }
        }
    }
}
