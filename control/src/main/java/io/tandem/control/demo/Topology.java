package io.tandem.control.demo;

import io.tandem.ffi.Netns;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The one-arm network that the agent serves in the demo and the end-to-end tests, built from network namespaces:
 * <pre>
 *  client ns "cli1"                        router ns "rtr", ip_forward=1
 *  eth0 198.19.0.10/24 ──veth── c1 ─┐                                   ┌─ n1 ──veth── tnd0 198.18.0.10/24  "node1"
 *  client ns "cli2"                 ├─ bridge cli0     bridge lan0 ─────┼─ t1 ──veth── eth0 198.18.0.21/24  "tgt1"
 *  eth0 198.19.0.11/24 ──veth── c2 ─┘  198.19.0.1/24   198.18.0.1/24    ├─ t2 ──veth── eth0 198.18.0.22/24  "tgt2"
 *                                                                       └─ t3 ──veth── eth0 198.18.0.23/24  "tgt3"
 * </pre>
 * Both bridges live in the router's namespace and carry its addresses; the router forwards between them. Clients'
 * default route is 198.19.0.1; the node's and the targets' is 198.18.0.1. Clients reach the VIP 198.18.0.100
 * through the router, which resolves it on the LAN. The topology never adds the VIP or the SNAT address
 * 198.18.0.200: the agent owns them ({@link #addServiceAddresses()} is there for tests that want the kernel to).
 * <p>
 * Every veth has its offloads off (TX/RX checksum, TSO, GSO, GRO: {@link Netns#veth}), the bridge ports included, so
 * frames are MTU-sized and checksums complete. The agent turns offloads off on its data interface itself as well,
 * since on a real VM nobody else will.
 * <p>
 * Targets run {@code python3} servers (see {@link TargetServerScript}): HTTP on {@link #HTTP_PORT} answering with
 * the target's name ("target-1\n"), /bytes downloads and PUT uploads checked by sha256, and optionally a TCP echo on
 * {@link #ECHO_PORT}. The build waits until each server answers from inside its own namespace.
 * <p>
 * Indexes of clients, targets and nodes start at 1, as their names do. {@link #close()} ends every process the
 * topology started (by its own {@link Process}), deletes every namespace (and with them the veths and bridges) and
 * the script file; it is idempotent, runs when the build fails half-way, and a JVM shutdown hook calls it if nobody
 * did. Only addresses from 198.18.0.0/15 are used. Helpers may be called from any thread.
 */
public final class Topology implements AutoCloseable
{
    /** The LAN's prefix length: 198.18.0.0/24. */
    public static final int LAN_PREFIX_LENGTH = 24;
    /** The router's address on the LAN, default gateway of the node and the targets. */
    public static final String GATEWAY = "198.18.0.1";
    /** The router's address on the client link 198.19.0.0/24, default gateway of the clients. */
    public static final String CLIENT_GATEWAY = "198.19.0.1";
    /** The virtual address that the agent will own. */
    public static final String VIP = "198.18.0.100";
    /** The port of the demo's listener on the VIP. */
    public static final int VIP_PORT = 80;
    /** The source address that the agent will use towards the targets (full NAT). */
    public static final String SNAT_ADDRESS = "198.18.0.200";
    /** The targets' HTTP port. */
    public static final int HTTP_PORT = 8080;
    /** The targets' TCP echo port, when echo servers run. */
    public static final int ECHO_PORT = 7007;

    /** Build steps, in order, as passed to {@link Context#onStep}. */
    public static final List<String> STEPS = List.of("router", "nodes", "targets", "clients", "servers");

    private static final String LAN_BRIDGE = "lan0";
    private static final String CLIENT_BRIDGE = "cli0";
    private static final String HOST_INTERFACE = "eth0";
    private static final Duration SERVER_READY_TIMEOUT = Duration.ofSeconds(10);
    private static final Duration PROBE_TIMEOUT = Duration.ofSeconds(1);

    private final Context ctx;
    private final List<Netns> namespaces = new ArrayList<>();
    private final List<Host> nodes = new ArrayList<>();
    private final List<Host> targets = new ArrayList<>();
    private final List<Host> clients = new ArrayList<>();
    private final Map<Integer, ServerProcess> httpServers = new HashMap<>();
    private final Map<Integer, ServerProcess> echoServers = new HashMap<>();
    private final Thread shutdownHook;
    private Netns router;
    private Path script;
    private long buildNs;
    private boolean closed;

    /**
     * Settings of a topology, fluent; {@link #conclude()} checks them.
     */
    public static final class Context
    {
        private int clients = 1;
        private int addressesPerClient = 1;
        private int targets = 3;
        private int nodes = 1;
        private String nodeInterface = "tnd0";
        private boolean httpServers = true;
        private boolean echoServers;
        private Consumer<String> onStep = step -> { };

        /** @param clients client namespaces, 1 to 100: client i has 198.19.0.(9 + i). */
        public Context clients(final int clients)
        {
            this.clients = clients;
            return this;
        }

        public int clients()
        {
            return clients;
        }

        /**
         * @param addressesPerClient addresses of each client, 1 to 16. Beyond the first, they come from
         *                           198.19.0.128 upwards; pick one with {@link #httpGet(int, String, String)}.
         */
        public Context addressesPerClient(final int addressesPerClient)
        {
            this.addressesPerClient = addressesPerClient;
            return this;
        }

        public int addressesPerClient()
        {
            return addressesPerClient;
        }

        /** @param targets target namespaces, 1 to 50: target i has 198.18.0.(20 + i) and the name "target-i". */
        public Context targets(final int targets)
        {
            this.targets = targets;
            return this;
        }

        public int targets()
        {
            return targets;
        }

        /** @param nodes node namespaces on the LAN, 1 to 10 (2 for a pair): node i has 198.18.0.(9 + i). */
        public Context nodes(final int nodes)
        {
            this.nodes = nodes;
            return this;
        }

        public int nodes()
        {
            return nodes;
        }

        /** @param nodeInterface the name of each node's data interface, default "tnd0". */
        public Context nodeInterface(final String nodeInterface)
        {
            this.nodeInterface = nodeInterface;
            return this;
        }

        public String nodeInterface()
        {
            return nodeInterface;
        }

        /** @param httpServers whether the build starts every target's HTTP server (default true). */
        public Context httpServers(final boolean httpServers)
        {
            this.httpServers = httpServers;
            return this;
        }

        public boolean httpServers()
        {
            return httpServers;
        }

        /** @param echoServers whether the build starts every target's TCP echo server (default false). */
        public Context echoServers(final boolean echoServers)
        {
            this.echoServers = echoServers;
            return this;
        }

        public boolean echoServers()
        {
            return echoServers;
        }

        /**
         * @param onStep called after each build step with its name (see {@link #STEPS}), e.g. for progress output.
         *               An exception from it aborts the build, which then tears down what it built.
         */
        public Context onStep(final Consumer<String> onStep)
        {
            this.onStep = onStep;
            return this;
        }

        public Consumer<String> onStep()
        {
            return onStep;
        }

        /**
         * Checks the settings.
         *
         * @return this.
         * @throws IllegalArgumentException naming the first bad setting.
         */
        public Context conclude()
        {
            require(clients >= 1 && clients <= 100, "clients must be 1..100: " + clients);
            require(addressesPerClient >= 1 && addressesPerClient <= 16,
                "addressesPerClient must be 1..16: " + addressesPerClient);
            require(clients * (addressesPerClient - 1) <= 126,
                "too many extra client addresses for 198.19.0.128-254: " + clients * (addressesPerClient - 1));
            require(targets >= 1 && targets <= 50, "targets must be 1..50: " + targets);
            require(nodes >= 1 && nodes <= 10, "nodes must be 1..10: " + nodes);
            require(nodeInterface != null && nodeInterface.matches("[a-z][a-z0-9]{0,14}") &&
                !nodeInterface.equals(HOST_INTERFACE) && !nodeInterface.equals("lo"),
                "nodeInterface must be a short lower-case name other than lo and eth0: " + nodeInterface);
            require(onStep != null, "onStep must not be null");
            return this;
        }

        private static void require(final boolean condition, final String message)
        {
            if (!condition)
            {
                throw new IllegalArgumentException(message);
            }
        }
    }

    /**
     * One end host of the topology: a namespace, its name, its interface and its addresses.
     */
    public static final class Host
    {
        private final String name;
        private final Netns ns;
        private final String interfaceName;
        private final List<String> addresses;

        Host(final String name, final Netns ns, final String interfaceName, final List<String> addresses)
        {
            this.name = name;
            this.ns = ns;
            this.interfaceName = interfaceName;
            this.addresses = List.copyOf(addresses);
        }

        /** @return "client-1", "target-2", "node-1". */
        public String name()
        {
            return name;
        }

        public Netns ns()
        {
            return ns;
        }

        /** @return the interface towards the router's bridge. */
        public String interfaceName()
        {
            return interfaceName;
        }

        /** @return the primary address. */
        public String address()
        {
            return addresses.getFirst();
        }

        /** @return every address, the primary first. */
        public List<String> addresses()
        {
            return addresses;
        }

        /** Runs a command in the host's namespace, bounded to 60 s; @return its output. */
        public String exec(final String... command)
        {
            return ns.exec(command);
        }

        /** Runs {@code ip <args>} in the host's namespace; @return its output. */
        public String ip(final String... args)
        {
            return ns.ip(args);
        }

        @Override
        public String toString()
        {
            return name + "(" + String.join(",", addresses) + " in " + ns.name() + ")";
        }
    }

    private Topology(final Context ctx)
    {
        this.ctx = ctx;
        this.shutdownHook = new Thread(this::close, "topology-shutdown");
    }

    /** Builds the default topology: 1 client, 3 targets with HTTP servers, 1 node. */
    public static Topology build()
    {
        return build(new Context());
    }

    /**
     * Builds a topology; on failure tears down whatever was built and rethrows.
     *
     * @param context settings, concluded here.
     */
    public static Topology build(final Context context)
    {
        final Topology topology = new Topology(context.conclude());
        try
        {
            topology.construct();
            return topology;
        }
        catch (final RuntimeException | Error ex)
        {
            try
            {
                topology.close();
            }
            catch (final RuntimeException | Error closeEx)
            {
                ex.addSuppressed(closeEx);
            }
            throw ex;
        }
    }

    private void construct()
    {
        final long startNs = System.nanoTime();
        Runtime.getRuntime().addShutdownHook(shutdownHook);

        router = newNamespace("rtr");
        // the bridges are plain switches: with br_netfilter's defaults a bridge would check IPv4 headers and drop
        // malformed frames before they reach the node, and the data plane's handling of them could not be seen
        sysctl(router, "net.ipv4.ip_forward=1", "net.bridge.bridge-nf-call-iptables=0",
            "net.bridge.bridge-nf-call-arptables=0");
        bridge(LAN_BRIDGE, GATEWAY + "/" + LAN_PREFIX_LENGTH);
        bridge(CLIENT_BRIDGE, CLIENT_GATEWAY + "/24");
        step("router");

        for (int i = 1; i <= ctx.nodes(); i++)
        {
            nodes.add(attach("node" + i, "node-" + i, "n" + i, ctx.nodeInterface(), LAN_BRIDGE, GATEWAY,
                List.of("198.18.0." + (9 + i))));
        }
        step("nodes");

        for (int i = 1; i <= ctx.targets(); i++)
        {
            targets.add(attach("tgt" + i, "target-" + i, "t" + i, HOST_INTERFACE, LAN_BRIDGE, GATEWAY,
                List.of("198.18.0." + (20 + i))));
        }
        step("targets");

        final int extra = ctx.addressesPerClient() - 1;
        for (int i = 1; i <= ctx.clients(); i++)
        {
            final List<String> addresses = new ArrayList<>();
            addresses.add("198.19.0." + (9 + i));
            for (int j = 0; j < extra; j++)
            {
                addresses.add("198.19.0." + (128 + (i - 1) * extra + j));
            }
            clients.add(attach("cli" + i, "client-" + i, "c" + i, HOST_INTERFACE, CLIENT_BRIDGE, CLIENT_GATEWAY,
                addresses));
        }
        step("clients");

        script = TargetServerScript.write();
        for (int i = 1; i <= targets.size(); i++)
        {
            if (ctx.httpServers())
            {
                launchHttp(i);
            }
            if (ctx.echoServers())
            {
                launchEcho(i);
            }
        }
        for (int i = 1; i <= targets.size(); i++)
        {
            if (ctx.httpServers())
            {
                awaitHttp(i);
            }
            if (ctx.echoServers())
            {
                awaitEcho(i);
            }
        }
        step("servers");
        buildNs = System.nanoTime() - startNs;
    }

    private synchronized Netns newNamespace(final String label)
    {
        ensureOpen();
        final Netns ns = Netns.create(label);
        namespaces.add(ns);
        // No IPv6: no router solicitations, DAD or MLD frames on the links the data plane reads.
        sysctl(ns, "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        return ns;
    }

    private void bridge(final String name, final String address)
    {
        router.ip("link", "add", name, "type", "bridge", "stp_state", "0", "forward_delay", "0");
        offloadsOff(router, name);
        router.ip("addr", "add", address, "dev", name);
        router.ip("link", "set", name, "up");
    }

    private Host attach(
        final String label,
        final String name,
        final String port,
        final String interfaceName,
        final String bridge,
        final String gateway,
        final List<String> addresses)
    {
        final Netns ns = newNamespace(label);
        Netns.veth(router, port, ns, interfaceName);
        router.ip("link", "set", port, "master", bridge);
        final String prefix = "/" + (bridge.equals(LAN_BRIDGE) ? LAN_PREFIX_LENGTH : 24);
        for (final String address : addresses)
        {
            ns.ip("addr", "add", address + prefix, "dev", interfaceName);
        }
        ns.ip("route", "add", "default", "via", gateway);
        return new Host(name, ns, interfaceName, addresses);
    }

    private static void sysctl(final Netns ns, final String... settings)
    {
        final List<String> command = new ArrayList<>(List.of("sysctl", "-q", "-w"));
        command.addAll(Arrays.asList(settings));
        ns.exec(command.toArray(new String[0]));
    }

    private static void offloadsOff(final Netns ns, final String device)
    {
        ns.exec("ethtool", "-K", device, "tx", "off", "rx", "off", "gso", "off", "tso", "off", "gro", "off");
    }

    private void step(final String name)
    {
        ensureOpen();
        ctx.onStep().accept(name);
    }

    private synchronized void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("topology closed");
        }
    }

    /** @return how long {@link #build} took, in nanoseconds. */
    public long buildNs()
    {
        return buildNs;
    }

    /** @return the settings it was built with. */
    public Context context()
    {
        return ctx;
    }

    /** @return names of every namespace of this topology, in creation order. */
    public synchronized List<String> namespaceNames()
    {
        return namespaces.stream().map(Netns::name).toList();
    }

    /** @return every namespace of this topology. */
    public synchronized List<Netns> namespaces()
    {
        return List.copyOf(namespaces);
    }

    /** @return the router's namespace, which also holds both bridges. */
    public Netns routerNs()
    {
        return router;
    }

    /** @return client {@code i} (1-based). */
    public Host client(final int i)
    {
        return clients.get(checkIndex(i, clients.size(), "client"));
    }

    public int clientCount()
    {
        return clients.size();
    }

    /** @return every client, client 1 first. */
    public List<Host> clients()
    {
        return List.copyOf(clients);
    }

    /** @return target {@code i} (1-based), named "target-i", at 198.18.0.(20 + i). */
    public Host target(final int i)
    {
        return targets.get(checkIndex(i, targets.size(), "target"));
    }

    /** @return target {@code i}'s namespace. */
    public Netns targetNs(final int i)
    {
        return target(i).ns();
    }

    public int targetCount()
    {
        return targets.size();
    }

    /** @return every target, target 1 first. */
    public List<Host> targets()
    {
        return List.copyOf(targets);
    }

    /** @return node {@code i} (1-based). */
    public Host node(final int i)
    {
        return nodes.get(checkIndex(i, nodes.size(), "node"));
    }

    /** @return node 1, the one the agent runs in. */
    public Host node()
    {
        return node(1);
    }

    /** @return node 1's namespace. */
    public Netns nodeNs()
    {
        return node().ns();
    }

    /** @return the name of the nodes' data interface. */
    public String nodeInterface()
    {
        return ctx.nodeInterface();
    }

    /** @return node 1's own address on the LAN, 198.18.0.10. */
    public String nodeAddress()
    {
        return node().address();
    }

    public String vip()
    {
        return VIP;
    }

    public String snatAddress()
    {
        return SNAT_ADDRESS;
    }

    /** @return "http://198.18.0.100:80/", the demo listener's URL. */
    public String vipUrl()
    {
        return "http://" + VIP + ":" + VIP_PORT + "/";
    }

    /** @return target {@code i}'s own HTTP URL, "http://198.18.0.2i:8080/". */
    public String targetUrl(final int i)
    {
        return "http://" + target(i).address() + ":" + HTTP_PORT + "/";
    }

    /**
     * Adds the VIP and the SNAT address (as /32) to node 1's data interface, so that its kernel owns them, for tests
     * that need that without an agent. The agent does this itself when it becomes active.
     */
    public void addServiceAddresses()
    {
        nodeNs().ip("addr", "add", VIP + "/32", "dev", nodeInterface());
        nodeNs().ip("addr", "add", SNAT_ADDRESS + "/32", "dev", nodeInterface());
    }

    /** Removes what {@link #addServiceAddresses()} added. */
    public void removeServiceAddresses()
    {
        nodeNs().ip("addr", "del", VIP + "/32", "dev", nodeInterface());
        nodeNs().ip("addr", "del", SNAT_ADDRESS + "/32", "dev", nodeInterface());
    }

    /**
     * GETs {@code url} with curl inside client {@code client}'s namespace (connect timeout 3 s, 10 s in all).
     *
     * @return the body.
     * @throws IllegalStateException with curl's message when the request fails or the status is 400 or above.
     */
    public String httpGet(final int client, final String url)
    {
        return curl(client(client), null, url);
    }

    /**
     * As {@link #httpGet(int, String)}, sending from {@code source}, one of the client's {@link Host#addresses()}.
     */
    public String httpGet(final int client, final String source, final String url)
    {
        final Host host = client(client);
        if (!host.addresses().contains(source))
        {
            throw new IllegalArgumentException(source + " is not an address of " + host);
        }
        return curl(host, source, url);
    }

    private static String curl(final Host host, final String source, final String url)
    {
        HttpProbe.requireTestAddress(URI.create(url).getHost());
        final List<String> command = new ArrayList<>(List.of(
            "curl", "-sS", "--fail", "--noproxy", "*", "--connect-timeout", "3", "--max-time", "10"));
        if (source != null)
        {
            command.add("--interface");
            command.add(source);
        }
        command.add(url);
        return host.exec(command.toArray(new String[0]));
    }

    /**
     * Downloads {@code url} from inside client {@code client} with {@link HttpProbe}, hashing the body as it streams.
     * For a target's /bytes, compare {@link HttpProbe.Response#bodySha256()} with its X-Sha256 header.
     */
    public HttpProbe.Response download(final int client, final String url, final Duration timeout) throws IOException
    {
        return HttpProbe.get(client(client).ns(), null, url, timeout);
    }

    /**
     * PUTs {@code bytes} deterministic bytes to {@code url} from inside client {@code client}; a target answers with
     * the sha256 it received, to compare with {@link HttpProbe.Response#requestBodySha256()}.
     */
    public HttpProbe.Response upload(final int client, final String url, final long bytes, final Duration timeout)
        throws IOException
    {
        return HttpProbe.put(client(client).ns(), null, url, bytes, bytes, timeout);
    }

    /**
     * Opens a TCP connection from client {@code client}'s namespace. The socket belongs to that namespace for its
     * whole life; the caller closes it.
     *
     * @param timeout connect timeout.
     */
    public Socket connect(final int client, final String address, final int port, final Duration timeout)
        throws IOException
    {
        HttpProbe.requireTestAddress(address);
        try
        {
            return client(client).ns().call(() ->
            {
                final Socket socket = new Socket();
                try
                {
                    socket.connect(new InetSocketAddress(InetAddress.ofLiteral(address), port),
                        (int)timeout.toMillis());
                    return socket;
                }
                catch (final IOException ex)
                {
                    socket.close();
                    throw ex;
                }
            });
        }
        catch (final IOException | RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException(ex);
        }
    }

    /** Starts target {@code i}'s HTTP server again and waits until it answers. No-op when it runs. */
    public void startServer(final int i)
    {
        checkIndex(i, targets.size(), "target");
        if (!serverRunning(i))
        {
            launchHttp(i);
            awaitHttp(i);
        }
    }

    /** Ends target {@code i}'s HTTP server (SIGTERM to its PID); connections to it are then refused. */
    public void stopServer(final int i)
    {
        checkIndex(i, targets.size(), "target");
        final ServerProcess server;
        synchronized (this)
        {
            server = httpServers.remove(i);
        }
        stop(server);
    }

    /** @return whether target {@code i}'s HTTP server process is alive. */
    public synchronized boolean serverRunning(final int i)
    {
        final ServerProcess server = httpServers.get(i);
        return server != null && server.isAlive();
    }

    /**
     * @param i target number, from 1.
     * @return the PID of target {@code i}'s HTTP server, e.g. to freeze it with SIGSTOP in a test (and SIGCONT it
     * again before {@link #close()}, which would otherwise wait for SIGKILL); -1 when it does not run.
     */
    public synchronized long serverPid(final int i)
    {
        checkIndex(i, targets.size(), "target");
        final ServerProcess server = httpServers.get(i);
        return null != server && server.isAlive() ? server.pid() : -1;
    }

    /**
     * @param i target number, from 1.
     * @return the PID of target {@code i}'s TCP echo server (see {@link #serverPid(int)}); -1 when it does not run.
     */
    public synchronized long echoServerPid(final int i)
    {
        checkIndex(i, targets.size(), "target");
        final ServerProcess server = echoServers.get(i);
        return null != server && server.isAlive() ? server.pid() : -1;
    }

    /** Starts target {@code i}'s TCP echo server on {@link #ECHO_PORT}, waits until it echoes; no-op when it runs. */
    public void startEchoServer(final int i)
    {
        checkIndex(i, targets.size(), "target");
        final boolean running;
        synchronized (this)
        {
            final ServerProcess server = echoServers.get(i);
            running = server != null && server.isAlive();
        }
        if (!running)
        {
            launchEcho(i);
            awaitEcho(i);
        }
    }

    /**
     * @param i target number, from 1.
     * @return what target {@code i}'s echo server printed: one {@code echo-end eof|reset PEER} line per connection
     * that ended; empty when it does not run.
     */
    public synchronized String echoServerOutput(final int i)
    {
        final ServerProcess server = echoServers.get(i);
        return null == server ? "" : server.output();
    }

    /** Ends target {@code i}'s TCP echo server. */
    public void stopEchoServer(final int i)
    {
        checkIndex(i, targets.size(), "target");
        final ServerProcess server;
        synchronized (this)
        {
            server = echoServers.remove(i);
        }
        stop(server);
    }

    private synchronized void launchHttp(final int i)
    {
        ensureOpen();
        final Host target = target(i);
        httpServers.put(i, ServerProcess.start(target.ns(), target.name() + "-http", TargetServerScript.PYTHON,
            script.toString(), "http", target.address(), Integer.toString(HTTP_PORT), target.name()));
    }

    private synchronized void launchEcho(final int i)
    {
        ensureOpen();
        final Host target = target(i);
        echoServers.put(i, ServerProcess.start(target.ns(), target.name() + "-echo", TargetServerScript.PYTHON,
            script.toString(), "echo", target.address(), Integer.toString(ECHO_PORT)));
    }

    private void awaitHttp(final int i)
    {
        final Host target = target(i);
        final ServerProcess server;
        synchronized (this)
        {
            server = httpServers.get(i);
        }
        final String expected = target.name() + "\n";
        awaitReady(server, () ->
        {
            final HttpProbe.Response response = HttpProbe.get(target.ns(), null, targetUrl(i), PROBE_TIMEOUT);
            return response.status() == 200 && expected.equals(response.bodyText());
        });
    }

    private void awaitEcho(final int i)
    {
        final Host target = target(i);
        final ServerProcess server;
        synchronized (this)
        {
            server = echoServers.get(i);
        }
        awaitReady(server, () -> target.ns().call(() ->
        {
            try (Socket socket = new Socket())
            {
                socket.connect(new InetSocketAddress(InetAddress.ofLiteral(target.address()), ECHO_PORT),
                    (int)PROBE_TIMEOUT.toMillis());
                socket.setSoTimeout((int)PROBE_TIMEOUT.toMillis());
                final OutputStream out = socket.getOutputStream();
                out.write("ready?\n".getBytes(StandardCharsets.US_ASCII));
                out.flush();
                final InputStream in = socket.getInputStream();
                return Arrays.equals(in.readNBytes(7), "ready?\n".getBytes(StandardCharsets.US_ASCII));
            }
        }));
    }

    @FunctionalInterface
    private interface Probe
    {
        boolean ready() throws Exception;
    }

    /** Probes until the server answers: at most 200 tries and {@link #SERVER_READY_TIMEOUT}. */
    private static void awaitReady(final ServerProcess server, final Probe probe)
    {
        final long deadlineNs = System.nanoTime() + SERVER_READY_TIMEOUT.toNanos();
        Exception last = null;
        for (int attempt = 0; attempt < 200 && System.nanoTime() - deadlineNs < 0; attempt++)
        {
            if (!server.isAlive())
            {
                throw new IllegalStateException(server.label() + " ended before it served: " + server.output());
            }
            try
            {
                if (probe.ready())
                {
                    return;
                }
            }
            catch (final Exception ex)
            {
                last = ex;
            }
            try
            {
                Thread.sleep(25);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for " + server.label(), ex);
            }
        }
        final IllegalStateException failure = new IllegalStateException(
            server.label() + " did not answer within " + SERVER_READY_TIMEOUT + "; output: " + server.output());
        if (last != null)
        {
            failure.addSuppressed(last);
        }
        throw failure;
    }

    private static void stop(final ServerProcess server)
    {
        if (server != null && !server.stop())
        {
            throw new IllegalStateException(server.label() + " (pid " + server.pid() + ") did not end");
        }
    }

    private static int checkIndex(final int i, final int count, final String what)
    {
        if (i < 1 || i > count)
        {
            throw new IndexOutOfBoundsException(what + " " + i + " of 1.." + count);
        }
        return i - 1;
    }

    /**
     * Ends every server process, deletes every namespace (their veths and bridges go with them) and the script file.
     * Safe to call more than once and from the shutdown hook; failures are collected and thrown at the end, after
     * everything was tried.
     */
    @Override
    public void close()
    {
        final List<ServerProcess> servers;
        final List<Netns> toDelete;
        synchronized (this)
        {
            if (closed)
            {
                return;
            }
            closed = true;
            servers = new ArrayList<>(httpServers.values());
            servers.addAll(echoServers.values());
            httpServers.clear();
            echoServers.clear();
            toDelete = new ArrayList<>(namespaces).reversed();
        }

        RuntimeException failure = null;
        for (final ServerProcess server : servers)
        {
            try
            {
                stop(server);
            }
            catch (final RuntimeException ex)
            {
                failure = collect(failure, ex);
            }
        }
        // Processes first: a namespace with a process still in it outlives "ip netns del".
        for (final Netns ns : toDelete)
        {
            try
            {
                ns.close();
            }
            catch (final RuntimeException ex)
            {
                failure = collect(failure, ex);
            }
        }
        if (script != null)
        {
            try
            {
                Files.deleteIfExists(script);
            }
            catch (final IOException ex)
            {
                failure = collect(failure, new IllegalStateException("cannot delete " + script, ex));
            }
        }
        if (Thread.currentThread() != shutdownHook)
        {
            try
            {
                Runtime.getRuntime().removeShutdownHook(shutdownHook);
            }
            catch (final IllegalStateException ignore)
            {
                // the JVM is shutting down; the hook then finds the topology closed
            }
        }
        if (failure != null)
        {
            throw failure;
        }
    }

    private static RuntimeException collect(final RuntimeException first, final RuntimeException next)
    {
        if (first == null)
        {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
