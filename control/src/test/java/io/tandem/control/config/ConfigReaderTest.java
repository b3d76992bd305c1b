package io.tandem.control.config;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.dataplane.snapshot.Plan;
import org.junit.jupiter.api.Test;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static io.tandem.control.config.ConfigFixtures.JSON;
import static io.tandem.control.config.ConfigFixtures.assertRefused;
import static io.tandem.control.config.ConfigFixtures.example;
import static io.tandem.control.config.ConfigFixtures.resource;
import static io.tandem.control.config.ConfigFixtures.set;
import static io.tandem.control.config.ConfigFixtures.tree;
import static io.tandem.control.config.ConfigFixtures.violations;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigReaderTest
{
    static final String MINIMAL = """
        {
          "node": { "dataInterface": "eth1", "snatAddress": "198.18.0.200" },
          "loadBalancer": {
            "name": "lb",
            "externalAddress": "198.18.0.100",
            "listeners": [ { "port": 80, "protocol": "PROTOCOL_TCP", "targetPool": "web" } ],
            "targetPools": [
              { "name": "web", "targetPort": 8080, "targets": [ { "displayName": "web-1", "ip": "198.18.1.11" } ] }
            ]
          }
        }
        """;

    @Test
    void shouldReadTheExampleFile()
    {
        final TandemConfig config = ConfigReader.parse(resource("example.json"));

        assertEquals(new NodeConfig("eth1", "198.18.0.200", 2, Path.of("/run/tandem/admin.sock"),
            Path.of("/var/lib/tandem"), Path.of("/dev/shm/tandem-counters"), NodeConfig.NO_LIMIT,
            new PairConfig("198.18.0.11", 51, 150, PairConfig.DEFAULT_ADVERT_INTERVAL_CS, false,
                java.util.HexFormat.of().parseHex("00112233445566778899aabbccddeeff"), PairConfig.DEFAULT_SYNC_PORT)),
            config.node());
        assertTrue(!config.node().pair().toString().contains("0011"), "the key stays out of logs");

        final LoadBalancerConfig lb = config.loadBalancer();
        assertEquals("shop-frontend", lb.name());
        assertEquals("198.18.0.100", lb.externalAddress());
        assertEquals(Plan.P250, lb.plan());
        assertEquals("lb-7", lb.version());
        assertEquals(Map.of("environment", "staging", "cost.center", "web-shop"), lb.labels());
        assertEquals(List.of("198.18.0.0/24", "198.19.128.0/17"), lb.allowedSourceRanges());
        assertEquals(List.of(
            new ListenerConfig("https", 443, "web-tls", Duration.ofSeconds(300)),
            new ListenerConfig("http", 80, "web", Duration.ofSeconds(300)),
            new ListenerConfig("postgres", 5432, "db", Duration.ofSeconds(3600))), lb.listeners());

        final List<TargetConfig> web = List.of(new TargetConfig("web-1", "198.18.1.11"),
            new TargetConfig("web-2", "198.18.1.12"), new TargetConfig("web-3", "198.18.1.13"));
        assertEquals(List.of(
            new TargetPoolConfig("web-tls", 8443, web, ActiveHealthCheckConfig.DEFAULT, false),
            new TargetPoolConfig("web", 8080, web, new ActiveHealthCheckConfig(Duration.ofSeconds(2),
                Duration.ofMillis(500), Duration.ofSeconds(1), 2, 3, ActiveHealthCheckConfig.NO_ALT_PORT,
                new HttpHealthCheckConfig("/healthz", List.of(200, 204))), false),
            new TargetPoolConfig("db", 5432, List.of(new TargetConfig("db-a", "198.18.2.21"),
                new TargetConfig("db-b", "198.18.2.22")), new ActiveHealthCheckConfig(Duration.ofSeconds(10),
                Duration.ZERO, Duration.ofSeconds(2), 2, 3, 8008, new HttpHealthCheckConfig("/health", List.of(200))),
                true)), lb.targetPools());
        assertEquals(8008, lb.targetPool("db").activeHealthCheck().probePort(5432));
        assertEquals(8080, lb.targetPool("web").activeHealthCheck().probePort(8080));
        assertNull(lb.targetPool("nope"));
    }

    @Test
    void shouldFillEveryDefault()
    {
        final TandemConfig config = ConfigReader.parse(MINIMAL);

        final NodeConfig node = config.node();
        assertEquals(NodeConfig.DEFAULT_WORKERS, node.workers());
        assertEquals(Path.of("/run/tandem/admin.sock"), node.adminSocket());
        assertEquals(Path.of("/var/lib/tandem"), node.stateDirectory());
        assertEquals(Path.of("/dev/shm/tandem-counters"), node.countersFile());

        final LoadBalancerConfig lb = config.loadBalancer();
        assertEquals(Plan.P10, lb.plan());
        assertNull(lb.version());
        assertEquals(Map.of(), lb.labels());
        assertEquals(List.of(), lb.allowedSourceRanges());

        final ListenerConfig listener = lb.listeners().getFirst();
        assertNull(listener.displayName());
        assertEquals("tcp-80", listener.name());
        assertEquals(Duration.ofSeconds(300), listener.idleTimeout());

        final TargetPoolConfig pool = lb.targetPools().getFirst();
        assertEquals(false, pool.useSourceIpAddress());
        final ActiveHealthCheckConfig check = pool.activeHealthCheck();
        assertEquals(Duration.ofSeconds(5), check.interval());
        assertEquals(Duration.ZERO, check.intervalJitter());
        assertEquals(Duration.ofSeconds(3), check.timeout());
        assertEquals(2, check.healthyThreshold());
        assertEquals(3, check.unhealthyThreshold());
        assertEquals(ActiveHealthCheckConfig.NO_ALT_PORT, check.altPort());
        assertNull(check.httpHealthChecks());
    }

    @Test
    void shouldFillDefaultsOfPartlyGivenObjects()
    {
        final ObjectNode tree = tree(MINIMAL);
        set(tree, "/loadBalancer/targetPools/0/activeHealthCheck",
            "{\"unhealthyThreshold\": 5, \"httpHealthChecks\": {\"path\": \"/\"}}");
        set(tree, "/loadBalancer/targetPools/0/sessionPersistence", "{}");
        set(tree, "/loadBalancer/listeners/0/tcp", "{}");
        set(tree, "/loadBalancer/options", "{\"accessControl\": {}}");

        final LoadBalancerConfig lb = ConfigReader.parse(tree.toString()).loadBalancer();

        assertEquals(new ActiveHealthCheckConfig(Duration.ofSeconds(5), Duration.ZERO, Duration.ofSeconds(3), 2, 5,
            ActiveHealthCheckConfig.NO_ALT_PORT, new HttpHealthCheckConfig("/", List.of(200))),
            lb.targetPools().getFirst().activeHealthCheck());
        assertEquals(false, lb.targetPools().getFirst().useSourceIpAddress());
        assertEquals(Duration.ofSeconds(300), lb.listeners().getFirst().idleTimeout());
        assertEquals(List.of(), lb.allowedSourceRanges());
    }

    @Test
    void shouldReadJsonNullAsAnAbsentField()
    {
        final ObjectNode tree = tree(MINIMAL);
        set(tree, "/node/workers", "null");
        set(tree, "/loadBalancer/planId", "null");
        set(tree, "/loadBalancer/version", "null");
        set(tree, "/loadBalancer/labels", "{\"team\": null}");
        set(tree, "/loadBalancer/listeners/0/tcp", "{\"idleTimeout\": null}");
        set(tree, "/loadBalancer/targetPools/0/activeHealthCheck", "null");

        assertEquals(ConfigReader.parse(MINIMAL), ConfigReader.parse(tree.toString()));
    }

    @Test
    void shouldAcceptTheLimitsThemselves()
    {
        final ObjectNode tree = tree(MINIMAL);
        set(tree, "/node/dataInterface", "\"enp0s31f6-vlan1\"");
        set(tree, "/node/workers", "64");
        set(tree, "/loadBalancer/name", "\"" + "a".repeat(63) + "\"");
        set(tree, "/loadBalancer/planId", "\"p1500\"");
        set(tree, "/loadBalancer/listeners/0/port", "65535");
        set(tree, "/loadBalancer/listeners/0/tcp", "{\"idleTimeout\": \"3600s\"}");
        set(tree, "/loadBalancer/targetPools/0/targetPort", "1");
        set(tree, "/loadBalancer/targetPools/0/activeHealthCheck",
            "{\"healthyThreshold\": 1000000, \"unhealthyThreshold\": 1, \"altPort\": 65535, " +
            "\"interval\": \"0.001s\", \"timeout\": \"0.000000001s\", \"intervalJitter\": \"3600s\"}");
        set(tree, "/loadBalancer/options", "{\"accessControl\": {\"allowedSourceRanges\": " +
            "[\"0.0.0.0/0\", \"198.18.0.7/32\", \"198.18.0.0/15\"]}}");
        set(tree, "/loadBalancer/labels", "{\"" + "k".repeat(63) + "\": \"" + "v".repeat(63) + "\", \"e\": \"\"}");
        final ArrayNode listeners = (ArrayNode)tree.at("/loadBalancer/listeners");
        final ArrayNode targets = (ArrayNode)tree.at("/loadBalancer/targetPools/0/targets");
        for (int i = 1; i < LoadBalancerConfig.MAX_LISTENERS; i++)
        {
            listeners.add(JSON.createObjectNode().put("port", i).put("protocol", "PROTOCOL_TCP")
                .put("targetPool", "web"));
        }
        for (int i = 1; i < TargetPoolConfig.MAX_TARGETS; i++)
        {
            targets.add(JSON.createObjectNode().put("displayName", "t" + i).put("ip", "198.18.3." + i));
        }

        final LoadBalancerConfig lb = ConfigReader.parse(tree.toString()).loadBalancer();

        assertEquals(20, lb.listeners().size());
        assertEquals(250, lb.targetPools().getFirst().targets().size());
        assertEquals(Duration.ofNanos(1), lb.targetPools().getFirst().activeHealthCheck().timeout());
        assertEquals(Plan.P1500, lb.plan());
    }

    @Test
    void shouldRefuseMoreThanTwentyListeners()
    {
        final ObjectNode tree = example();
        final ArrayNode listeners = (ArrayNode)tree.at("/loadBalancer/listeners");
        for (int port = 1001; listeners.size() < 21; port++)
        {
            listeners.add(JSON.createObjectNode().put("port", port).put("protocol", "PROTOCOL_TCP")
                .put("targetPool", "web"));
        }
        assertRefused(tree.toString(), "loadBalancer.listeners",
            "loadBalancer.listeners: must have at most 20 listeners, got 21");
    }

    @Test
    void shouldRefuseMoreThanTwentyTargetPools()
    {
        final ObjectNode tree = example();
        final ArrayNode pools = (ArrayNode)tree.at("/loadBalancer/targetPools");
        for (int i = 0; pools.size() < 21; i++)
        {
            final ObjectNode pool = pools.addObject().put("name", "pool-" + i).put("targetPort", 80);
            pool.putArray("targets").addObject().put("displayName", "t").put("ip", "198.18.4." + (i + 1));
        }
        assertRefused(tree.toString(), "loadBalancer.targetPools",
            "loadBalancer.targetPools: must have at most 20 target pools, got 21");
    }

    @Test
    void shouldRefuseMoreThan250Targets()
    {
        final ObjectNode tree = example();
        final ArrayNode targets = (ArrayNode)tree.at("/loadBalancer/targetPools/0/targets");
        for (int i = 0; targets.size() < 251; i++)
        {
            targets.addObject().put("displayName", "t" + i).put("ip", "198.18." + (5 + i / 200) + "." + (1 + i % 200));
        }
        assertRefused(tree.toString(), "loadBalancer.targetPools[0].targets",
            "loadBalancer.targetPools[0].targets: must have at most 250 targets, got 251");
    }

    @Test
    void shouldRefuseMoreThan64Labels()
    {
        final ObjectNode tree = example();
        final ObjectNode labels = (ObjectNode)tree.at("/loadBalancer/labels");
        for (int i = 0; labels.size() < 65; i++)
        {
            labels.put("label" + i, "x");
        }
        assertRefused(tree.toString(), "loadBalancer.labels",
            "loadBalancer.labels: must have at most 64 labels, got 65");
    }

    @Test
    void shouldRefuseATargetPoolNameTwiceWithoutRefusingTheListenersThatUseIt()
    {
        final ObjectNode tree = example();
        set(tree, "/loadBalancer/targetPools/2/name", "\"web\"");
        set(tree, "/loadBalancer/listeners/2/targetPool", "\"web\"");
        assertRefused(tree.toString(), "loadBalancer.targetPools[2].name", "loadBalancer.targetPools[2].name: " +
            "must be unique among the target pools, \"web\" is already the name of loadBalancer.targetPools[1]");
    }

    @Test
    void shouldNotRefuseAListenerWhosePoolHasAMalformedName()
    {
        final ObjectNode tree = example();
        set(tree, "/loadBalancer/targetPools/2/name", "\"DB\"");
        set(tree, "/loadBalancer/listeners/2/targetPool", "\"DB\"");
        final List<ConfigViolation> violations = violations(tree.toString());
        assertEquals(List.of("loadBalancer.targetPools[2].name"),
            violations.stream().map(ConfigViolation::path).toList());
    }

    @Test
    void shouldReportEveryViolationOfAFileAtOnce()
    {
        final ObjectNode tree = example();
        set(tree, "/node/workers", "0");
        set(tree, "/node/stateDirectory", "\"var/lib/tandem\"");
        set(tree, "/loadBalancer/name", "\"Shop\"");
        set(tree, "/loadBalancer/listeners/0/protocol", "\"PROTOCOL_UDP\"");
        set(tree, "/loadBalancer/listeners/1/port", "443");
        set(tree, "/loadBalancer/listeners/1/tcp", "{\"idleTimeout\": \"7200s\"}");
        set(tree, "/loadBalancer/listeners/2/targetPool", "\"postgres\"");
        set(tree, "/loadBalancer/targetPools/1/targets/2/ip", "\"198.18.1.12\"");
        set(tree, "/loadBalancer/targetPools/1/activeHealthCheck/timeout", "\"3\"");
        set(tree, "/loadBalancer/targetPools/2/color", "\"blue\"");
        set(tree, "/loadBalancer/options/accessControl/allowedSourceRanges/1", "\"198.19.128.1/17\"");
        set(tree, "/loadBalancer/planId", "\"p2\"");

        final ConfigException refused = assertThrows(ConfigException.class, () -> ConfigReader.parse(tree.toString()));

        assertEquals(List.of(
            "node.workers",
            "node.stateDirectory",
            "loadBalancer.name",
            "loadBalancer.listeners[0].protocol",
            "loadBalancer.listeners[1].port",
            "loadBalancer.listeners[1].tcp.idleTimeout",
            "loadBalancer.targetPools[1].targets[2].ip",
            "loadBalancer.targetPools[1].activeHealthCheck.timeout",
            "loadBalancer.targetPools[2].color",
            "loadBalancer.listeners[2].targetPool",
            "loadBalancer.options.accessControl.allowedSourceRanges[1]",
            "loadBalancer.planId"), refused.violations().stream().map(ConfigViolation::path).toList());
        assertEquals("must be at most 3600s", refused.violations().get(5).rule());
        assertEquals("loadBalancer.listeners[1].tcp.idleTimeout: must be at most 3600s, got \"7200s\"",
            refused.violations().get(5).message());
        assertTrue(refused.getMessage().startsWith("12 violations in the configuration:\n" +
            "  node.workers: must be from 1 to 64, got 0\n" +
            "  node.stateDirectory: must be an absolute path, got \"var/lib/tandem\"\n"), refused.getMessage());
    }

    @Test
    void shouldReportWhereJsonIsMalformed()
    {
        assertMalformed("{\n  \"node\": {\n    \"workers\": 1,\n  }\n}",
            "at line 4, column 3: Unexpected character ('}' (code 125)): was expecting double-quote to " +
            "start field name");
        assertMalformed("{\"node\": {}, \"node\": {}}",
            "at line 1, column 20: Duplicate field 'node'");
        assertMalformed("{\"node\": {}} {}", "at line 1, column 14: more content after the end of the document");
        assertMalformed("{}\n[", "at line 2, column 1: more content after the end of the document");
        assertMalformed("{\"node\": \"eth1", "at line 1, column 15: Unexpected end-of-input: was " +
            "expecting closing quote for a string value");
        assertMalformed("{ // comment\n}", "at line 1, column 3: Unexpected character ('/' (code 47)): " +
            "maybe a (non-standard) comment? (not recognized as one since Feature 'ALLOW_COMMENTS' not enabled " +
            "for parser)");
        assertRefused("", "", "must be a JSON document, the text is empty");
        assertRefused("  \n", "", "must be a JSON document, the text is empty");
        assertRefused("[]", "", "must be an object, got []");
    }

    private static void assertMalformed(final String json, final String detail)
    {
        final List<ConfigViolation> violations = violations(json);
        final String rule = "must be well-formed JSON";
        assertEquals(List.of(new ConfigViolation("", rule, rule + ", " + detail)), violations);
    }

    @Test
    void shouldAcceptWhatTheStackitApiReturnsAndIgnoreItsReadOnlyFields()
    {
        final LoadBalancerConfig lb = ConfigReader.parseLoadBalancer(resource("stackit-get-response.json"));

        assertEquals("shop-frontend", lb.name());
        assertEquals("lb-238165323", lb.version());
        assertEquals(List.of("http", "tcp-8080"), lb.listeners().stream().map(ListenerConfig::name).toList());
        assertEquals(ActiveHealthCheckConfig.DEFAULT, lb.targetPools().getFirst().activeHealthCheck());
        assertEquals(List.of(), lb.allowedSourceRanges());
    }

    @Test
    void shouldNameFieldsRelativeToAPayloadReadAlone()
    {
        final ObjectNode lb = (ObjectNode)example().get("loadBalancer");
        set(lb, "/listeners/0/port", "0");
        final ConfigException refused = assertThrows(ConfigException.class,
            () -> ConfigReader.parseLoadBalancer(lb.toString()));
        assertEquals(List.of(new ConfigViolation("listeners[0].port", "must be from 1 to 65535",
            "listeners[0].port: must be from 1 to 65535, got 0")), refused.violations());

        final ObjectNode pool = (ObjectNode)example().at("/loadBalancer/targetPools/1");
        assertEquals(ConfigReader.parse(resource("example.json")).loadBalancer().targetPools().get(1),
            ConfigReader.parseTargetPool(pool.toString()));
        set(pool, "/targets/0/ip", "\"198.18.1.12\"");
        set(pool, "/weight", "3");
        final ConfigException poolRefused = assertThrows(ConfigException.class,
            () -> ConfigReader.parseTargetPool(pool.toString()));
        assertEquals(List.of("weight", "targets[1].ip"),
            poolRefused.violations().stream().map(ConfigViolation::path).toList());
    }

    @Test
    void shouldReadTheExternalAddressAndSnatAddressAsTheSnapshotDoes()
    {
        final TandemConfig config = ConfigReader.parse(resource("example.json"));
        assertEquals(0xC612_00C8, config.node().snatIp());
        assertEquals(0xC612_0064, config.loadBalancer().externalIp());
        assertEquals(0xC612_010B, config.loadBalancer().targetPools().getFirst().targets().getFirst().ipv4());
    }
}
