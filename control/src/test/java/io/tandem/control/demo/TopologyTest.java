package io.tandem.control.demo;

import io.tandem.ffi.Netns;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("root")
class TopologyTest
{
    private static final String PID_MARK = "-" + ProcessHandle.current().pid() + "-";

    private static Topology topology;
    private static List<String> names;

    @BeforeAll
    static void build()
    {
        final long startNs = System.nanoTime();
        topology = Topology.build(new Topology.Context().clients(2).addressesPerClient(2).targets(3));
        names = topology.namespaceNames();
        System.out.printf("shared topology (2 clients x 2 addresses, 3 targets): built in %d ms%n",
            (System.nanoTime() - startNs) / 1_000_000);
    }

    @AfterAll
    static void tearDown()
    {
        final long startNs = System.nanoTime();
        topology.close();
        System.out.printf("shared topology: closed in %d ms%n", (System.nanoTime() - startNs) / 1_000_000);
        assertNoneLeft(names);
    }

    @Test
    void shouldReachEveryTargetDirectlyThroughTheRouter()
    {
        for (int client = 1; client <= topology.clientCount(); client++)
        {
            for (int target = 1; target <= topology.targetCount(); target++)
            {
                assertEquals("target-" + target + "\n", topology.httpGet(client, topology.targetUrl(target)));
            }
        }
        assertEquals("http://198.18.0.21:8080/", topology.targetUrl(1));
        assertEquals("target-1\n", topology.httpGet(1, "http://198.18.0.21:8080/"));
    }

    @Test
    void shouldSendFromTheChosenClientAddress()
    {
        assertEquals(List.of("198.19.0.10", "198.19.0.128"), topology.client(1).addresses());
        assertEquals(List.of("198.19.0.11", "198.19.0.129"), topology.client(2).addresses());
        final String peer = topology.target(2).address() + ":8080/peer";
        assertTrue(topology.httpGet(1, "http://" + peer).startsWith("198.19.0.10:"));
        assertTrue(topology.httpGet(1, "198.19.0.128", "http://" + peer).startsWith("198.19.0.128:"));
        assertTrue(topology.httpGet(2, "198.19.0.129", "http://" + peer).startsWith("198.19.0.129:"));
    }

    @Test
    void shouldDownloadALargeBodyIntact() throws Exception
    {
        final int n = 20_000_000;
        final long startNs = System.nanoTime();
        final HttpProbe.Response response =
            topology.download(1, topology.targetUrl(2) + "bytes?n=" + n + "&seed=7", Duration.ofSeconds(30));
        System.out.printf("download of %d bytes: %d ms%n", n, (System.nanoTime() - startNs) / 1_000_000);
        assertEquals(200, response.status());
        assertEquals("target-2", response.header("X-Target"));
        assertEquals(n, response.bodyLength());
        assertEquals(response.header("X-Sha256"), response.bodySha256());
    }

    @Test
    void shouldUploadALargeBodyIntact() throws Exception
    {
        final int n = 20_000_000;
        final HttpProbe.Response response = topology.upload(2, topology.targetUrl(3), n, Duration.ofSeconds(30));
        assertEquals(200, response.status());
        assertEquals(Integer.toString(n), response.header("X-Length"));
        assertEquals(response.requestBodySha256() + "\n", response.bodyText());
    }

    @Test
    void shouldStopAndStartATargetsServer()
    {
        final String url = topology.targetUrl(2);
        topology.stopServer(2);
        assertFalse(topology.serverRunning(2));
        final IllegalStateException refused = assertThrows(IllegalStateException.class,
            () -> topology.httpGet(1, url));
        assertTrue(refused.getMessage().contains("(7)"), refused.getMessage()); // curl: could not connect
        topology.startServer(2);
        assertTrue(topology.serverRunning(2));
        assertEquals("target-2\n", topology.httpGet(1, url));
    }

    @Test
    void shouldEchoOverTcpFromAClient() throws Exception
    {
        topology.startEchoServer(1);
        try (Socket socket = topology.connect(1, topology.target(1).address(), Topology.ECHO_PORT,
            Duration.ofSeconds(2)))
        {
            socket.setSoTimeout(2000);
            final OutputStream out = socket.getOutputStream();
            final InputStream in = socket.getInputStream();
            for (int i = 0; i < 3; i++)
            {
                final byte[] message = ("hello " + i + "\n").getBytes(StandardCharsets.US_ASCII);
                out.write(message);
                out.flush();
                assertEquals(new String(message, StandardCharsets.US_ASCII),
                    new String(in.readNBytes(message.length), StandardCharsets.US_ASCII));
            }
        }
        finally
        {
            topology.stopEchoServer(1);
        }
    }

    @Test
    void shouldTurnOffloadsOffOnEveryLink()
    {
        final Map<Netns, String> devices = Map.of(
            topology.routerNs(), "n1",
            topology.nodeNs(), topology.nodeInterface(),
            topology.targetNs(1), "eth0",
            topology.client(2).ns(), "eth0");
        devices.forEach((ns, device) ->
        {
            final String features = ns.exec("ethtool", "-k", device);
            for (final String feature : List.of("tcp-segmentation-offload: off", "generic-segmentation-offload: off",
                "generic-receive-offload: off", "tx-checksumming: off"))
            {
                assertTrue(features.contains(feature), ns.name() + " " + device + ": " + feature);
            }
        });
    }

    @Test
    void shouldGiveTheNodeItsAddressButNotTheServiceAddresses()
    {
        final String addresses = topology.nodeNs().ip("-4", "-o", "addr", "show", "dev", topology.nodeInterface());
        assertTrue(addresses.contains("198.18.0.10/24"), addresses);
        assertFalse(addresses.contains(topology.vip()), addresses);
        assertFalse(addresses.contains(topology.snatAddress()), addresses);
        assertTrue(topology.nodeNs().ip("route", "show", "default").contains("via 198.18.0.1"));

        topology.addServiceAddresses();
        try
        {
            final String owned = topology.nodeNs().ip("-4", "-o", "addr", "show", "dev", topology.nodeInterface());
            assertTrue(owned.contains("198.18.0.100/32") && owned.contains("198.18.0.200/32"), owned);
            // the client reaches the node's kernel on the VIP through the router
            final String ping = topology.client(1).exec("ping", "-n", "-c", "1", "-W", "2", topology.vip());
            assertTrue(ping.contains("1 received"), ping);
        }
        finally
        {
            topology.removeServiceAddresses();
        }
        assertFalse(topology.nodeNs().ip("-4", "-o", "addr", "show").contains(topology.vip()));
    }

    @Test
    void shouldCountDemoTrafficAgainstOneTarget()
    {
        final DemoTraffic.Result result =
            DemoTraffic.run(topology, topology.targetUrl(1), 40, Duration.ofSeconds(10));
        System.out.print(result.table());
        assertEquals(Map.of("target-1", 40), result.counts());
        assertEquals(40, result.sent());
        assertEquals(0, result.failed());
        assertFalse(result.timedOut());
    }

    @Test
    void shouldBoundDemoTrafficInTime()
    {
        // 198.18.0.99 is on the LAN but nobody has it: every connect waits for its timeout.
        final long startNs = System.nanoTime();
        final DemoTraffic.Result result =
            DemoTraffic.run(topology, "http://198.18.0.99:8080/", 1000, Duration.ofMillis(1500));
        final long elapsedMs = (System.nanoTime() - startNs) / 1_000_000;
        System.out.print(result.table());
        assertTrue(result.timedOut());
        assertTrue(result.sent() < 1000 && result.sent() >= 1, "sent " + result.sent());
        assertEquals(result.sent(), result.failed());
        assertTrue(result.counts().isEmpty());
        assertTrue(elapsedMs < 1500 + 1000, "took " + elapsedMs + " ms");
    }

    @Test
    void shouldRefuseAddressesOutsideTheTestRange()
    {
        assertThrows(IllegalArgumentException.class, () -> topology.httpGet(1, "http://203.0.113.1:8080/"));
        assertThrows(IllegalArgumentException.class, () -> topology.httpGet(1, "http://example.com/"));
        assertThrows(IllegalArgumentException.class,
            () -> DemoTraffic.run(topology, "http://198.51.100.1/", 1, Duration.ofSeconds(1)));
    }

    @Test
    void shouldLeaveNothingBehindAfterClose()
    {
        final List<Long> sharedPids = serverPids();
        final long buildStartNs = System.nanoTime();
        final Topology own = Topology.build();
        final long builtNs = System.nanoTime() - buildStartNs;
        final List<String> ownNames = own.namespaceNames();
        final List<Long> ownPids = serverPids().stream().filter(pid -> !sharedPids.contains(pid)).toList();
        assertEquals(3, ownPids.size(), "one HTTP server per target");
        assertEquals(1 + 1 + 3 + 1, ownNames.size(), ownNames.toString());
        assertTrue(Netns.run("ip", "netns", "list").contains(ownNames.getFirst()));
        assertEquals("target-3\n", own.httpGet(1, own.targetUrl(3)));

        final long closeStartNs = System.nanoTime();
        own.close();
        final long closedNs = System.nanoTime() - closeStartNs;
        own.close();
        System.out.printf("default topology (1 client, 3 targets, 1 node; %d namespaces): build %d ms " +
            "(own clock %d ms), teardown %d ms%n", ownNames.size(), builtNs / 1_000_000, own.buildNs() / 1_000_000,
            closedNs / 1_000_000);

        assertNoneLeft(ownNames);
        for (final long pid : ownPids)
        {
            assertFalse(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false), "pid " + pid);
        }
        assertThrows(IllegalStateException.class, () -> own.startServer(1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"router", "targets", "servers"})
    void shouldLeaveNothingBehindWhenTheBuildFails(final String failingStep)
    {
        final List<String> before = ownNamespaces();
        final List<Long> serversBefore = serverPids();
        final int[] seenAtFailure = new int[2];
        final Topology.Context context = new Topology.Context().echoServers(true).onStep(step ->
        {
            if (step.equals(failingStep))
            {
                seenAtFailure[0] = ownNamespaces().size() - before.size();
                seenAtFailure[1] = serverPids().size() - serversBefore.size();
                throw new IllegalStateException("simulated failure after " + step);
            }
        });

        final IllegalStateException failure = assertThrows(IllegalStateException.class,
            () -> Topology.build(context));
        assertEquals("simulated failure after " + failingStep, failure.getMessage());
        assertTrue(seenAtFailure[0] >= 1, "the build had made namespaces before it failed");
        if (failingStep.equals("servers"))
        {
            assertEquals(6, seenAtFailure[1], "3 HTTP and 3 echo servers ran when it failed");
        }
        assertEquals(before, ownNamespaces());
        assertEquals(serversBefore, serverPids());
    }

    /** Namespaces of this JVM (Netns names carry the PID). */
    private static List<String> ownNamespaces()
    {
        return Netns.run("ip", "netns", "list").lines()
            .map(line -> line.split(" ")[0])
            .filter(name -> name.startsWith("tdm-") && name.contains(PID_MARK))
            .sorted()
            .toList();
    }

    /** Target server processes started by this JVM. */
    private static List<Long> serverPids()
    {
        return ProcessHandle.current().children()
            .filter(p -> p.isAlive() && p.info().commandLine().orElse("").contains("tandem-target-"))
            .map(ProcessHandle::pid)
            .sorted()
            .toList();
    }

    private static void assertNoneLeft(final List<String> namespaces)
    {
        final String list = Netns.run("ip", "netns", "list");
        for (final String name : namespaces)
        {
            assertFalse(list.contains(name), name + " left behind: " + list);
        }
    }
}
