package io.tandem.control.config;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.snapshot.Plan;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads and validates a configuration from JSON: the node file ({@link #parse(String)}), a STACKIT
 * {@code LoadBalancer} payload alone ({@link #parseLoadBalancer(String)}) or a {@code TargetPool} payload alone
 * ({@link #parseTargetPool(String)}). Defaults are filled in, so the result is complete.
 * <p>
 * Every check runs, and all violations are reported together in one {@link ConfigException}, each naming the JSON
 * path of its field and the rule it breaks. Unknown fields, wrong JSON types and malformed JSON (with line and
 * column) are violations too; a JSON {@code null} counts as an absent field, as in the protobuf JSON mapping the API
 * is built on. The fields of the API that Tandem does not serve are listed, with what happens to each, in the
 * package documentation. Stateless and thread-safe.
 */
public final class ConfigReader
{
    // The spec's patterns, verbatim. matches() is used, so "$" cannot let a trailing line break through.
    static final String NAME_PATTERN = "^[0-9a-z](?:(?:[0-9a-z]|-){0,61}[0-9a-z])?$";
    static final String TARGET_NAME_PATTERN = "^[0-9a-zA-Z](?:(?:[0-9a-zA-Z]|-){0,61}[0-9a-zA-Z])?$";
    static final String NETWORK_ID_PATTERN =
        "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";
    // The label rules of the spec's description, as patterns.
    static final String LABEL_KEY_PATTERN = "^[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?$";
    static final String LABEL_VALUE_PATTERN = "^(?:[a-zA-Z0-9](?:[a-zA-Z0-9._-]{0,61}[a-zA-Z0-9])?)?$";

    private static final Pattern NAME = Pattern.compile(NAME_PATTERN);
    private static final Pattern TARGET_NAME = Pattern.compile(TARGET_NAME_PATTERN);
    private static final Pattern NETWORK_ID = Pattern.compile(NETWORK_ID_PATTERN);
    private static final Pattern LABEL_KEY = Pattern.compile(LABEL_KEY_PATTERN);
    private static final Pattern LABEL_VALUE = Pattern.compile(LABEL_VALUE_PATTERN);
    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    private static final String NAME_HINT = "1 to 63 of 0-9, a-z and '-', starting and ending with 0-9 or a-z";
    private static final String TARGET_NAME_HINT =
        "1 to 63 of 0-9, a-z, A-Z and '-', starting and ending with 0-9, a-z or A-Z";
    private static final String RESERVED_LABEL_PREFIX = "stackit-";
    private static final int LINUX_IFNAMSIZ = 16;
    private static final int MAX_PORT = 65535;
    private static final int MAX_DETAIL_CHARS = 80;

    /** Every protocol of the spec's enum; all but {@code PROTOCOL_TCP} are refused with their own message. */
    private static final List<String> API_PROTOCOLS = List.of(
        "PROTOCOL_UNSPECIFIED", "PROTOCOL_TCP", "PROTOCOL_UDP", "PROTOCOL_TCP_PROXY", "PROTOCOL_TLS_PASSTHROUGH");
    private static final List<String> NETWORK_ROLES = List.of(
        "ROLE_UNSPECIFIED", "ROLE_LISTENERS_AND_TARGETS", "ROLE_LISTENERS", "ROLE_TARGETS");
    private static final String ONE_ARM_ROLE = "ROLE_LISTENERS_AND_TARGETS";

    // The fields each object may have, in the spec's order; the message for an unknown field lists them.
    private static final List<String> FILE_FIELDS = List.of("node", "loadBalancer");
    private static final List<String> NODE_FIELDS = List.of(
        "dataInterface", "snatAddress", "workers", "adminSocket", "stateDirectory", "countersFile", "maxConnections",
        "pair");
    private static final List<String> PAIR_FIELDS = List.of(
        "peerAddress", "routerId", "priority", "advertisementInterval", "preempt", "key", "syncPort");
    private static final List<String> LOAD_BALANCER_FIELDS = List.of(
        "disableTargetSecurityGroupAssignment", "errors", "externalAddress", "labels", "listeners",
        "loadBalancerSecurityGroup", "name", "networks", "options", "planId", "privateAddress", "region", "status",
        "targetPools", "targetSecurityGroup", "version");
    private static final List<String> LISTENER_FIELDS = List.of(
        "displayName", "name", "port", "protocol", "serverNameIndicators", "targetPool", "tcp", "udp");
    private static final List<String> TCP_FIELDS = List.of("idleTimeout");
    private static final List<String> POOL_FIELDS = List.of(
        "activeHealthCheck", "name", "sessionPersistence", "targetPort", "targets");
    private static final List<String> TARGET_FIELDS = List.of("displayName", "ip");
    private static final List<String> HEALTH_CHECK_FIELDS = List.of(
        "altPort", "healthyThreshold", "httpHealthChecks", "interval", "intervalJitter", "timeout",
        "unhealthyThreshold");
    private static final List<String> HTTP_CHECK_FIELDS = List.of("okStatuses", "path", "tls");
    private static final List<String> PERSISTENCE_FIELDS = List.of("useSourceIpAddress");
    private static final List<String> OPTIONS_FIELDS = List.of(
        "accessControl", "ephemeralAddress", "observability", "privateNetworkOnly");
    private static final List<String> ACCESS_CONTROL_FIELDS = List.of("allowedSourceRanges");
    private static final List<String> OBSERVABILITY_FIELDS = List.of("logs", "metrics");
    private static final List<String> NETWORK_FIELDS = List.of("networkId", "role");

    private static final JsonMapper MAPPER = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();

    private ConfigReader()
    {
    }

    /**
     * Reads a node's configuration file: {@code {"node": {...}, "loadBalancer": {...}}}.
     *
     * @param json the file's text.
     * @return the configuration, defaults filled in.
     * @throws ConfigException carrying every violation; paths start with {@code node.} or {@code loadBalancer.}.
     */
    public static TandemConfig parse(final String json)
    {
        final Walk walk = new Walk();
        final ObjectNode root = walk.object(walk.document(json), "", "the configuration file", FILE_FIELDS);
        TandemConfig config = null;
        if (null != root)
        {
            final NodeConfig node = walk.node(walk.required(root, "node", ""), "node");
            final Integer snatIp = null == node ? null : node.snatIp();
            final LoadBalancerConfig loadBalancer =
                walk.loadBalancer(walk.required(root, "loadBalancer", ""), "loadBalancer", snatIp);
            if (null != node && null != loadBalancer)
            {
                config = new TandemConfig(node, loadBalancer);
            }
        }
        return walk.result(config);
    }

    /**
     * Reads a STACKIT {@code LoadBalancer} payload, as the admin API receives it.
     *
     * @param json the payload's text.
     * @return the load balancer, defaults filled in.
     * @throws ConfigException carrying every violation; paths are relative to the payload, e.g. {@code listeners[0]}.
     */
    public static LoadBalancerConfig parseLoadBalancer(final String json)
    {
        final Walk walk = new Walk();
        final JsonNode document = walk.document(json);
        return walk.result(null == document ? null : walk.loadBalancer(document, "", null));
    }

    /**
     * Reads a STACKIT {@code TargetPool} payload, as the admin API receives it to replace one pool. Whether the pool
     * fits its load balancer (its name exists, no target is the VIP) is for the caller to check, for example by
     * reading the whole load balancer with the pool replaced.
     *
     * @param json the payload's text.
     * @return the target pool, defaults filled in.
     * @throws ConfigException carrying every violation; paths are relative to the payload, e.g. {@code targets[0]}.
     */
    public static TargetPoolConfig parseTargetPool(final String json)
    {
        final Walk walk = new Walk();
        final JsonNode document = walk.document(json);
        return walk.result(null == document ? null : walk.targetPool(document, "", null, null, null));
    }

    /**
     * One reading: walks the tree, fills defaults and collects violations. A method returns null for a part with a
     * violation, so that records are only built from valid parts; cross-field checks skip what is null.
     */
    private static final class Walk
    {
        private final List<ConfigViolation> violations = new ArrayList<>();

        <T> T result(final T value)
        {
            if (!violations.isEmpty())
            {
                throw new ConfigException(violations);
            }
            return value;
        }

        JsonNode document(final String json)
        {
            try (JsonParser parser = MAPPER.createParser(json))
            {
                final JsonNode node = MAPPER.readTree(parser);
                if (null == node || node.isMissingNode())
                {
                    violate("", "must be a JSON document", "the text is empty");
                    return null;
                }
                if (null != parser.nextToken())
                {
                    violate("", "must be well-formed JSON", where(parser.currentTokenLocation()) +
                        "more content after the end of the document");
                    return null;
                }
                return node;
            }
            catch (final JsonProcessingException ex)
            {
                violate("", "must be well-formed JSON", where(ex.getLocation()) + ex.getOriginalMessage());
                return null;
            }
            catch (final IOException ex)
            {
                // Reading from a String does no I/O; this is not expected to happen.
                throw new UncheckedIOException(ex);
            }
        }

        private static String where(final JsonLocation at)
        {
            return null == at ? "" : "at line " + at.getLineNr() + ", column " + at.getColumnNr() + ": ";
        }

        // ---- the node section ----------------------------------------------------------------------------------

        NodeConfig node(final JsonNode node, final String path)
        {
            final ObjectNode o = object(node, path, "the node section", NODE_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();
            final String dataInterface = interfaceName(requiredString(o, "dataInterface", path),
                field(path, "dataInterface"));
            final String snatAddress = requiredString(o, "snatAddress", path);
            unicastIpv4(snatAddress, field(path, "snatAddress"));
            final Integer workers = integer(o, "workers", path, NodeConfig.MIN_WORKERS, NodeConfig.MAX_WORKERS);
            final Path adminSocket = absolutePath(o, "adminSocket", path, NodeConfig.DEFAULT_ADMIN_SOCKET);
            final Path stateDirectory = absolutePath(o, "stateDirectory", path, NodeConfig.DEFAULT_STATE_DIRECTORY);
            final Path countersFile = absolutePath(o, "countersFile", path, NodeConfig.DEFAULT_COUNTERS_FILE);
            final Integer maxConnections = integer(o, "maxConnections", path, 1, Plan.P1500.maxConnections());
            final PairConfig pair = pair(o, path, snatAddress);
            if (violations.size() != before)
            {
                return null;
            }
            return new NodeConfig(dataInterface, snatAddress,
                null == workers ? NodeConfig.DEFAULT_WORKERS : workers, adminSocket, stateDirectory, countersFile,
                null == maxConnections ? NodeConfig.NO_LIMIT : maxConnections, pair);
        }

        private PairConfig pair(final ObjectNode node, final String parent, final String snatAddress)
        {
            final String path = field(parent, "pair");
            final ObjectNode o = optionalObject(node, "pair", parent, "the pair section", PAIR_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();
            final String peer = requiredString(o, "peerAddress", path);
            unicastIpv4(peer, field(path, "peerAddress"));
            if (null != peer && peer.equals(snatAddress))
            {
                violate(field(path, "peerAddress"), "must be the peer node's own address, not the SNAT address",
                    got(peer));
            }
            final Integer routerId = requiredInteger(o, "routerId", path, 1, 255);
            final Integer priority = integer(o, "priority", path, 1, 254);
            final Integer interval = integer(o, "advertisementInterval", path, 1, 4095);
            final Boolean preempt = bool(o, "preempt", path);
            final Integer syncPort = integer(o, "syncPort", path, 1, MAX_PORT);
            final String keyText = string(o, "key", path);
            byte[] key = null;
            if (null != keyText)
            {
                if (keyText.length() < PairConfig.MIN_KEY_HEX_DIGITS || keyText.length() > PairConfig.MAX_KEY_HEX_DIGITS ||
                    keyText.length() % 2 != 0 || !keyText.chars().allMatch(c -> Character.digit(c, 16) >= 0))
                {
                    // the key itself is never echoed into an error
                    violate(field(path, "key"), "must be an even number of " + PairConfig.MIN_KEY_HEX_DIGITS +
                        " to " + PairConfig.MAX_KEY_HEX_DIGITS + " hexadecimal digits",
                        "got " + keyText.length() + " characters");
                }
                else
                {
                    key = HexFormat.of().parseHex(keyText);
                }
            }
            if (violations.size() != before)
            {
                return null;
            }
            return new PairConfig(peer, routerId, null == priority ? PairConfig.DEFAULT_PRIORITY : priority,
                null == interval ? PairConfig.DEFAULT_ADVERT_INTERVAL_CS : interval, Boolean.TRUE.equals(preempt), key,
                null == syncPort ? PairConfig.DEFAULT_SYNC_PORT : syncPort);
        }

        private String interfaceName(final String name, final String path)
        {
            if (null == name)
            {
                return null;
            }
            // As the kernel's dev_valid_name(): shorter than IFNAMSIZ bytes, not "." or "..", no '/', ':' or space.
            final int bytes = name.getBytes(StandardCharsets.UTF_8).length;
            final String rule = "must be a Linux interface name: 1 to 15 bytes, not \".\" or \"..\", " +
                "without '/', ':', whitespace or control characters";
            if (bytes == 0 || bytes >= LINUX_IFNAMSIZ || name.equals(".") || name.equals("..") ||
                name.chars().anyMatch(c -> c == '/' || c == ':' || Character.isWhitespace(c) ||
                    Character.isISOControl(c) || Character.isSpaceChar(c)))
            {
                violate(path, rule, got(name));
                return null;
            }
            return name;
        }

        private Path absolutePath(final ObjectNode o, final String name, final String parent, final Path fallback)
        {
            final String path = field(parent, name);
            final String text = string(o, name, parent);
            if (null == text)
            {
                return fallback;
            }
            try
            {
                final Path value = Path.of(text);
                if (!value.isAbsolute())
                {
                    violate(path, "must be an absolute path", got(text));
                    return null;
                }
                return value;
            }
            catch (final InvalidPathException ex)
            {
                violate(path, "must be an absolute path", got(text) + ": " + ex.getReason());
                return null;
            }
        }

        // ---- the load balancer ---------------------------------------------------------------------------------

        LoadBalancerConfig loadBalancer(final JsonNode node, final String path, final Integer snatIp)
        {
            final ObjectNode o = object(node, path, "LoadBalancer", LOAD_BALANCER_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();

            final String name = pattern(requiredString(o, "name", path), field(path, "name"), NAME, NAME_PATTERN,
                NAME_HINT);
            final String externalAddress = requiredString(o, "externalAddress", path);
            Integer vip = unicastIpv4(externalAddress, field(path, "externalAddress"));
            if (null != vip && null != snatIp && vip.intValue() == snatIp.intValue())
            {
                violate(field(path, "externalAddress"), "must differ from node.snatAddress", got(externalAddress));
                vip = null;
            }

            final Map<String, Integer> poolIndex = new HashMap<>();
            final List<ListenerConfig> listeners = listeners(o, path);
            final List<TargetPoolConfig> pools = targetPools(o, path, vip, snatIp, poolIndex);
            if (poolNamesReadable(o))
            {
                resolveTargetPools(o, path, poolIndex);
            }

            final List<String> allowedSourceRanges = options(o, path);
            final Plan plan = plan(o, path);
            final Map<String, String> labels = labels(o, path);
            final String version = string(o, "version", path);
            networks(o, path);
            ignored(o, path);

            if (violations.size() != before)
            {
                return null;
            }
            return new LoadBalancerConfig(name, externalAddress, listeners, pools, allowedSourceRanges, plan, labels,
                version);
        }

        /** The fields a STACKIT payload carries that Tandem accepts and ignores; only their JSON type is checked. */
        private void ignored(final ObjectNode o, final String path)
        {
            bool(o, "disableTargetSecurityGroupAssignment", path);
            ofType(o, "errors", path, true);
            ofType(o, "loadBalancerSecurityGroup", path, false);
            ofType(o, "targetSecurityGroup", path, false);
            string(o, "privateAddress", path);
            string(o, "region", path);
            string(o, "status", path);
        }

        private Plan plan(final ObjectNode o, final String path)
        {
            final String planId = string(o, "planId", path);
            if (null == planId)
            {
                return Plan.DEFAULT;
            }
            try
            {
                return Plan.fromId(planId);
            }
            catch (final IllegalArgumentException ex)
            {
                violate(field(path, "planId"), "must be one of " +
                    Arrays.stream(Plan.values()).map(Plan::id).collect(Collectors.joining(", ")), got(planId));
                return null;
            }
        }

        private Map<String, String> labels(final ObjectNode o, final String parent)
        {
            final String path = field(parent, "labels");
            final JsonNode node = get(o, "labels");
            final Map<String, String> labels = new LinkedHashMap<>();
            if (null == node)
            {
                return labels;
            }
            if (!node.isObject())
            {
                violate(path, "must be an object", got(node));
                return labels;
            }
            if (node.size() > LoadBalancerConfig.MAX_LABELS)
            {
                violate(path, "must have at most " + LoadBalancerConfig.MAX_LABELS + " labels", "got " + node.size());
            }
            for (final Map.Entry<String, JsonNode> entry : node.properties())
            {
                final String key = entry.getKey();
                final String labelPath = field(path, key);
                if (!LABEL_KEY.matcher(key).matches())
                {
                    violate(labelPath, "key must be 1 to 63 characters of a-z, A-Z, 0-9, '-', '_' and '.', " +
                        "starting and ending with a-z, A-Z or 0-9", got(key));
                }
                else if (key.startsWith(RESERVED_LABEL_PREFIX))
                {
                    violate(labelPath, "key must not start with '" + RESERVED_LABEL_PREFIX +
                        "': such labels are reserved to the system", got(key));
                }
                final JsonNode value = entry.getValue();
                if (value.isNull())
                {
                    continue;
                }
                if (!value.isTextual())
                {
                    violate(labelPath, "must be a string", got(value));
                }
                else if (!LABEL_VALUE.matcher(value.textValue()).matches())
                {
                    violate(labelPath, "value must be empty or 1 to 63 characters of a-z, A-Z, 0-9, '-', '_' and " +
                        "'.', starting and ending with a-z, A-Z or 0-9", got(value));
                }
                else
                {
                    labels.put(key, value.textValue());
                }
            }
            return labels;
        }

        /** Refuses the options that ask for something Tandem does not do; returns the allowed source ranges. */
        private List<String> options(final ObjectNode o, final String parent)
        {
            final String path = field(parent, "options");
            final List<String> ranges = new ArrayList<>();
            final ObjectNode options = optionalObject(o, "options", parent, "LoadBalancerOptions", OPTIONS_FIELDS);
            if (null == options)
            {
                return ranges;
            }
            if (Boolean.TRUE.equals(bool(options, "ephemeralAddress", path)))
            {
                violate(field(path, "ephemeralAddress"), "must be false: Tandem serves a fixed externalAddress",
                    "got true");
            }
            if (Boolean.TRUE.equals(bool(options, "privateNetworkOnly", path)))
            {
                violate(field(path, "privateNetworkOnly"), "must be false: Tandem serves the externalAddress of the " +
                    "data interface", "got true");
            }
            final ObjectNode observability = optionalObject(options, "observability", path,
                "LoadbalancerOptionObservability", OBSERVABILITY_FIELDS);
            if (null != observability)
            {
                for (final String sink : OBSERVABILITY_FIELDS)
                {
                    if (null != get(observability, sink))
                    {
                        violate(field(field(path, "observability"), sink), "is not supported: Tandem exposes " +
                            "Prometheus metrics and logs to the journal instead of pushing them", null);
                    }
                }
            }
            final ObjectNode accessControl = optionalObject(options, "accessControl", path,
                "LoadbalancerOptionAccessControl", ACCESS_CONTROL_FIELDS);
            if (null == accessControl)
            {
                return ranges;
            }
            final String acPath = field(path, "accessControl");
            final ArrayNode array = array(accessControl, "allowedSourceRanges", acPath);
            if (null == array)
            {
                return ranges;
            }
            final String rangesPath = field(acPath, "allowedSourceRanges");
            for (int i = 0; i < array.size(); i++)
            {
                final String cidr = cidr(array.get(i), index(rangesPath, i));
                if (null != cidr)
                {
                    ranges.add(cidr);
                }
            }
            return ranges;
        }

        /** STACKIT's network references mean nothing to a node; only their shape and the one-arm role are checked. */
        private void networks(final ObjectNode o, final String parent)
        {
            final String path = field(parent, "networks");
            final ArrayNode networks = array(o, "networks", parent);
            if (null == networks)
            {
                return;
            }
            if (networks.size() > 1)
            {
                violate(path, "must have at most 1 network: Tandem serves listeners and targets through one data " +
                    "interface", "got " + networks.size());
            }
            for (int i = 0; i < networks.size(); i++)
            {
                final String networkPath = index(path, i);
                final ObjectNode network = object(networks.get(i), networkPath, "Network", NETWORK_FIELDS);
                if (null == network)
                {
                    continue;
                }
                pattern(string(network, "networkId", networkPath), field(networkPath, "networkId"), NETWORK_ID,
                    NETWORK_ID_PATTERN, "a version 4 UUID in lower case");
                final String role = string(network, "role", networkPath);
                if (null != role && !role.equals(ONE_ARM_ROLE))
                {
                    violate(field(networkPath, "role"), "must be " + ONE_ARM_ROLE + ": Tandem serves listeners " +
                        "and targets through one data interface",
                        NETWORK_ROLES.contains(role) ? role + " is not supported" : got(role));
                }
            }
        }

        // ---- listeners -----------------------------------------------------------------------------------------

        private List<ListenerConfig> listeners(final ObjectNode o, final String parent)
        {
            final String path = field(parent, "listeners");
            final List<ListenerConfig> listeners = new ArrayList<>();
            final ArrayNode array = array(o, "listeners", parent);
            if (null == array)
            {
                return listeners;
            }
            if (array.size() > LoadBalancerConfig.MAX_LISTENERS)
            {
                violate(path, "must have at most " + LoadBalancerConfig.MAX_LISTENERS + " listeners",
                    "got " + array.size());
            }
            final Map<Integer, Integer> portIndex = new HashMap<>();
            for (int i = 0; i < array.size(); i++)
            {
                final ListenerConfig listener = listener(array.get(i), index(path, i), portIndex, i);
                if (null != listener)
                {
                    listeners.add(listener);
                }
            }
            return listeners;
        }

        private ListenerConfig listener(
            final JsonNode node, final String path, final Map<Integer, Integer> portIndex, final int index)
        {
            final ObjectNode o = object(node, path, "Listener", LISTENER_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();
            final String displayName = string(o, "displayName", path);
            string(o, "name", path);

            final Integer port = requiredInteger(o, "port", path, 1, MAX_PORT);
            if (null != port)
            {
                // One address serves every listener, so two listeners on one port would be ambiguous.
                final Integer other = portIndex.putIfAbsent(port, index);
                if (null != other)
                {
                    violate(field(path, "port"), "must differ from the port of every other listener",
                        "port " + port + " is already used by " + index(parentOf(path), other));
                }
            }

            final String protocol = requiredString(o, "protocol", path);
            if (null != protocol && !protocol.equals(ListenerConfig.PROTOCOL_TCP))
            {
                violate(field(path, "protocol"), "must be " + ListenerConfig.PROTOCOL_TCP,
                    API_PROTOCOLS.contains(protocol) ?
                    "Tandem serves only TCP; " + protocol + " is not supported" : got(protocol));
            }
            requiredString(o, "targetPool", path);

            final ArrayNode sni = array(o, "serverNameIndicators", path);
            if (null != sni && !sni.isEmpty())
            {
                violate(field(path, "serverNameIndicators"), "must be empty: Tandem forwards TCP without " +
                    "looking at TLS server names", got(sni));
            }
            if (null != get(o, "udp"))
            {
                violate(field(path, "udp"), "must be absent: Tandem serves only TCP", null);
            }

            Duration idleTimeout = ListenerConfig.DEFAULT_IDLE_TIMEOUT;
            final ObjectNode tcp = optionalObject(o, "tcp", path, "OptionsTCP", TCP_FIELDS);
            if (null != tcp)
            {
                final String tcpPath = field(path, "tcp");
                final Duration given = duration(tcp, "idleTimeout", tcpPath);
                if (null != given)
                {
                    final String timeoutPath = field(tcpPath, "idleTimeout");
                    if (positive(given, timeoutPath) &&
                        atMost(given, ListenerConfig.MAX_IDLE_TIMEOUT, timeoutPath))
                    {
                        idleTimeout = given;
                    }
                }
            }
            if (violations.size() != before)
            {
                return null;
            }
            return new ListenerConfig(displayName, port, get(o, "targetPool").textValue(), idleTimeout);
        }

        /**
         * @return true when the name of every pool could be read, so that a reference that matches none is wrong
         * rather than possibly meant for a pool whose name is missing.
         */
        private static boolean poolNamesReadable(final ObjectNode o)
        {
            final JsonNode pools = get(o, "targetPools");
            if (null == pools)
            {
                return true;
            }
            if (!pools.isArray())
            {
                return false;
            }
            for (final JsonNode pool : pools)
            {
                if (!pool.isObject() || null == get((ObjectNode)pool, "name") || !pool.get("name").isTextual())
                {
                    return false;
                }
            }
            return true;
        }

        /** Every listener's {@code targetPool} must name a pool of the load balancer. */
        private void resolveTargetPools(final ObjectNode o, final String parent, final Map<String, Integer> pools)
        {
            final JsonNode listeners = get(o, "listeners");
            if (null == listeners || !listeners.isArray())
            {
                return;
            }
            for (int i = 0; i < listeners.size(); i++)
            {
                final JsonNode listener = listeners.get(i);
                final JsonNode pool = listener.isObject() ? get((ObjectNode)listener, "targetPool") : null;
                if (null != pool && pool.isTextual() && !pools.containsKey(pool.textValue()))
                {
                    violate(field(index(field(parent, "listeners"), i), "targetPool"),
                        "must name a target pool of this load balancer",
                        "no pool in targetPools is named " + quote(pool.textValue()));
                }
            }
        }

        // ---- target pools --------------------------------------------------------------------------------------

        private List<TargetPoolConfig> targetPools(
            final ObjectNode o, final String parent, final Integer vip, final Integer snatIp,
            final Map<String, Integer> poolIndex)
        {
            final String path = field(parent, "targetPools");
            final List<TargetPoolConfig> pools = new ArrayList<>();
            final ArrayNode array = array(o, "targetPools", parent);
            if (null == array)
            {
                return pools;
            }
            if (array.size() > LoadBalancerConfig.MAX_TARGET_POOLS)
            {
                violate(path, "must have at most " + LoadBalancerConfig.MAX_TARGET_POOLS + " target pools",
                    "got " + array.size());
            }
            for (int i = 0; i < array.size(); i++)
            {
                final TargetPoolConfig pool = targetPool(array.get(i), index(path, i), vip, snatIp, poolIndex);
                if (null != pool)
                {
                    pools.add(pool);
                }
            }
            return pools;
        }

        TargetPoolConfig targetPool(
            final JsonNode node, final String path, final Integer vip, final Integer snatIp,
            final Map<String, Integer> poolIndex)
        {
            final ObjectNode o = object(node, path, "TargetPool", POOL_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();
            final String rawName = requiredString(o, "name", path);
            final String name = pattern(rawName, field(path, "name"), NAME, NAME_PATTERN, NAME_HINT);
            // Listeners resolve against the name as written, even a malformed one, which is reported here already.
            if (null != rawName && null != poolIndex)
            {
                final Integer other = poolIndex.putIfAbsent(rawName, indexOf(path));
                if (null != other)
                {
                    violate(field(path, "name"), "must be unique among the target pools",
                        quote(rawName) + " is already the name of " + index(parentOf(path), other));
                }
            }
            final Integer targetPort = requiredInteger(o, "targetPort", path, 1, MAX_PORT);
            final List<TargetConfig> targets = targets(o, path, vip, snatIp);
            final ActiveHealthCheckConfig healthCheck = activeHealthCheck(o, path);

            boolean useSourceIpAddress = false;
            final ObjectNode persistence = optionalObject(o, "sessionPersistence", path, "SessionPersistence",
                PERSISTENCE_FIELDS);
            if (null != persistence)
            {
                useSourceIpAddress = Boolean.TRUE.equals(
                    bool(persistence, "useSourceIpAddress", field(path, "sessionPersistence")));
            }
            if (violations.size() != before)
            {
                return null;
            }
            return new TargetPoolConfig(name, targetPort, targets, healthCheck, useSourceIpAddress);
        }

        private List<TargetConfig> targets(
            final ObjectNode o, final String parent, final Integer vip, final Integer snatIp)
        {
            final String path = field(parent, "targets");
            final List<TargetConfig> targets = new ArrayList<>();
            final JsonNode present = get(o, "targets");
            final ArrayNode array = array(o, "targets", parent);
            if (null == present)
            {
                violate(path, "is required: a target pool needs at least " + TargetPoolConfig.MIN_TARGETS +
                    " target", null);
                return targets;
            }
            if (null == array)
            {
                return targets;
            }
            if (array.size() < TargetPoolConfig.MIN_TARGETS)
            {
                violate(path, "must have at least " + TargetPoolConfig.MIN_TARGETS + " target", "got none");
            }
            if (array.size() > TargetPoolConfig.MAX_TARGETS)
            {
                violate(path, "must have at most " + TargetPoolConfig.MAX_TARGETS + " targets",
                    "got " + array.size());
            }
            final Map<Integer, Integer> ipIndex = new HashMap<>();
            for (int i = 0; i < array.size(); i++)
            {
                final String targetPath = index(path, i);
                final ObjectNode target = object(array.get(i), targetPath, "Target", TARGET_FIELDS);
                if (null == target)
                {
                    continue;
                }
                final String displayName = pattern(requiredString(target, "displayName", targetPath),
                    field(targetPath, "displayName"), TARGET_NAME, TARGET_NAME_PATTERN, TARGET_NAME_HINT);
                final String ipPath = field(targetPath, "ip");
                final String ip = requiredString(target, "ip", targetPath);
                final Integer address = unicastIpv4(ip, ipPath);
                if (null == address)
                {
                    continue;
                }
                final Integer other = ipIndex.putIfAbsent(address, i);
                if (null != other)
                {
                    violate(ipPath, "must be unique within the target pool",
                        ip + " is already the address of " + index(path, other));
                }
                else if (null != vip && address.intValue() == vip.intValue())
                {
                    violate(ipPath, "must differ from the load balancer's externalAddress", got(ip));
                }
                else if (null != snatIp && address.intValue() == snatIp.intValue())
                {
                    violate(ipPath, "must differ from node.snatAddress", got(ip));
                }
                else if (null != displayName)
                {
                    targets.add(new TargetConfig(displayName, ip));
                }
            }
            return targets;
        }

        private ActiveHealthCheckConfig activeHealthCheck(final ObjectNode pool, final String parent)
        {
            final String path = field(parent, "activeHealthCheck");
            final ObjectNode o = optionalObject(pool, "activeHealthCheck", parent, "ActiveHealthCheck",
                HEALTH_CHECK_FIELDS);
            if (null == o)
            {
                return ActiveHealthCheckConfig.DEFAULT;
            }
            final int before = violations.size();
            final Duration interval = probeDuration(o, "interval", path, ActiveHealthCheckConfig.DEFAULT_INTERVAL);
            final Duration jitter = probeDuration(o, "intervalJitter", path,
                ActiveHealthCheckConfig.DEFAULT_INTERVAL_JITTER);
            final Duration timeout = probeDuration(o, "timeout", path, ActiveHealthCheckConfig.DEFAULT_TIMEOUT);
            final Integer healthy = integer(o, "healthyThreshold", path,
                ActiveHealthCheckConfig.MIN_THRESHOLD, ActiveHealthCheckConfig.MAX_THRESHOLD);
            final Integer unhealthy = integer(o, "unhealthyThreshold", path,
                ActiveHealthCheckConfig.MIN_THRESHOLD, ActiveHealthCheckConfig.MAX_THRESHOLD);
            final Integer altPort = integer(o, "altPort", path, 1, MAX_PORT);
            final HttpHealthCheckConfig http = httpHealthChecks(o, path);
            if (violations.size() != before)
            {
                return null;
            }
            return new ActiveHealthCheckConfig(interval, jitter, timeout,
                null == healthy ? ActiveHealthCheckConfig.DEFAULT_HEALTHY_THRESHOLD : healthy,
                null == unhealthy ? ActiveHealthCheckConfig.DEFAULT_UNHEALTHY_THRESHOLD : unhealthy,
                null == altPort ? ActiveHealthCheckConfig.NO_ALT_PORT : altPort, http);
        }

        private HttpHealthCheckConfig httpHealthChecks(final ObjectNode check, final String parent)
        {
            final String path = field(parent, "httpHealthChecks");
            final ObjectNode o = optionalObject(check, "httpHealthChecks", parent, "HttpHealthChecks",
                HTTP_CHECK_FIELDS);
            if (null == o)
            {
                return null;
            }
            final int before = violations.size();
            final String requestPath = requiredString(o, "path", path);
            if (null != requestPath && (!requestPath.startsWith("/") ||
                requestPath.chars().anyMatch(c -> c <= ' ' || c >= 0x7F)))
            {
                violate(field(path, "path"), "must be an HTTP path: starting with '/', printable ASCII " +
                    "without spaces", got(requestPath));
            }
            if (null != get(o, "tls"))
            {
                violate(field(path, "tls"), "must be absent: Tandem's HTTP health checks speak plain HTTP", null);
            }
            final List<Integer> statuses = new ArrayList<>();
            final ArrayNode array = array(o, "okStatuses", path);
            if (null != array)
            {
                final String statusesPath = field(path, "okStatuses");
                for (int i = 0; i < array.size(); i++)
                {
                    final String statusPath = index(statusesPath, i);
                    final JsonNode status = array.get(i);
                    final String text = status.isTextual() ? status.textValue() : null;
                    if (null == text)
                    {
                        violate(statusPath, "must be a string", got(status));
                    }
                    else if (!text.matches("2[0-9][0-9]"))
                    {
                        violate(statusPath, "must be an HTTP status from \"200\" to \"299\"", got(text));
                    }
                    else if (statuses.contains(Integer.parseInt(text)))
                    {
                        violate(statusPath, "must not repeat a status", got(text));
                    }
                    else
                    {
                        statuses.add(Integer.parseInt(text));
                    }
                }
            }
            if (violations.size() != before)
            {
                return null;
            }
            return new HttpHealthCheckConfig(requestPath,
                statuses.isEmpty() ? HttpHealthCheckConfig.DEFAULT_OK_STATUSES : statuses);
        }

        // ---- addresses -----------------------------------------------------------------------------------------

        private Integer ipv4(final String text, final String path)
        {
            if (null == text)
            {
                return null;
            }
            try
            {
                return Bytes.parseIpv4(text);
            }
            catch (final IllegalArgumentException ex)
            {
                violate(path, "must be an IPv4 address a.b.c.d (decimal, no leading zeros)", got(text));
                return null;
            }
        }

        /** An address packets can be sent to and from: not 0/8, loopback, multicast, reserved or broadcast. */
        private Integer unicastIpv4(final String text, final String path)
        {
            final Integer address = ipv4(text, path);
            if (null == address)
            {
                return null;
            }
            final int first = address >>> 24;
            if (first == 0 || first == 127 || first >= 224)
            {
                violate(path, "must be a unicast address: not in 0.0.0.0/8, 127.0.0.0/8 or 224.0.0.0/3", got(text));
                return null;
            }
            return address;
        }

        /**
         * A range {@code a.b.c.d/len}. Bits set beyond the prefix are refused rather than cleared: "198.18.1.0/16"
         * is more likely a typo for /24 than a wish for the whole /16, and the operator should decide which.
         */
        private String cidr(final JsonNode node, final String path)
        {
            if (!node.isTextual())
            {
                violate(path, "must be a string", got(node));
                return null;
            }
            final String text = node.textValue();
            final String rule = "must be an IPv4 range a.b.c.d/len, len 0 to 32";
            final int slash = text.indexOf('/');
            final String length = slash < 0 ? "" : text.substring(slash + 1);
            // ASCII digits without a sign or leading zero: Integer.parseInt would also take "+8", "08" and "٨".
            if (slash < 0 || !length.matches("0|[1-9][0-9]?") || Integer.parseInt(length) > 32)
            {
                violate(path, rule, got(text));
                return null;
            }
            final int address;
            try
            {
                address = Bytes.parseIpv4(text.substring(0, slash));
            }
            catch (final IllegalArgumentException ex)
            {
                violate(path, rule, got(text));
                return null;
            }
            final int prefix = Integer.parseInt(length);
            final int mask = prefix == 0 ? 0 : -1 << (32 - prefix);
            if ((address & ~mask) != 0)
            {
                violate(path, "must have no address bits set beyond the prefix length",
                    got(text) + "; the range is " + Bytes.ipv4ToString(address & mask) + "/" + prefix);
                return null;
            }
            return text;
        }

        // ---- typed fields --------------------------------------------------------------------------------------

        ObjectNode object(final JsonNode node, final String path, final String what, final List<String> fields)
        {
            if (null == node)
            {
                return null;
            }
            if (!node.isObject())
            {
                violate(path, "must be an object", got(node));
                return null;
            }
            final ObjectNode o = (ObjectNode)node;
            for (final Iterator<String> names = o.fieldNames(); names.hasNext(); )
            {
                final String name = names.next();
                if (!fields.contains(name))
                {
                    violate(field(path, name), "is not a known field", what + " has: " + String.join(", ", fields));
                }
            }
            return o;
        }

        private ObjectNode optionalObject(
            final ObjectNode parent, final String name, final String path, final String what,
            final List<String> fields)
        {
            return object(get(parent, name), field(path, name), what, fields);
        }

        JsonNode required(final ObjectNode o, final String name, final String path)
        {
            final JsonNode node = get(o, name);
            if (null == node)
            {
                violate(field(path, name), "is required", null);
            }
            return node;
        }

        private String requiredString(final ObjectNode o, final String name, final String path)
        {
            return null == required(o, name, path) ? null : string(o, name, path);
        }

        private Integer requiredInteger(
            final ObjectNode o, final String name, final String path, final int min, final int max)
        {
            return null == required(o, name, path) ? null : integer(o, name, path, min, max);
        }

        private String string(final ObjectNode o, final String name, final String path)
        {
            final JsonNode node = get(o, name);
            if (null == node)
            {
                return null;
            }
            if (!node.isTextual())
            {
                violate(field(path, name), "must be a string", got(node));
                return null;
            }
            return node.textValue();
        }

        private Boolean bool(final ObjectNode o, final String name, final String path)
        {
            final JsonNode node = get(o, name);
            if (null == node)
            {
                return null;
            }
            if (!node.isBoolean())
            {
                violate(field(path, name), "must be a boolean", got(node));
                return null;
            }
            return node.booleanValue();
        }

        private Integer integer(final ObjectNode o, final String name, final String path, final int min,
            final int max)
        {
            final JsonNode node = get(o, name);
            if (null == node)
            {
                return null;
            }
            if (!node.isIntegralNumber())
            {
                violate(field(path, name), "must be an integer", got(node));
                return null;
            }
            // Compared as BigInteger, so that 4294967297 is not read as 1.
            if (node.bigIntegerValue().compareTo(BigInteger.valueOf(min)) < 0 ||
                node.bigIntegerValue().compareTo(BigInteger.valueOf(max)) > 0)
            {
                violate(field(path, name), "must be from " + min + " to " + max, got(node));
                return null;
            }
            return node.intValue();
        }

        private ArrayNode array(final ObjectNode o, final String name, final String path)
        {
            final JsonNode node = get(o, name);
            if (null == node)
            {
                return null;
            }
            if (!node.isArray())
            {
                violate(field(path, name), "must be an array", got(node));
                return null;
            }
            return (ArrayNode)node;
        }

        private void ofType(final ObjectNode o, final String name, final String path, final boolean array)
        {
            final JsonNode node = get(o, name);
            if (null != node && (array ? !node.isArray() : !node.isObject()))
            {
                violate(field(path, name), array ? "must be an array" : "must be an object", got(node));
            }
        }

        private Duration duration(final ObjectNode o, final String name, final String path)
        {
            final String text = string(o, name, path);
            if (null == text)
            {
                return null;
            }
            try
            {
                return Durations.parse(text);
            }
            catch (final IllegalArgumentException ex)
            {
                violate(field(path, name), "must be a duration in seconds like \"300s\" or \"0.5s\"", got(text));
                return null;
            }
        }

        /**
         * Interval and timeout must be positive, the jitter may be zero; none may exceed
         * {@link ActiveHealthCheckConfig#MAX_DURATION}, which keeps every sum of them far from overflowing nanoseconds.
         */
        private Duration probeDuration(
            final ObjectNode o, final String name, final String path, final Duration fallback)
        {
            final Duration value = duration(o, name, path);
            if (null == value)
            {
                return fallback;
            }
            final String valuePath = field(path, name);
            final boolean zeroAllowed = fallback.isZero();
            if (zeroAllowed && value.isNegative())
            {
                violate(valuePath, "must not be negative", got(Durations.format(value)));
                return null;
            }
            if (!zeroAllowed && !positive(value, valuePath))
            {
                return null;
            }
            return atMost(value, ActiveHealthCheckConfig.MAX_DURATION, valuePath) ? value : null;
        }

        private boolean positive(final Duration value, final String path)
        {
            if (value.isNegative() || value.isZero())
            {
                violate(path, "must be positive", got(Durations.format(value)));
                return false;
            }
            return true;
        }

        private boolean atMost(final Duration value, final Duration max, final String path)
        {
            if (value.compareTo(max) > 0)
            {
                violate(path, "must be at most " + Durations.format(max), got(Durations.format(value)));
                return false;
            }
            return true;
        }

        private String pattern(
            final String value, final String path, final Pattern pattern, final String spec, final String hint)
        {
            if (null == value)
            {
                return null;
            }
            if (!pattern.matcher(value).matches())
            {
                violate(path, "must match " + spec, got(value) + "; " + hint);
                return null;
            }
            return value;
        }

        private void violate(final String path, final String rule, final String detail)
        {
            violations.add(ConfigViolation.of(path, rule, detail));
        }
    }

    // ---- paths and values --------------------------------------------------------------------------------------

    /** A JSON null reads as an absent field, as in the protobuf JSON mapping. */
    private static JsonNode get(final ObjectNode o, final String name)
    {
        final JsonNode node = o.get(name);
        return null == node || node.isNull() ? null : node;
    }

    /** @return {@code parent.name}, or {@code parent["name"]} when the name is not an identifier (label keys). */
    static String field(final String parent, final String name)
    {
        if (!IDENTIFIER.matcher(name).matches())
        {
            return parent + "[" + quote(name) + "]";
        }
        return parent.isEmpty() ? name : parent + "." + name;
    }

    static String index(final String parent, final int i)
    {
        return parent + "[" + i + "]";
    }

    /** @return {@code a.b} for {@code a.b[3]}. */
    private static String parentOf(final String indexedPath)
    {
        return indexedPath.substring(0, indexedPath.lastIndexOf('['));
    }

    /** @return 3 for {@code a.b[3]}. */
    private static int indexOf(final String indexedPath)
    {
        return Integer.parseInt(indexedPath.substring(indexedPath.lastIndexOf('[') + 1, indexedPath.length() - 1));
    }

    private static String got(final String text)
    {
        return got(MAPPER.getNodeFactory().textNode(text));
    }

    private static String quote(final String text)
    {
        return MAPPER.getNodeFactory().textNode(text).toString();
    }

    /** @return {@code got <the value as JSON>}, cut short so that a huge value does not flood the report. */
    private static String got(final JsonNode node)
    {
        final String json = node.toString();
        return "got " + (json.length() <= MAX_DETAIL_CHARS ? json : json.substring(0, MAX_DETAIL_CHARS) + "...");
    }
}
