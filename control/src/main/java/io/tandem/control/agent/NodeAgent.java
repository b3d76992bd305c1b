package io.tandem.control.agent;

import io.tandem.control.admin.AdminStatus;
import io.tandem.control.config.ConfigStore;
import io.tandem.control.config.ListenerConfig;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.PairConfig;
import io.tandem.control.config.SnapshotFactory;
import io.tandem.control.config.TandemConfig;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetHealth;
import io.tandem.control.config.TargetPoolConfig;
import io.tandem.control.config.TargetSlots;
import io.tandem.control.health.HealthChecker;
import io.tandem.control.health.TargetStatus;
import io.tandem.control.metrics.CountersFile;
import io.tandem.control.net.DataInterfaceOffloads;
import io.tandem.control.net.GratuitousArp;
import io.tandem.control.net.NftIngressRule;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.port.AfPacketPort;
import io.tandem.dataplane.port.PortIdleStrategy;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.worker.FlowSample;
import io.tandem.dataplane.worker.WorkerContext;
import io.tandem.dataplane.worker.WorkerGroup;
import io.tandem.ffi.NativeSupport;
import io.tandem.ffi.PacketFanoutSteering;
import io.tandem.ffi.PacketRingContext;
import io.tandem.ffi.RtNetlink;
import io.tandem.ffi.RtNetlinkAddress;
import io.tandem.ffi.RtNetlinkEventListener;
import io.tandem.ffi.RtNetlinkEvents;
import io.tandem.ffi.RtNetlinkLink;
import io.tandem.ffi.RtNetlinkNeighbour;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.ManyToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.agrona.concurrent.status.CountersReader;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One node of Tandem, brought up around its data interface and taken down again.
 * <p>
 * Start-up order is chosen so that no moment exists at which the kernel answers for the balancer or a half-built
 * data plane attracts traffic: offloads off, counters file, ingress rule (from here the kernel no longer answers the
 * listeners' segments), workers running, and only then the VIP and SNAT addresses (from here ARP draws traffic).
 * Every step registers its undo; {@link #close()} runs them in reverse, so a failure half-way leaves nothing behind
 * and a clean stop removes every rule and address the agent added. The VIP and the SNAT address belong to the
 * balancer: they are removed on stop even when they were there before (left by an agent that was killed).
 * <p>
 * While running, {@link #run} follows the kernel's neighbour table over rtnetlink events and publishes a new
 * snapshot when a next hop changes, and asks the kernel to resolve targets and the gateway it does not know yet.
 * Not thread-safe: one control thread calls {@link #start} and {@link #run}; {@link #requestStop()} may be called
 * from any thread (a signal handler).
 */
public final class NodeAgent implements AutoCloseable
{
    /** First SNAT port of the node; ports below stay with the kernel. */
    public static final int SNAT_FIRST_PORT = 1024;
    /** Last SNAT port of the node. */
    public static final int SNAT_LAST_PORT = 65535;
    private static final long RESOLVE_INTERVAL_NS = TimeUnit.SECONDS.toNanos(1);
    /** Lifetime of a pair node's addresses; renewed every 0.5 s while the node is active. */
    static final int ADDRESS_LEASE_SECONDS = 3;

    private volatile TandemConfig config;
    private volatile TargetHealth health = TargetHealth.ALL_HEALTHY;
    private OwnedAddresses owned;
    private final TargetSlots targetSlots = new TargetSlots();
    private NftIngressRule rule;
    private ConfigStore store;
    private HealthChecker healthChecker;
    private volatile boolean healthDirty;
    private int tableCapacity;
    private final EventLog log;
    private final Deque<Runnable> undo = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);
    private volatile boolean running = true;
    private volatile boolean closedCleanly;
    // standalone nodes are always active; a node of a pair is passive until the election makes it active
    private volatile boolean active;
    private PairConductor pair;
    private GratuitousArp garp;
    private ScheduledExecutorService announcer;
    private GratuitousArp.Announcement announcement;

    private RtNetlink netlink;
    private RtNetlinkEvents events;
    private RtNetlinkLink link;
    private int localNetwork;
    private int localPrefixLength;
    private int gateway;
    private CountersFile countersFile;
    private SnapshotExchange exchange;
    private WorkerGroup workers;
    private long version;
    private int nextHopEpoch;
    private Map<Integer, Long> neighbourMacs = Map.of();
    private boolean neighboursDirty;
    private int loggedEpoch;

    private NodeAgent(final TandemConfig config, final EventLog log)
    {
        this.config = config;
        this.log = log;
    }

    /**
     * Brings a node up.
     *
     * @param config validated configuration.
     * @param log    where events go.
     * @return the running node.
     * @throws IllegalStateException or {@link io.tandem.ffi.NativeException} naming what failed; whatever was set up
     *                               before the failure has been taken down again.
     */
    public static NodeAgent start(final TandemConfig config, final EventLog log)
    {
        final NodeAgent agent = new NodeAgent(config, log);
        try
        {
            agent.bringUp();
            return agent;
        }
        catch (final RuntimeException ex)
        {
            agent.close();
            throw ex;
        }
    }

    private void bringUp()
    {
        if (!NativeSupport.isAvailable())
        {
            throw new IllegalStateException("cannot open packet sockets: " + NativeSupport.unavailabilityCause()
                .getMessage());
        }
        final String ifName = config.node().dataInterface();
        active = null == config.node().pair();
        // the node file's loadBalancer is the first configuration; once a change was accepted, the persisted one runs
        store = ConfigStore.load(config.node().stateDirectory(), config.loadBalancer());
        config = new TandemConfig(config.node(), store.current());
        netlink = RtNetlink.open();
        undo.push(netlink::close);
        // subscribe before reading the tables, so no change falls between the dump and the events
        events = RtNetlinkEvents.open();
        undo.push(events::close);
        link = netlink.link(ifName);
        if (!link.isUp())
        {
            throw new IllegalStateException("data interface " + ifName + " is down");
        }
        // a pair's node leases its addresses and renews them while active: an agent killed on a VM that lives on
        // loses them within ADDRESS_LEASE_SECONDS, so its kernel stops answering ARP for the peer's VIP
        owned = new OwnedAddresses(netlink, link.index(), null == config.node().pair() ? 0 : ADDRESS_LEASE_SECONDS);
        findLocalNetwork();
        gateway = netlink.defaultGateway(link.index());

        final DataInterfaceOffloads offloads = new DataInterfaceOffloads(ifName, List.of());
        offloads.disable();
        undo.push(offloads::restore);

        final int counters = WorkerCounter.values().length * config.node().workers() + 16;
        countersFile = CountersFile.create(config.node().countersFile(), counters);
        undo.push(countersFile::close);

        refreshNeighbours();
        awaitNeighbours();
        loggedEpoch = nextHopEpoch;
        exchange = new SnapshotExchange(buildSnapshot(), config.node().workers());

        rule = new NftIngressRule(ifName);
        rule.install(listenerKeys(), config.node().snatIp(), SNAT_FIRST_PORT, SNAT_LAST_PORT);
        undo.push(rule::remove);

        final int workerCount = config.node().workers();
        final int limit = config.node().connectionLimit(config.loadBalancer().plan().maxConnections());
        // the budget enforces the node's cap; each worker's table has room for its share and some imbalance
        final int capacity = workerCount == 1 ? limit : Math.min(limit, limit / workerCount + limit / 4 + 1024);
        tableCapacity = limit;
        final int share = (SNAT_LAST_PORT - SNAT_FIRST_PORT + 1) / workerCount;
        final long[] steering = PacketFanoutSteering.program(config.node().snatIp(), SNAT_FIRST_PORT, share,
            workerCount);
        final int fanoutGroup = (int)(ProcessHandle.current().pid() & 0xFFFF);
        final PairConfig pairConfig = config.node().pair();
        // the two nodes allocate SNAT ports from different halves of each worker's range: the lower address the lower
        final int snatShare = null == pairConfig ? 0 :
            Integer.compareUnsigned(localNetwork, Bytes.parseIpv4(pairConfig.peerAddress())) < 0 ? 0 : 1;
        final List<RingBuffer> outboxes = new ArrayList<>();
        final List<RingBuffer> inboxes = new ArrayList<>();
        workers = new WorkerGroup(
            workerCount,
            i ->
            {
                final WorkerContext context = new WorkerContext().flowCapacity(capacity);
                if (null != pairConfig)
                {
                    outboxes.add(new OneToOneRingBuffer(syncRing()));
                    inboxes.add(new ManyToOneRingBuffer(syncRing()));
                    context.snatShare(snatShare, 2).syncRings(outboxes.get(i), inboxes.get(i));
                }
                return context;
            },
            i ->
            {
                final AfPacketPort port = new AfPacketPort(ifName, new PacketRingContext());
                if (workerCount > 1)
                {
                    PacketFanoutSteering.join(port.receiver().fd(), fanoutGroup, steering);
                }
                return port;
            },
            exchange,
            countersFile.manager(),
            PortIdleStrategy::new,
            t -> log.log("worker.error", "error", t.toString()),
            SNAT_FIRST_PORT,
            SNAT_LAST_PORT);
        undo.push(workers::close);
        workers.start();

        // probes leave from the node's own address; a transition only marks the health dirty, and the control loop
        // publishes the snapshot, so the checker's thread never waits for this agent's lock
        healthChecker = new HealthChecker(new HealthChecker.Context()
            .localAddress(Bytes.ipv4ToString(localNetwork))
            .listener((pool, ip, healthy, reason) ->
            {
                log.log(healthy ? "target.up" : "target.down", "pool", pool, "target", ip, "reason", reason);
                healthDirty = true;
            })
            .errorHandler(t -> log.log("health.error", "error", t.toString())));
        undo.push(healthChecker::close);
        healthChecker.update(config.loadBalancer()).join();

        // The VIP and the SNAT address are the balancer's: removed on stop even when an agent that was killed left
        // them behind (the pair's election moves them between nodes the same way).
        undo.push(owned::releaseAll);
        if (null == pairConfig)
        {
            for (final int address : serviceAddresses())
            {
                ownAddress(address);
            }
        }
        else
        {
            // a node of a pair owns them only while active; one killed while active may have left them behind
            for (final int address : serviceAddresses())
            {
                owned.release(address);
            }
            garp = GratuitousArp.open(ifName, link.mac());
            undo.push(garp::close);
            announcer = Executors.newSingleThreadScheduledExecutor(r ->
            {
                final Thread t = new Thread(r, "tandem-garp");
                t.setDaemon(true);
                return t;
            });
            undo.push(announcer::shutdownNow);
            announcer.scheduleAtFixedRate(this::renewLeases, 500, 500, TimeUnit.MILLISECONDS);
            final List<String> virtual = serviceAddresses().stream().map(Bytes::ipv4ToString).toList();
            pair = new PairConductor(this, log, pairConfig, ifName, Bytes.ipv4ToString(localNetwork),
                workers.agents(), outboxes, inboxes, virtual);
            undo.push(pair::close);
        }
        log.log("node.up", "interface", ifName, "mac", Bytes.macToString(link.mac()),
            "vip", config.loadBalancer().externalAddress(), "snat", config.node().snatAddress(),
            "listeners", config.loadBalancer().listeners().size(), "plan", config.loadBalancer().plan().id(),
            "gateway", gateway == RtNetlink.NO_GATEWAY ? "none" : Bytes.ipv4ToString(gateway),
            "counters", config.node().countersFile());
    }

    private void findLocalNetwork()
    {
        final Set<Integer> service = new LinkedHashSet<>(serviceAddresses());
        for (final RtNetlinkAddress address : netlink.addresses(link.index()))
        {
            if (!service.contains(address.address()) && address.prefixLength() < 32)
            {
                localPrefixLength = address.prefixLength();
                localNetwork = address.address();
                return;
            }
        }
        throw new IllegalStateException("data interface " + link.name() + " has no IPv4 address of its own (the " +
            "node's address on the network of the targets and the gateway)");
    }

    private void ownAddress(final int address)
    {
        final boolean added = owned.own(address);
        if (owned.leaseSeconds() > 0)
        {
            log.log("address.added", "address", Bytes.ipv4ToString(address) + "/32", "interface", link.name(),
                "leaseSeconds", owned.leaseSeconds());
            return;
        }
        log.log(added ? "address.added" : "address.taken-over", "address", Bytes.ipv4ToString(address) + "/32",
            "interface", link.name());
    }

    /**
     * Renews the leases of the owned addresses (none while passive); on the announcer's thread every 0.5 s. Not under
     * this agent's lock: a configuration change that holds it for a while must not let the VIP lapse.
     */
    private void renewLeases()
    {
        try
        {
            owned.renew();
        }
        catch (final RuntimeException ex)
        {
            log.log("address.lease.failed", "error", ex.getMessage());
        }
    }

    /** Ring memory for one sync outbox or inbox: room for about 60 000 connection messages. */
    private static UnsafeBuffer syncRing()
    {
        return new UnsafeBuffer(java.nio.ByteBuffer.allocateDirect(
            4 * 1024 * 1024 + RingBufferDescriptor.TRAILER_LENGTH));
    }

    /**
     * The election made this node active: the workers forward (replicated connections are live from this
     * moment), then the VIP and the SNAT address are added and announced with gratuitous ARPs, a burst now and a
     * few repeats. Called on the pair's role thread.
     *
     * @param reason why, for the log.
     */
    synchronized void becomeActive(final String reason)
    {
        final long startNs = System.nanoTime();
        active = true;
        exchange.publish(buildSnapshot());
        final List<Integer> addresses = serviceAddresses();
        for (final int address : addresses)
        {
            ownAddress(address);
        }
        announce();
        log.log("role.active", "reason", reason, "snapshot", version, "connections", workers.activeConnections(),
            "tookUs", (System.nanoTime() - startNs) / 1000);
    }

    /** Announces the service addresses with gratuitous ARPs: a burst now and a few repeats; while active only. */
    synchronized void announce()
    {
        if (!active)
        {
            return;
        }
        if (null != announcement)
        {
            announcement.cancel();
        }
        announcement = garp.announce(announcer, serviceAddresses());
    }

    /**
     * The election made this node passive: the addresses go first, then the workers stop forwarding and only keep
     * the connections the peer replicates. Called on the pair's role thread.
     *
     * @param reason why, for the log.
     */
    synchronized void becomePassive(final String reason)
    {
        final boolean was = active;
        if (null != announcement)
        {
            announcement.cancel();
            announcement = null;
        }
        owned.releaseAll();
        active = false;
        exchange.publish(buildSnapshot());
        log.log("role.passive", "reason", reason, "was", was ? "active" : "passive", "snapshot", version);
    }

    /**
     * Adopts the peer's configuration when it is newer than this node's, as {@link #apply} applies a local one:
     * runtime first, then the store; the previous one runs again if persisting fails.
     *
     * @param lb the peer's load balancer, carrying the peer's store version.
     * @return true when it was adopted; false when this node's is as new or newer.
     */
    synchronized boolean adopt(final LoadBalancerConfig lb)
    {
        if (ConfigStore.compareVersions(lb.version(), store.currentVersion()) <= 0)
        {
            return false;
        }
        final int limit = config.node().connectionLimit(lb.plan().maxConnections());
        if (limit > tableCapacity)
        {
            throw new IllegalArgumentException("planId " + lb.plan().id() + " allows " + limit + " connections but " +
                "the flow tables were sized for " + tableCapacity + " at start: restart the agent to grow them");
        }
        final LoadBalancerConfig previous = config.loadBalancer();
        applyRuntime(lb);
        try
        {
            if (!store.adopt(lb))
            {
                applyRuntime(previous);
                return false;
            }
        }
        catch (final RuntimeException ex)
        {
            applyRuntime(previous);
            throw ex;
        }
        config = new TandemConfig(config.node(), store.current());
        healthChecker.update(store.current());
        log.log("config.adopted", "version", store.currentVersion(), "from", "peer", "snapshot", version);
        return true;
    }

    /** @return the load balancer in force, with its version. */
    LoadBalancerConfig loadBalancer()
    {
        return store.current();
    }

    /** @return connections the workers track now. */
    long activeConnections()
    {
        return null == workers ? 0 : workers.activeConnections();
    }

    /**
     * Applies a new load balancer configuration while traffic flows and persists it: a new snapshot for the workers
     * (established connections keep their targets), the ingress rule replaced atomically, and the VIP moved when it
     * changed; then the {@link ConfigStore} writes it atomically. If persisting fails the previous configuration is
     * applied again, so the node never runs one that is not on disk, and never half of one. The node section cannot
     * change at runtime, nor can the connection cap grow beyond what the flow tables were sized for at start.
     *
     * @param lb              the validated load balancer.
     * @param expectedVersion the version the change was based on ({@link ConfigStore#currentVersion()}).
     * @return the configuration as stored, with its new version.
     * @throws IllegalArgumentException naming what needs a restart; nothing is changed then.
     * @throws io.tandem.control.config.ConfigStoreConflictException when {@code expectedVersion} is stale.
     */
    public synchronized LoadBalancerConfig apply(final LoadBalancerConfig lb, final String expectedVersion)
    {
        final int limit = config.node().connectionLimit(lb.plan().maxConnections());
        if (limit > tableCapacity)
        {
            throw new IllegalArgumentException("planId " + lb.plan().id() + " allows " + limit + " connections but " +
                "the flow tables were sized for " + tableCapacity + " at start: restart the agent to grow them");
        }
        if (!Objects.equals(expectedVersion, store.currentVersion()))
        {
            // refused before anything runs; the store checks again under its own lock
            store.replace(lb, expectedVersion);
        }
        final LoadBalancerConfig previous = config.loadBalancer();
        applyRuntime(lb);
        final LoadBalancerConfig stored;
        try
        {
            stored = store.replace(lb, expectedVersion);
        }
        catch (final RuntimeException ex)
        {
            applyRuntime(previous);
            throw ex;
        }
        config = new TandemConfig(config.node(), stored);
        healthChecker.update(stored);
        log.log("config.applied", "snapshot", version, "listeners", lb.listeners().size(), "pools",
            lb.targetPools().size(), "plan", lb.plan().id(), "version", store.currentVersion());
        if (null != pair)
        {
            pair.configApplied(stored);
        }
        return stored;
    }

    /** @return the version of the configuration in force, for optimistic concurrency. */
    public String configVersion()
    {
        return store.currentVersion();
    }

    private void applyRuntime(final LoadBalancerConfig lb)
    {
        final TandemConfig next = new TandemConfig(config.node(), lb);
        final int oldVip = config.loadBalancer().externalIp();
        final int newVip = lb.externalIp();
        final TandemConfig previous = config;
        config = next;
        try
        {
            if (newVip != oldVip && active)
            {
                ownAddress(newVip);
            }
            rule.install(listenerKeys(), next.node().snatIp(), SNAT_FIRST_PORT, SNAT_LAST_PORT);
            exchange.publish(buildSnapshot());
        }
        catch (final RuntimeException ex)
        {
            config = previous;
            throw ex;
        }
        if (newVip != oldVip && newVip != next.node().snatIp())
        {
            owned.release(oldVip);
        }
        resolveMissingNeighbours();
    }

    /**
     * Publishes a snapshot with new target health; called when a target goes up or down.
     *
     * @param targetHealth the health of every target.
     */
    public synchronized void healthChanged(final TargetHealth targetHealth)
    {
        health = targetHealth;
        exchange.publish(buildSnapshot());
    }

    /**
     * @param limit most connections per worker.
     * @return a sample of the connections the workers track; empty before they run.
     */
    public List<FlowSample> sampleFlows(final int limit)
    {
        if (null == workers)
        {
            return List.of();
        }
        try
        {
            return workers.sampleFlows(limit);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    /** @return the counters file's reader, or null before the workers run. */
    public CountersReader countersReader()
    {
        return null == countersFile ? null : countersFile.reader();
    }

    /**
     * @return the node's state for the admin API: role, versions, plan use, connections per listener and the health
     * of every target.
     */
    public synchronized AdminStatus status()
    {
        final LoadBalancerConfig lb = config.loadBalancer();
        final int limit = config.node().connectionLimit(lb.plan().maxConnections());
        final List<AdminStatus.ListenerStatus> listeners = new ArrayList<>();
        for (final ListenerConfig listener : lb.listeners())
        {
            listeners.add(new AdminStatus.ListenerStatus(listener.name(), listener.port(),
                null == workers ? 0 : workers.activeConnections(listener.port()),
                null == workers ? AdminStatus.Traffic.NONE :
                    traffic(workers.listenerTraffic(listener.port()))));
        }
        final List<AdminStatus.TargetStatus> targets = new ArrayList<>();
        for (final TargetPoolConfig pool : lb.targetPools())
        {
            for (final TargetConfig target : pool.targets())
            {
                targets.add(targetStatus(pool, target));
            }
        }
        return new AdminStatus(
            null == pair ? "standalone" : active ? "active" : "passive",
            store.currentVersion(),
            null == exchange ? 0 : exchange.current().version(),
            new AdminStatus.PlanUsage(lb.plan().id(), limit,
                null == workers ? 0 : workers.activeConnections()),
            listeners,
            targets,
            null == pair ? null : pair.status());
    }

    private AdminStatus.TargetStatus targetStatus(
        final TargetPoolConfig pool, final TargetConfig target)
    {
        final TargetStatus probed =
            null == healthChecker ? null : healthChecker.status(pool.name(), target.ip());
        final AdminStatus.Traffic traffic = null == workers ?
            AdminStatus.Traffic.NONE :
            traffic(workers.targetTraffic(targetSlots.slotOf(pool.name(), target.ip())));
        if (null == probed || null == probed.lastResult())
        {
            return new AdminStatus.TargetStatus(pool.name(), target.displayName(),
                target.ip(), health.isHealthy(pool.name(), target.ip()), null,
                AdminStatus.TargetStatus.NEVER, traffic);
        }
        return new AdminStatus.TargetStatus(pool.name(), target.displayName(), target.ip(),
            probed.healthy(), probed.lastResult().toString(), probed.lastProbeEpochMs(), traffic);
    }

    private static AdminStatus.Traffic traffic(final long[] t)
    {
        return new AdminStatus.Traffic(t[0], t[1], t[2], t[3]);
    }

    /** @return the configuration in force. */
    public TandemConfig config()
    {
        return config;
    }

    private List<Integer> serviceAddresses()
    {
        return List.of(config.loadBalancer().externalIp(), config.node().snatIp());
    }

    private long[] listenerKeys()
    {
        final List<ListenerConfig> listeners = config.loadBalancer().listeners();
        final long[] keys = new long[listeners.size()];
        for (int i = 0; i < keys.length; i++)
        {
            keys[i] = ((long)config.loadBalancer().externalIp() << 16) | listeners.get(i).port();
        }
        return keys;
    }

    private ForwardingSnapshot buildSnapshot()
    {
        final NextHops.Builder hops = NextHops.builder().epoch(nextHopEpoch).localNetwork(localNetwork,
            localPrefixLength);
        neighbourMacs.forEach(hops::neighbour);
        final Long gatewayMac = neighbourMacs.get(gateway);
        if (gateway != RtNetlink.NO_GATEWAY && null != gatewayMac)
        {
            hops.gatewayMac(gatewayMac);
        }
        return SnapshotFactory.build(config, ++version, link.mac(), hops.build(), health, targetSlots, active);
    }

    /** Reads the neighbour table; bumps the next-hop epoch when any MAC changed. */
    private boolean refreshNeighbours()
    {
        final Map<Integer, Long> macs = new HashMap<>();
        for (final RtNetlinkNeighbour neighbour : netlink.neighbours(link.index()))
        {
            macs.put(neighbour.address(), neighbour.mac());
        }
        if (macs.equals(neighbourMacs))
        {
            return false;
        }
        neighbourMacs = Map.copyOf(macs);
        nextHopEpoch++;
        return true;
    }

    /**
     * The targets on the local network and the gateway must be in the neighbour table; asks for those that are not.
     *
     * @return true when any was missing.
     */
    private boolean resolveMissingNeighbours()
    {
        final Set<Integer> wanted = new LinkedHashSet<>();
        for (final TargetPoolConfig pool : config.loadBalancer().targetPools())
        {
            for (final TargetConfig target : pool.targets())
            {
                wanted.add(isLocal(target.ipv4()) ? target.ipv4() : gateway);
            }
        }
        if (gateway != RtNetlink.NO_GATEWAY)
        {
            wanted.add(gateway);
        }
        wanted.remove(RtNetlink.NO_GATEWAY);
        boolean missing = false;
        for (final int address : wanted)
        {
            if (!neighbourMacs.containsKey(address))
            {
                netlink.resolveNeighbour(link.index(), address);
                missing = true;
            }
        }
        return missing;
    }

    /**
     * Asks the kernel to resolve the gateway and the targets, and waits a little (at most 2 s) for the answers, so that
     * the first SYNs after start-up find their next hops instead of being dropped. Targets that do not answer are
     * resolved again by the control loop.
     */
    private void awaitNeighbours()
    {
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
        while (true)
        {
            if (!resolveMissingNeighbours() || System.nanoTime() - deadline >= 0)
            {
                return;
            }
            try
            {
                Thread.sleep(20);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
                return;
            }
            refreshNeighbours();
        }
    }

    private boolean isLocal(final int address)
    {
        final int mask = localPrefixLength == 0 ? 0 : -1 << (32 - localPrefixLength);
        return (address & mask) == (localNetwork & mask);
    }

    /**
     * Runs the control loop until {@link #requestStop()} or until {@code durationNs} has passed.
     *
     * @param durationNs how long to run; {@link Long#MAX_VALUE} for ever.
     */
    public void run(final long durationNs)
    {
        final long deadline = durationNs == Long.MAX_VALUE ? Long.MAX_VALUE : System.nanoTime() + durationNs;
        long nextResolve = System.nanoTime() + RESOLVE_INTERVAL_NS;
        final RtNetlinkEventListener listener = new RtNetlinkEventListener()
        {
            @Override
            public void onLink(final RtNetlinkLink changed, final boolean removed)
            {
                if (changed.index() == link.index())
                {
                    final boolean down = removed || !changed.isUp();
                    if (down)
                    {
                        log.log("interface.down", "interface", changed.name());
                    }
                    if (null != pair)
                    {
                        pair.linkChanged(down);
                    }
                }
            }

            @Override
            public void onAddress(final RtNetlinkAddress address, final boolean removed)
            {
            }

            @Override
            public void onNeighbour(final RtNetlinkNeighbour neighbour, final boolean removed)
            {
                if (neighbour.ifIndex() == link.index())
                {
                    neighboursDirty = true;
                }
            }

            @Override
            public void onOverrun()
            {
                neighboursDirty = true;
            }
        };
        while (running && System.nanoTime() - deadline < 0)
        {
            if (events.awaitReadable(100))
            {
                events.pollEvents(listener);
            }
            if (healthDirty)
            {
                healthDirty = false;
                healthChanged(healthChecker.snapshot());
                log.log("snapshot.published", "reason", "health", "snapshot", version);
            }
            if (neighboursDirty)
            {
                neighboursDirty = false;
                synchronized (this)
                {
                    if (refreshNeighbours())
                    {
                        exchange.publish(buildSnapshot());
                    }
                }
                if (nextHopEpoch != loggedEpoch)
                {
                    loggedEpoch = nextHopEpoch;
                    log.log("nexthops.changed", "epoch", nextHopEpoch, "neighbours", neighbourMacs.size(),
                        "snapshot", version);
                }
            }
            if (System.nanoTime() - nextResolve >= 0)
            {
                nextResolve = System.nanoTime() + RESOLVE_INTERVAL_NS;
                resolveMissingNeighbours();
            }
        }
    }

    /** Asks {@link #run} to return; any thread. */
    public void requestStop()
    {
        running = false;
    }

    /**
     * Waits until {@link #close()} has finished, for a shutdown hook that must not let the JVM exit before the
     * rules and addresses are gone.
     *
     * @return true when it finished in time.
     */
    public boolean awaitClosed(final long timeout, final TimeUnit unit) throws InterruptedException
    {
        return stopped.await(timeout, unit);
    }

    /** @return true when {@link #close()} undid every step without an error. */
    public boolean closedCleanly()
    {
        return closedCleanly;
    }

    /** @return the snapshot version workers forward with. */
    public long snapshotVersion()
    {
        return null == exchange ? 0 : exchange.current().version();
    }

    /** Takes everything down in reverse order of bringing it up. Idempotent. */
    @Override
    public void close()
    {
        running = false;
        RuntimeException failure = null;
        while (!undo.isEmpty())
        {
            try
            {
                undo.pop().run();
            }
            catch (final RuntimeException ex)
            {
                log.log("agent.cleanup.failed", "error", ex.getMessage());
                failure = null == failure ? ex : failure;
            }
        }
        if (stopped.getCount() > 0)
        {
            closedCleanly = null == failure;
            log.log("agent.stopped", "clean", closedCleanly);
        }
        stopped.countDown();
        if (null != failure)
        {
            throw failure;
        }
    }
}
