package io.tandem.control.config;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.function.Consumer;
import java.util.stream.Stream;

import static io.tandem.control.config.ConfigFixtures.assertRefused;
import static io.tandem.control.config.ConfigFixtures.example;
import static io.tandem.control.config.ConfigFixtures.set;
import static org.junit.jupiter.params.provider.Arguments.arguments;

/**
 * One rule at a time: the example file with one edit must be refused with exactly one violation, of that path and
 * that message.
 */
class ConfigReaderRulesTest
{
    private static final String IFNAME = "must be a Linux interface name: 1 to 15 bytes, not \".\" or \"..\", " +
        "without '/', ':', whitespace or control characters";
    private static final String IPV4 = "must be an IPv4 address a.b.c.d (decimal, no leading zeros)";
    private static final String UNICAST = "must be a unicast address: not in 0.0.0.0/8, 127.0.0.0/8 or 224.0.0.0/3";
    private static final String PORT = "must be from 1 to 65535";
    private static final String DURATION = "must be a duration in seconds like \"300s\" or \"0.5s\"";
    private static final String NAME = "must match ^[0-9a-z](?:(?:[0-9a-z]|-){0,61}[0-9a-z])?$";
    private static final String NAME_HINT = "1 to 63 of 0-9, a-z and '-', starting and ending with 0-9 or a-z";
    private static final String CIDR = "must be an IPv4 range a.b.c.d/len, len 0 to 32";
    private static final String LB = "/loadBalancer";
    private static final String L0 = LB + "/listeners/0";
    private static final String P0 = LB + "/targetPools/0";
    private static final String T0 = P0 + "/targets/0";
    private static final String HC = LB + "/targetPools/1/activeHealthCheck";
    private static final String HTTP = HC + "/httpHealthChecks";
    private static final String RANGE0 = LB + "/options/accessControl/allowedSourceRanges/0";

    private static Consumer<ObjectNode> edit(final String pointer, final String value)
    {
        return tree -> set(tree, pointer, value);
    }

    private static Arguments refuse(final String pointer, final String value, final String path, final String message)
    {
        return arguments(pointer + " = " + value, edit(pointer, value), path, path + ": " + message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("nodeRules")
    void shouldRefuseNodeSection(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> nodeRules()
    {
        return Stream.of(
            refuse("/node", null, "node", "is required"),
            refuse("/node", "\"eth1\"", "node", "must be an object, got \"eth1\""),
            refuse("/node/dataInterface", null, "node.dataInterface", "is required"),
            refuse("/node/dataInterface", "\"eth1/0\"", "node.dataInterface", IFNAME + ", got \"eth1/0\""),
            refuse("/node/dataInterface", "\"eth 1\"", "node.dataInterface", IFNAME + ", got \"eth 1\""),
            refuse("/node/dataInterface", "\"eth1:0\"", "node.dataInterface", IFNAME + ", got \"eth1:0\""),
            refuse("/node/dataInterface", "\"\"", "node.dataInterface", IFNAME + ", got \"\""),
            refuse("/node/dataInterface", "\"..\"", "node.dataInterface", IFNAME + ", got \"..\""),
            refuse("/node/dataInterface", "\"sixteen-chars-ab\"", "node.dataInterface",
                IFNAME + ", got \"sixteen-chars-ab\""),
            refuse("/node/dataInterface", "\"ethé12345678901\"", "node.dataInterface",
                IFNAME + ", got \"ethé12345678901\""),
            refuse("/node/dataInterface", "1", "node.dataInterface", "must be a string, got 1"),
            refuse("/node/snatAddress", null, "node.snatAddress", "is required"),
            refuse("/node/snatAddress", "\"198.18.0.010\"", "node.snatAddress", IPV4 + ", got \"198.18.0.010\""),
            refuse("/node/snatAddress", "\"198.18.0.256\"", "node.snatAddress", IPV4 + ", got \"198.18.0.256\""),
            refuse("/node/snatAddress", "\"2001:db8::1\"", "node.snatAddress", IPV4 + ", got \"2001:db8::1\""),
            refuse("/node/snatAddress", "\"127.0.0.1\"", "node.snatAddress", UNICAST + ", got \"127.0.0.1\""),
            refuse("/node/snatAddress", "3322", "node.snatAddress", "must be a string, got 3322"),
            refuse("/node/workers", "0", "node.workers", "must be from 1 to 64, got 0"),
            refuse("/node/pair", "1", "node.pair", "must be an object, got 1"),
            refuse("/node/pair/peerAddress", null, "node.pair.peerAddress", "is required"),
            refuse("/node/pair/peerAddress", "\"224.0.0.18\"", "node.pair.peerAddress",
                UNICAST + ", got \"224.0.0.18\""),
            refuse("/node/pair/peerAddress", "\"198.18.0.200\"", "node.pair.peerAddress",
                "must be the peer node's own address, not the SNAT address, got \"198.18.0.200\""),
            refuse("/node/pair/routerId", null, "node.pair.routerId", "is required"),
            refuse("/node/pair/routerId", "0", "node.pair.routerId", "must be from 1 to 255, got 0"),
            refuse("/node/pair/priority", "255", "node.pair.priority", "must be from 1 to 254, got 255"),
            refuse("/node/pair/advertisementInterval", "4096", "node.pair.advertisementInterval",
                "must be from 1 to 4095, got 4096"),
            refuse("/node/pair/preempt", "\"yes\"", "node.pair.preempt", "must be a boolean, got \"yes\""),
            refuse("/node/pair/syncPort", "0", "node.pair.syncPort", PORT + ", got 0"),
            refuse("/node/pair/key", "\"0011\"", "node.pair.key",
                "must be an even number of 32 to 128 hexadecimal digits, got 4 characters"),
            refuse("/node/pair/key", "\"zz112233445566778899aabbccddeeff\"", "node.pair.key",
                "must be an even number of 32 to 128 hexadecimal digits, got 32 characters"),
            refuse("/node/maxConnections", "0", "node.maxConnections", "must be from 1 to 1500000, got 0"),
            refuse("/node/maxConnections", "1500001", "node.maxConnections",
                "must be from 1 to 1500000, got 1500001"),
            refuse("/node/workers", "65", "node.workers", "must be from 1 to 64, got 65"),
            refuse("/node/workers", "1.5", "node.workers", "must be an integer, got 1.5"),
            refuse("/node/workers", "\"2\"", "node.workers", "must be an integer, got \"2\""),
            refuse("/node/adminSocket", "\"run/admin.sock\"", "node.adminSocket",
                "must be an absolute path, got \"run/admin.sock\""),
            refuse("/node/stateDirectory", "\"\"", "node.stateDirectory", "must be an absolute path, got \"\""),
            refuse("/node/countersFile", "\"/dev/shm/\\u0000x\"", "node.countersFile",
                "must be an absolute path, got \"/dev/shm/\\u0000x\": Nul character not allowed"),
            refuse("/node/countersFile", "[]", "node.countersFile", "must be a string, got []"),
            refuse(LB + "/externalAddress", "\"198.18.0.200\"", "loadBalancer.externalAddress",
                "must differ from node.snatAddress, got \"198.18.0.200\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("loadBalancerRules")
    void shouldRefuseLoadBalancer(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> loadBalancerRules()
    {
        return Stream.of(
            refuse(LB, null, "loadBalancer", "is required"),
            refuse(LB, "[]", "loadBalancer", "must be an object, got []"),
            refuse(LB + "/name", null, "loadBalancer.name", "is required"),
            refuse(LB + "/name", "\"My_LB\"", "loadBalancer.name", NAME + ", got \"My_LB\"; " + NAME_HINT),
            refuse(LB + "/name", "\"-lb\"", "loadBalancer.name", NAME + ", got \"-lb\"; " + NAME_HINT),
            refuse(LB + "/name", "\"lb-\"", "loadBalancer.name", NAME + ", got \"lb-\"; " + NAME_HINT),
            refuse(LB + "/name", "\"" + "a".repeat(64) + "\"", "loadBalancer.name",
                NAME + ", got \"" + "a".repeat(64) + "\"; " + NAME_HINT),
            refuse(LB + "/name", "\"lb\\n\"", "loadBalancer.name", NAME + ", got \"lb\\n\"; " + NAME_HINT),
            refuse(LB + "/name", "\"" + "a".repeat(200) + "\"", "loadBalancer.name",
                NAME + ", got \"" + "a".repeat(79) + "...; " + NAME_HINT),
            refuse(LB + "/externalAddress", null, "loadBalancer.externalAddress", "is required"),
            refuse(LB + "/externalAddress", "\"198.18.0\"", "loadBalancer.externalAddress",
                IPV4 + ", got \"198.18.0\""),
            refuse(LB + "/externalAddress", "\"198.18.0.0100\"", "loadBalancer.externalAddress",
                IPV4 + ", got \"198.18.0.0100\""),
            refuse(LB + "/externalAddress", "\"224.0.0.18\"", "loadBalancer.externalAddress",
                UNICAST + ", got \"224.0.0.18\""),
            refuse(LB + "/externalAddress", "\"0.0.0.0\"", "loadBalancer.externalAddress",
                UNICAST + ", got \"0.0.0.0\""),
            refuse(LB + "/planId", "\"p100\"", "loadBalancer.planId",
                "must be one of p10, p50, p250, p750, p1500, got \"p100\""),
            refuse(LB + "/planId", "\"P10\"", "loadBalancer.planId",
                "must be one of p10, p50, p250, p750, p1500, got \"P10\""),
            refuse(LB + "/planId", "10", "loadBalancer.planId", "must be a string, got 10"),
            refuse(LB + "/version", "7", "loadBalancer.version", "must be a string, got 7"),
            refuse(LB + "/labels/stackit-owner", "\"me\"", "loadBalancer.labels[\"stackit-owner\"]",
                "key must not start with 'stackit-': such labels are reserved to the system, " +
                "got \"stackit-owner\""),
            refuse(LB + "/labels/-bad", "\"x\"", "loadBalancer.labels[\"-bad\"]",
                "key must be 1 to 63 characters of a-z, A-Z, 0-9, '-', '_' and '.', starting and ending with " +
                "a-z, A-Z or 0-9, got \"-bad\""),
            refuse(LB + "/labels/environment", "5", "loadBalancer.labels.environment", "must be a string, got 5"),
            refuse(LB + "/labels/environment", "\"bad value\"", "loadBalancer.labels.environment",
                "value must be empty or 1 to 63 characters of a-z, A-Z, 0-9, '-', '_' and '.', starting and " +
                "ending with a-z, A-Z or 0-9, got \"bad value\""),
            refuse(LB + "/labels", "[]", "loadBalancer.labels", "must be an object, got []"),
            refuse(LB + "/options/ephemeralAddress", "true", "loadBalancer.options.ephemeralAddress",
                "must be false: Tandem serves a fixed externalAddress, got true"),
            refuse(LB + "/options/ephemeralAddress", "\"no\"", "loadBalancer.options.ephemeralAddress",
                "must be a boolean, got \"no\""),
            refuse(LB + "/options/privateNetworkOnly", "true", "loadBalancer.options.privateNetworkOnly",
                "must be false: Tandem serves the externalAddress of the data interface, got true"),
            refuse(LB + "/options/observability", "{\"metrics\": {\"pushUrl\": \"https://push.example\"}}",
                "loadBalancer.options.observability.metrics", "is not supported: Tandem exposes Prometheus " +
                "metrics and logs to the journal instead of pushing them"),
            refuse(LB + "/options", "[]", "loadBalancer.options", "must be an object, got []"),
            refuse(LB + "/networks", "[{\"networkId\": \"2028e5d4-af4f-45e2-98df-502be37a4317\", " +
                "\"role\": \"ROLE_LISTENERS\"}]", "loadBalancer.networks[0].role",
                "must be ROLE_LISTENERS_AND_TARGETS: Tandem serves listeners and targets through one data " +
                "interface, ROLE_LISTENERS is not supported"),
            refuse(LB + "/networks", "[{\"role\": \"LISTENERS\"}]", "loadBalancer.networks[0].role",
                "must be ROLE_LISTENERS_AND_TARGETS: Tandem serves listeners and targets through one data " +
                "interface, got \"LISTENERS\""),
            refuse(LB + "/networks", "[{\"networkId\": \"net-1\"}]", "loadBalancer.networks[0].networkId",
                "must match ^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$, " +
                "got \"net-1\"; a version 4 UUID in lower case"),
            refuse(LB + "/networks", "[{}, {}]", "loadBalancer.networks", "must have at most 1 network: Tandem " +
                "serves listeners and targets through one data interface, got 2"),
            refuse(LB + "/status", "5", "loadBalancer.status", "must be a string, got 5"),
            refuse(LB + "/errors", "{}", "loadBalancer.errors", "must be an array, got {}"),
            refuse(LB + "/targetSecurityGroup", "\"sg\"", "loadBalancer.targetSecurityGroup",
                "must be an object, got \"sg\""),
            refuse(LB + "/disableTargetSecurityGroupAssignment", "\"false\"",
                "loadBalancer.disableTargetSecurityGroupAssignment", "must be a boolean, got \"false\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("listenerRules")
    void shouldRefuseListener(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> listenerRules()
    {
        final String port = "loadBalancer.listeners[0].port";
        final String protocol = "loadBalancer.listeners[0].protocol";
        final String idle = "loadBalancer.listeners[0].tcp.idleTimeout";
        return Stream.of(
            refuse(LB + "/listeners", "{}", "loadBalancer.listeners", "must be an array, got {}"),
            refuse(L0, "42", "loadBalancer.listeners[0]", "must be an object, got 42"),
            refuse(L0 + "/port", null, port, "is required"),
            refuse(L0 + "/port", "null", port, "is required"),
            refuse(L0 + "/port", "0", port, PORT + ", got 0"),
            refuse(L0 + "/port", "65536", port, PORT + ", got 65536"),
            refuse(L0 + "/port", "4294967739", port, PORT + ", got 4294967739"),
            refuse(L0 + "/port", "\"443\"", port, "must be an integer, got \"443\""),
            refuse(L0 + "/port", "443.0", port, "must be an integer, got 443.0"),
            refuse(LB + "/listeners/1/port", "443", "loadBalancer.listeners[1].port",
                "must differ from the port of every other listener, port 443 is already used by " +
                "loadBalancer.listeners[0]"),
            refuse(L0 + "/protocol", null, protocol, "is required"),
            refuse(L0 + "/protocol", "\"PROTOCOL_UDP\"", protocol,
                "must be PROTOCOL_TCP, Tandem serves only TCP; PROTOCOL_UDP is not supported"),
            refuse(L0 + "/protocol", "\"PROTOCOL_TCP_PROXY\"", protocol,
                "must be PROTOCOL_TCP, Tandem serves only TCP; PROTOCOL_TCP_PROXY is not supported"),
            refuse(L0 + "/protocol", "\"PROTOCOL_TLS_PASSTHROUGH\"", protocol,
                "must be PROTOCOL_TCP, Tandem serves only TCP; PROTOCOL_TLS_PASSTHROUGH is not supported"),
            refuse(L0 + "/protocol", "\"PROTOCOL_UNSPECIFIED\"", protocol,
                "must be PROTOCOL_TCP, Tandem serves only TCP; PROTOCOL_UNSPECIFIED is not supported"),
            refuse(L0 + "/protocol", "\"tcp\"", protocol, "must be PROTOCOL_TCP, got \"tcp\""),
            refuse(L0 + "/targetPool", null, "loadBalancer.listeners[0].targetPool", "is required"),
            refuse(L0 + "/targetPool", "\"nope\"", "loadBalancer.listeners[0].targetPool",
                "must name a target pool of this load balancer, no pool in targetPools is named \"nope\""),
            refuse(L0 + "/displayName", "5", "loadBalancer.listeners[0].displayName", "must be a string, got 5"),
            refuse(L0 + "/name", "5", "loadBalancer.listeners[0].name", "must be a string, got 5"),
            refuse(L0 + "/tcp", "\"300s\"", "loadBalancer.listeners[0].tcp", "must be an object, got \"300s\""),
            refuse(L0 + "/tcp/idleTimeout", "\"3601s\"", idle, "must be at most 3600s, got \"3601s\""),
            refuse(L0 + "/tcp/idleTimeout", "\"3600.000000001s\"", idle,
                "must be at most 3600s, got \"3600.000000001s\""),
            refuse(L0 + "/tcp/idleTimeout", "\"0s\"", idle, "must be positive, got \"0s\""),
            refuse(L0 + "/tcp/idleTimeout", "\"-5s\"", idle, "must be positive, got \"-5s\""),
            refuse(L0 + "/tcp/idleTimeout", "\"5m\"", idle, DURATION + ", got \"5m\""),
            refuse(L0 + "/tcp/idleTimeout", "\"300\"", idle, DURATION + ", got \"300\""),
            refuse(L0 + "/tcp/idleTimeout", "300", idle, "must be a string, got 300"),
            refuse(L0 + "/udp", "{}", "loadBalancer.listeners[0].udp", "must be absent: Tandem serves only TCP"),
            refuse(L0 + "/serverNameIndicators", "[{\"name\": \"shop.example\"}]",
                "loadBalancer.listeners[0].serverNameIndicators", "must be empty: Tandem forwards TCP without " +
                "looking at TLS server names, got [{\"name\":\"shop.example\"}]"));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("targetPoolRules")
    void shouldRefuseTargetPool(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> targetPoolRules()
    {
        final String ip = "loadBalancer.targetPools[0].targets[0].ip";
        final String targetName = "must match ^[0-9a-zA-Z](?:(?:[0-9a-zA-Z]|-){0,61}[0-9a-zA-Z])?$";
        final String targetHint = "1 to 63 of 0-9, a-z, A-Z and '-', starting and ending with 0-9, a-z or A-Z";
        final String hc = "loadBalancer.targetPools[1].activeHealthCheck";
        final String http = hc + ".httpHealthChecks";
        return Stream.of(
            refuse(LB + "/targetPools", "\"web\"", "loadBalancer.targetPools", "must be an array, got \"web\""),
            refuse(P0 + "/name", null, "loadBalancer.targetPools[0].name", "is required"),
            arguments("pool and listener renamed to web.tls", edit(P0 + "/name", "\"web.tls\"")
                .andThen(edit(L0 + "/targetPool", "\"web.tls\"")), "loadBalancer.targetPools[0].name",
                "loadBalancer.targetPools[0].name: " + NAME + ", got \"web.tls\"; " + NAME_HINT),
            refuse(P0 + "/name", "5", "loadBalancer.targetPools[0].name", "must be a string, got 5"),
            refuse(P0, "[]", "loadBalancer.targetPools[0]", "must be an object, got []"),
            refuse(P0 + "/targetPort", null, "loadBalancer.targetPools[0].targetPort", "is required"),
            refuse(P0 + "/targetPort", "0", "loadBalancer.targetPools[0].targetPort", PORT + ", got 0"),
            refuse(P0 + "/targetPort", "65536", "loadBalancer.targetPools[0].targetPort", PORT + ", got 65536"),
            refuse(P0 + "/targets", null, "loadBalancer.targetPools[0].targets",
                "is required: a target pool needs at least 1 target"),
            refuse(P0 + "/targets", "[]", "loadBalancer.targetPools[0].targets",
                "must have at least 1 target, got none"),
            refuse(P0 + "/targets", "{}", "loadBalancer.targetPools[0].targets", "must be an array, got {}"),
            refuse(T0, "\"198.18.1.11\"", "loadBalancer.targetPools[0].targets[0]",
                "must be an object, got \"198.18.1.11\""),
            refuse(T0 + "/ip", null, ip, "is required"),
            refuse(T0 + "/ip", "\"198.18.1.011\"", ip, IPV4 + ", got \"198.18.1.011\""),
            refuse(T0 + "/ip", "\"198.18.1.11/32\"", ip, IPV4 + ", got \"198.18.1.11/32\""),
            refuse(T0 + "/ip", "\"255.255.255.255\"", ip, UNICAST + ", got \"255.255.255.255\""),
            refuse(T0 + "/ip", "\"198.18.0.100\"", ip,
                "must differ from the load balancer's externalAddress, got \"198.18.0.100\""),
            refuse(T0 + "/ip", "\"198.18.0.200\"", ip, "must differ from node.snatAddress, got \"198.18.0.200\""),
            refuse(P0 + "/targets/2/ip", "\"198.18.1.11\"", "loadBalancer.targetPools[0].targets[2].ip",
                "must be unique within the target pool, 198.18.1.11 is already the address of " +
                "loadBalancer.targetPools[0].targets[0]"),
            refuse(T0 + "/displayName", null, "loadBalancer.targetPools[0].targets[0].displayName", "is required"),
            refuse(T0 + "/displayName", "\"web_1\"", "loadBalancer.targetPools[0].targets[0].displayName",
                targetName + ", got \"web_1\"; " + targetHint),
            refuse(HC, "true", hc, "must be an object, got true"),
            refuse(HC + "/healthyThreshold", "0", hc + ".healthyThreshold", "must be from 1 to 1000000, got 0"),
            refuse(HC + "/unhealthyThreshold", "1000001", hc + ".unhealthyThreshold",
                "must be from 1 to 1000000, got 1000001"),
            refuse(HC + "/interval", "\"0s\"", hc + ".interval", "must be positive, got \"0s\""),
            refuse(HC + "/interval", "\"5\"", hc + ".interval", DURATION + ", got \"5\""),
            refuse(HC + "/timeout", "\"-1s\"", hc + ".timeout", "must be positive, got \"-1s\""),
            refuse(HC + "/intervalJitter", "\"-0.5s\"", hc + ".intervalJitter", "must not be negative, got \"-0.5s\""),
            refuse(HC + "/interval", "\"3600.5s\"", hc + ".interval", "must be at most 3600s, got \"3600.5s\""),
            refuse(HC + "/timeout", "\"999999999999s\"", hc + ".timeout",
                "must be at most 3600s, got \"999999999999s\""),
            refuse(HC + "/intervalJitter", "\"3601s\"", hc + ".intervalJitter", "must be at most 3600s, got \"3601s\""),
            refuse(HC + "/altPort", "0", hc + ".altPort", PORT + ", got 0"),
            refuse(HC + "/altPort", "70000", hc + ".altPort", PORT + ", got 70000"),
            refuse(HTTP + "/path", null, http + ".path", "is required"),
            refuse(HTTP + "/path", "\"healthz\"", http + ".path",
                "must be an HTTP path: starting with '/', printable ASCII without spaces, got \"healthz\""),
            refuse(HTTP + "/path", "\"/health z\"", http + ".path",
                "must be an HTTP path: starting with '/', printable ASCII without spaces, got \"/health z\""),
            refuse(HTTP + "/okStatuses", "[\"302\"]", http + ".okStatuses[0]",
                "must be an HTTP status from \"200\" to \"299\", got \"302\""),
            refuse(HTTP + "/okStatuses", "[\"2xx\"]", http + ".okStatuses[0]",
                "must be an HTTP status from \"200\" to \"299\", got \"2xx\""),
            refuse(HTTP + "/okStatuses", "[200]", http + ".okStatuses[0]", "must be a string, got 200"),
            refuse(HTTP + "/okStatuses", "[\"200\", \"200\"]", http + ".okStatuses[1]",
                "must not repeat a status, got \"200\""),
            refuse(HTTP + "/tls", "{\"enabled\": false}", http + ".tls",
                "must be absent: Tandem's HTTP health checks speak plain HTTP"),
            refuse(LB + "/targetPools/2/sessionPersistence/useSourceIpAddress", "\"yes\"",
                "loadBalancer.targetPools[2].sessionPersistence.useSourceIpAddress", "must be a boolean, got \"yes\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("accessControlRules")
    void shouldRefuseSourceRange(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> accessControlRules()
    {
        final String range = "loadBalancer.options.accessControl.allowedSourceRanges[0]";
        return Stream.of(
            refuse(RANGE0, "\"198.18.1.0/16\"", range, "must have no address bits set beyond the prefix length, " +
                "got \"198.18.1.0/16\"; the range is 198.18.0.0/16"),
            refuse(RANGE0, "\"198.18.0.1/0\"", range, "must have no address bits set beyond the prefix length, " +
                "got \"198.18.0.1/0\"; the range is 0.0.0.0/0"),
            refuse(RANGE0, "\"198.18.0.0/33\"", range, CIDR + ", got \"198.18.0.0/33\""),
            refuse(RANGE0, "\"198.18.0.0\"", range, CIDR + ", got \"198.18.0.0\""),
            refuse(RANGE0, "\"198.18.0.0/\"", range, CIDR + ", got \"198.18.0.0/\""),
            refuse(RANGE0, "\"198.18.0.0/08\"", range, CIDR + ", got \"198.18.0.0/08\""),
            refuse(RANGE0, "\"198.18.0.0/+8\"", range, CIDR + ", got \"198.18.0.0/+8\""),
            refuse(RANGE0, "\"198.18.0.0/24 \"", range, CIDR + ", got \"198.18.0.0/24 \""),
            refuse(RANGE0, "\"198.18.00.0/16\"", range, CIDR + ", got \"198.18.00.0/16\""),
            refuse(RANGE0, "\"198.18.0.0/16/16\"", range, CIDR + ", got \"198.18.0.0/16/16\""),
            refuse(RANGE0, "\"2001:db8::/32\"", range, CIDR + ", got \"2001:db8::/32\""),
            refuse(RANGE0, "42", range, "must be a string, got 42"),
            refuse(LB + "/options/accessControl/allowedSourceRanges", "\"198.18.0.0/24\"",
                "loadBalancer.options.accessControl.allowedSourceRanges", "must be an array, got \"198.18.0.0/24\""));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("unknownFields")
    void shouldRefuseUnknownFieldsAtEveryDepth(
        final String name, final Consumer<ObjectNode> edit, final String path, final String message)
    {
        shouldRefuse(edit, path, message);
    }

    static Stream<Arguments> unknownFields()
    {
        final String unknown = "is not a known field, ";
        return Stream.of(
            refuse("/nodes", "{}", "nodes", unknown + "the configuration file has: node, loadBalancer"),
            refuse("/node/worker", "2", "node.worker", unknown + "the node section has: dataInterface, " +
                "snatAddress, workers, adminSocket, stateDirectory, countersFile, maxConnections, pair"),
            refuse("/node/data interface", "\"eth1\"", "node[\"data interface\"]", unknown + "the node section " +
                "has: dataInterface, snatAddress, workers, adminSocket, stateDirectory, countersFile, maxConnections, " +
                "pair"),
            refuse("/node/pair/peer", "\"198.18.0.11\"", "node.pair.peer", unknown + "the pair section has: " +
                "peerAddress, routerId, priority, advertisementInterval, preempt, key, syncPort"),
            refuse(LB + "/listener", "[]", "loadBalancer.listener", unknown + "LoadBalancer has: " +
                "disableTargetSecurityGroupAssignment, errors, externalAddress, labels, listeners, " +
                "loadBalancerSecurityGroup, name, networks, options, planId, privateAddress, region, status, " +
                "targetPools, targetSecurityGroup, version"),
            refuse(L0 + "/vip", "\"198.18.0.100\"", "loadBalancer.listeners[0].vip", unknown + "Listener has: " +
                "displayName, name, port, protocol, serverNameIndicators, targetPool, tcp, udp"),
            refuse(L0 + "/tcp/idleTimout", "\"5s\"", "loadBalancer.listeners[0].tcp.idleTimout",
                unknown + "OptionsTCP has: idleTimeout"),
            refuse(P0 + "/algorithm", "\"maglev\"", "loadBalancer.targetPools[0].algorithm", unknown +
                "TargetPool has: activeHealthCheck, name, sessionPersistence, targetPort, targets"),
            refuse(T0 + "/weight", "1", "loadBalancer.targetPools[0].targets[0].weight",
                unknown + "Target has: displayName, ip"),
            refuse(HC + "/retries", "1", "loadBalancer.targetPools[1].activeHealthCheck.retries", unknown +
                "ActiveHealthCheck has: altPort, healthyThreshold, httpHealthChecks, interval, intervalJitter, " +
                "timeout, unhealthyThreshold"),
            refuse(HTTP + "/okStatus", "[]", "loadBalancer.targetPools[1].activeHealthCheck.httpHealthChecks" +
                ".okStatus", unknown + "HttpHealthChecks has: okStatuses, path, tls"),
            refuse(LB + "/targetPools/2/sessionPersistence/useSourceIp", "true",
                "loadBalancer.targetPools[2].sessionPersistence.useSourceIp",
                unknown + "SessionPersistence has: useSourceIpAddress"),
            refuse(LB + "/options/accessControl/deniedSourceRanges", "[]",
                "loadBalancer.options.accessControl.deniedSourceRanges",
                unknown + "LoadbalancerOptionAccessControl has: allowedSourceRanges"),
            refuse(LB + "/options/logs", "{}", "loadBalancer.options.logs", unknown + "LoadBalancerOptions has: " +
                "accessControl, ephemeralAddress, observability, privateNetworkOnly"));
    }

    private static void shouldRefuse(final Consumer<ObjectNode> edit, final String path, final String message)
    {
        final ObjectNode tree = example();
        edit.accept(tree);
        assertRefused(tree.toString(), path, message);
    }
}
