package io.tandem.control.agent;

import io.tandem.control.admin.AdminStatus;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigWriter;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.PairConfig;
import io.tandem.control.election.VrrpConfig;
import io.tandem.control.election.VrrpCounters;
import io.tandem.control.election.VrrpListener;
import io.tandem.control.election.VrrpRole;
import io.tandem.control.election.VrrpSpeaker;
import io.tandem.control.sync.SyncChannel;
import io.tandem.control.sync.SyncCounters;
import io.tandem.control.sync.SyncHandler;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.worker.FlowSyncDescriptor;
import io.tandem.dataplane.worker.ForwardingAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The node's part in the appliance pair: it runs the election ({@link VrrpSpeaker}), turns its outcome into the
 * node's role ({@link NodeAgent#becomeActive()} / {@link NodeAgent#becomePassive(String)}), and keeps the peer's
 * connections and configuration in step over the {@link SyncChannel}.
 * <p>
 * Three threads besides the speaker's and the channel's:
 * <ul>
 *     <li>the <b>role thread</b> carries out role changes and configuration adoption in order, so that neither the
 *     speaker (which must keep advertising) nor the channel (which must keep reading) ever waits for the agent;</li>
 *     <li>the <b>pump thread</b> drains every worker's sync outbox into batches for the channel, starts bulk resyncs,
 *     and watches the workers' duty cycles: a worker that stalls demotes the node so the peer takes over;</li>
 *     <li>the channel's thread delivers the peer's batches straight into the workers' inboxes.</li>
 * </ul>
 * Messages on the channel:
 * <pre>
 *  FLOWS   (1): entries, each  type u8 | worker u8 | length u16 (little endian) | FlowSyncDescriptor message
 *  CONFIG  (2): {"workers": N, "active": bool, "loadBalancer": {... with its store version}} (UTF-8 JSON)
 *  BULK    (3): a generation (long): the sender starts a bulk resync; entries of it follow in FLOWS
 *  RESYNC  (4): empty: the sender lost messages and asks for a bulk resync
 * </pre>
 * Only the active node's connections travel; a node that is active itself ignores the peer's (split brain: each
 * keeps its own, and the one that turns passive receives the survivor's table in a bulk resync and sweeps the
 * rest).
 */
final class PairConductor implements AutoCloseable
{
    static final int MSG_FLOWS = 1;
    static final int MSG_CONFIG = 2;
    static final int MSG_BULK = 3;
    static final int MSG_RESYNC = 4;

    private static final int ENTRY_HEADER = 4;
    private static final int BATCH_BYTES = 60 * 1024;
    private static final long STALL_NS = TimeUnit.MILLISECONDS.toNanos(500);
    private static final long INBOX_RETRY_NS = TimeUnit.MILLISECONDS.toNanos(50);

    private final NodeAgent agent;
    private final EventLog log;
    private final PairConfig pair;
    private final List<ForwardingAgent> workers;
    private final List<RingBuffer> outboxes;
    private final List<RingBuffer> inboxes;
    private final ExecutorService roleThread;
    private final Thread pumpThread;
    private final VrrpSpeaker speaker;
    private final SyncChannel channel;
    private final AtomicLong generation = new AtomicLong(System.currentTimeMillis() & 0x3FFF_FFFFL);
    private final AtomicLong flowsIgnored = new AtomicLong();
    private final AtomicLong inboxOverflows = new AtomicLong();
    private final AtomicLong bulksSent = new AtomicLong();
    private final AtomicLong bulksReceived = new AtomicLong();
    private volatile boolean bulkRequested;
    private volatile boolean sessionUp;
    private volatile int sessionEpoch;
    private int lastBulkSession;
    private volatile boolean running = true;
    private volatile boolean linkDown;
    private volatile boolean workerStalled;
    private volatile int peerWorkers = -1;
    // the election starts once this node holds the active peer's connections, so that a node coming back (and
    // preempting) never takes over with an empty table; or at once when there is no active peer to learn from
    private static final long PEER_WAIT_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long INITIAL_SYNC_WAIT_NS = TimeUnit.SECONDS.toNanos(5);
    private final long startedNs = System.nanoTime();
    private volatile boolean speakerStarted;
    private volatile long lastRivalAnnounceNs = System.nanoTime() - TimeUnit.SECONDS.toNanos(2);
    private volatile int peerActive = -1;
    private volatile int bulkWorkersPending = -1;

    /**
     * Starts the channel, the pump and the election; the node is passive until the election says otherwise.
     *
     * @param agent       the node.
     * @param log         where events go.
     * @param pair        the pair settings.
     * @param nodeAddress the node's own address on the data interface.
     * @param workers     the workers, whose sync rings are {@code outboxes} and {@code inboxes}.
     * @param outboxes    each worker's outbox.
     * @param inboxes     each worker's inbox (multi-producer: the channel's thread and the pump write it).
     * @param virtual     the addresses the active node owns, for the advertisements.
     */
    PairConductor(
        final NodeAgent agent,
        final EventLog log,
        final PairConfig pair,
        final String interfaceName,
        final String nodeAddress,
        final List<ForwardingAgent> workers,
        final List<RingBuffer> outboxes,
        final List<RingBuffer> inboxes,
        final List<String> virtual)
    {
        this.agent = agent;
        this.log = log;
        this.pair = pair;
        this.workers = List.copyOf(workers);
        this.outboxes = List.copyOf(outboxes);
        this.inboxes = List.copyOf(inboxes);
        this.roleThread = Executors.newSingleThreadExecutor(r -> daemon(r, "tandem-role"));
        this.channel = new SyncChannel(new SyncChannel.Context()
            .localAddress(nodeAddress)
            .peerAddress(pair.peerAddress())
            .port(pair.syncPort())
            .key(pair.key())
            .nodeName(nodeAddress)
            .handler(new ChannelHandler())
            .errorHandler(t -> log.log("sync.error", "error", t.toString()))
            .threadName("tandem-sync"));
        this.pumpThread = daemon(this::pump, "tandem-sync-pump");
        pumpThread.start();
        this.speaker = new VrrpSpeaker(new VrrpConfig(interfaceName, nodeAddress, pair.peerAddress(), pair.routerId(),
            pair.priority(), pair.preempt(), pair.advertIntervalCs(), pair.key(), virtual),
            new VrrpListener()
            {
                @Override
                public void onRoleChange(final VrrpRole role, final String reason)
                {
                    roleThread.execute(() -> onRole(role, reason));
                }

                @Override
                public void onRivalYields(final int sourceAddress)
                {
                    // a split healed: the router and the targets may have followed the other node meanwhile
                    final long now = System.nanoTime();
                    if (now - lastRivalAnnounceNs > TimeUnit.SECONDS.toNanos(1))
                    {
                        lastRivalAnnounceNs = now;
                        log.log("pair.rival.yields", "peer", Bytes.ipv4ToString(sourceAddress));
                        roleThread.execute(agent::announce);
                    }
                }
            });
        log.log("pair.started", "peer", pair.peerAddress(), "routerId", pair.routerId(), "priority", pair.priority(),
            "intervalCs", pair.advertIntervalCs(), "preempt", pair.preempt(), "key", null != pair.key(),
            "syncPort", pair.syncPort());
    }

    private static Thread daemon(final Runnable r, final String name)
    {
        final Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** @return the election's role now. */
    VrrpRole role()
    {
        return speaker.role();
    }

    /** @return the speaker, for status and metrics. */
    VrrpSpeaker speaker()
    {
        return speaker;
    }

    /** @return the channel, for status and metrics. */
    SyncChannel channel()
    {
        return channel;
    }

    /** @return the election's and the sync channel's state, for the admin API and metrics. */
    AdminStatus.PairStatus status()
    {
        final VrrpCounters vrrp = speaker.counters();
        final Map<String, Long> dropped = new TreeMap<>();
        vrrp.dropped().forEach((reason, n) -> dropped.put(reason.name(), n));
        final SyncCounters sync = channel.counters();
        return new AdminStatus.PairStatus(pair.peerAddress(), speaker.role().name(),
            channel.isConnected(), vrrp.advertisementsSent(), vrrp.advertisementsAccepted(), dropped,
            sync.sessionsEstablished(), sync.totalSessionLosses(), sync.authFailures(), bulksSent.get(),
            bulksReceived.get(), inboxOverflows.get());
    }

    /** The data interface went down or came up: a node without its interface must not stay active. */
    void linkChanged(final boolean down)
    {
        if (down != linkDown)
        {
            linkDown = down;
            updateDemotion(down ? "data interface down" : "data interface up");
        }
    }

    private void updateDemotion(final String reason)
    {
        final boolean demote = linkDown || workerStalled;
        if (demote != speaker.isDemoted())
        {
            speaker.setDemoted(demote);
            log.log(demote ? "pair.demoted" : "pair.undemoted", "reason", reason);
        }
    }

    /** A configuration was accepted here (admin API or reload): the peer gets it. */
    void configApplied(final LoadBalancerConfig stored)
    {
        sendConfig(stored);
    }

    private void onRole(final VrrpRole role, final String reason)
    {
        try
        {
            if (VrrpRole.MASTER == role)
            {
                agent.becomeActive(reason);
                bulkRequested = true; // the peer, passive now, gets this node's table
            }
            else
            {
                agent.becomePassive(reason);
            }
        }
        catch (final RuntimeException ex)
        {
            log.log("pair.role.failed", "role", role.name(), "error", ex.toString());
        }
    }

    private void sendConfig(final LoadBalancerConfig lb)
    {
        final String json = "{\"workers\": " + workers.size() + ", \"active\": " + (VrrpRole.MASTER == speaker.role()) +
            ", \"loadBalancer\": " + ConfigWriter.toJson(lb) + "}";
        final byte[] bytes = json.getBytes(StandardCharsets.UTF_8);
        if (bytes.length <= channel.maxPayloadLength())
        {
            channel.send(MSG_CONFIG, bytes);
        }
        else
        {
            log.log("sync.config.too-large", "bytes", bytes.length);
        }
    }

    private void onConfig(final ByteBuffer payload)
    {
        final byte[] bytes = new byte[payload.remaining()];
        payload.get(bytes);
        final LoadBalancerConfig lb;
        try
        {
            final com.fasterxml.jackson.databind.JsonNode tree = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(bytes);
            peerWorkers = tree.path("workers").asInt(-1);
            peerActive = tree.path("active").asBoolean(false) ? 1 : 0;
            if (peerWorkers != workers.size())
            {
                log.log("sync.workers.mismatch", "local", workers.size(), "peer", peerWorkers,
                    "effect", "connections are not replicated: both nodes need the same number of workers");
            }
            lb = ConfigReader.parseLoadBalancer(tree.path("loadBalancer").toString());
        }
        catch (final Exception ex)
        {
            log.log("sync.config.refused", "error", ex.getMessage());
            return;
        }
        roleThread.execute(() ->
        {
            try
            {
                if (!agent.adopt(lb))
                {
                    final LoadBalancerConfig ours = agent.loadBalancer();
                    if (!ours.version().equals(lb.version()))
                    {
                        sendConfig(ours); // the peer is behind: it adopts ours
                    }
                }
            }
            catch (final RuntimeException ex)
            {
                log.log("sync.config.refused", "version", lb.version(), "error", ex.getMessage());
            }
        });
    }

    // ---- outbound: the pump ----------------------------------------------------------------------------------------

    private void pump()
    {
        final byte[] batch = new byte[BATCH_BYTES + 256];
        final UnsafeBuffer out = new UnsafeBuffer(batch);
        final int[] length = {0};
        final long[] overflows = new long[workers.size()];
        final long[] cycles = new long[workers.size()];
        final long[] progressNs = new long[workers.size()];
        final long start = System.nanoTime();
        Arrays.fill(progressNs, start);
        while (running)
        {
            // one bulk per session unless asked again (overflow, the peer's request, becoming active)
            final int session = sessionEpoch;
            if (sessionUp && (bulkRequested || lastBulkSession != session))
            {
                bulkRequested = false;
                lastBulkSession = session;
                flush(out, length);
                startBulk();
            }
            int work = 0;
            for (int w = 0; w < outboxes.size(); w++)
            {
                final int worker = w;
                work += outboxes.get(w).read((type, buffer, index, messageLength) ->
                {
                    if (length[0] + ENTRY_HEADER + messageLength > BATCH_BYTES)
                    {
                        flush(out, length);
                    }
                    out.putByte(length[0], (byte)type);
                    out.putByte(length[0] + 1, (byte)worker);
                    out.putShort(length[0] + 2, (short)messageLength, ByteOrder.LITTLE_ENDIAN);
                    out.putBytes(length[0] + ENTRY_HEADER, buffer, index, messageLength);
                    length[0] += ENTRY_HEADER + messageLength;
                }, 1024);
            }
            flush(out, length);
            final long now = System.nanoTime();
            if (!speakerStarted)
            {
                maybeStartElection(now);
            }
            boolean stalled = false;
            for (int w = 0; w < workers.size(); w++)
            {
                final ForwardingAgent worker = workers.get(w);
                final long overflow = worker.counters().get(WorkerCounter.SYNC_OVERFLOW);
                if (overflow != overflows[w])
                {
                    overflows[w] = overflow;
                    bulkRequested = true; // the peer missed something: a bulk resync, not luck
                }
                final long c = worker.counters().get(WorkerCounter.DUTY_CYCLES);
                if (c != cycles[w])
                {
                    cycles[w] = c;
                    progressNs[w] = now;
                }
                stalled |= now - progressNs[w] > STALL_NS;
            }
            if (stalled != workerStalled)
            {
                workerStalled = stalled;
                updateDemotion(stalled ? "a worker stalled" : "workers running");
            }
            if (0 == work)
            {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
        }
    }

    private void maybeStartElection(final long now)
    {
        final String why;
        if (0 == peerActive)
        {
            why = "the peer is passive";
        }
        else if (1 == peerActive && 0 == bulkWorkersPending)
        {
            why = "holds the active peer's connections";
        }
        else if (!channel.isConnected() && now - startedNs > PEER_WAIT_NS)
        {
            why = "no peer answered on the sync channel";
        }
        else if (now - startedNs > INITIAL_SYNC_WAIT_NS)
        {
            why = "initial sync did not finish in time";
        }
        else
        {
            return;
        }
        speakerStarted = true;
        speaker.start();
        log.log("pair.election.started", "reason", why, "waitedMs", (now - startedNs) / 1_000_000);
    }

    private void flush(final UnsafeBuffer out, final int[] length)
    {
        if (length[0] > 0)
        {
            // paced on the channel's queue, so a bulk resync larger than the queue never overflows it; the workers'
            // outboxes hold the rest meanwhile, and a worker's bulk walk waits for room in its outbox
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            while (channel.isConnected() && channel.outboundQueueFreeBytes() < length[0] + SyncChannel.FRAME_OVERHEAD &&
                System.nanoTime() - deadline < 0)
            {
                LockSupport.parkNanos(200_000);
            }
            // without a session the entries are dropped: the next session starts with a bulk resync
            channel.send(MSG_FLOWS, out.byteArray(), 0, length[0]);
            length[0] = 0;
        }
    }

    private void startBulk()
    {
        if (VrrpRole.MASTER != speaker.role())
        {
            return;
        }
        final long g = generation.incrementAndGet();
        final byte[] begin = new byte[8];
        new UnsafeBuffer(begin).putLong(0, g, ByteOrder.LITTLE_ENDIAN);
        if (!channel.send(MSG_BULK, begin))
        {
            return;
        }
        bulksSent.incrementAndGet();
        for (final RingBuffer inbox : inboxes)
        {
            post(inbox, FlowSyncDescriptor.BULK_REQUEST, g);
        }
        log.log("sync.bulk.sent", "generation", g, "connections", agent.activeConnections());
    }

    private static boolean post(final RingBuffer inbox, final int type, final long generation)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        message.putLong(0, generation);
        final long deadline = System.nanoTime() + INBOX_RETRY_NS;
        while (!inbox.write(type, message, 0, 8))
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return false;
            }
            LockSupport.parkNanos(100_000);
        }
        return true;
    }

    // ---- inbound: the channel's thread -----------------------------------------------------------------------------

    private final class ChannelHandler implements SyncHandler
    {
        private final UnsafeBuffer view = new UnsafeBuffer(0, 0);

        @Override
        public void onSessionUp(final String peerName)
        {
            log.log("sync.up", "peer", peerName);
            sendConfig(agent.loadBalancer());
            if (VrrpRole.MASTER == speaker.role())
            {
                // after a split, the router may still send the VIP's traffic to the peer: claim it again
                roleThread.execute(agent::announce);
            }
            sessionEpoch++; // the pump starts this session's bulk if this node is the active one
            sessionUp = true;
        }

        @Override
        public void onMessage(final int type, final ByteBuffer payload)
        {
            switch (type)
            {
                case MSG_FLOWS -> onFlows(payload);
                case MSG_CONFIG -> onConfig(payload);
                case MSG_BULK -> onBulk(payload.order(ByteOrder.LITTLE_ENDIAN).getLong(0));
                case MSG_RESYNC -> bulkRequested = true;
                default -> log.log("sync.unknown", "type", type);
            }
        }

        @Override
        public void onSessionDown(final String reason)
        {
            sessionUp = false;
            log.log("sync.down", "reason", reason);
        }

        private boolean accepting()
        {
            return VrrpRole.MASTER != speaker.role() && peerWorkers == workers.size();
        }

        private void onBulk(final long g)
        {
            if (!accepting())
            {
                return;
            }
            bulksReceived.incrementAndGet();
            bulkWorkersPending = inboxes.size();
            for (final RingBuffer inbox : inboxes)
            {
                if (!post(inbox, FlowSyncDescriptor.BULK_BEGIN, g))
                {
                    overflow();
                    return;
                }
            }
            log.log("sync.bulk.received", "generation", g);
        }

        private void onFlows(final ByteBuffer payload)
        {
            if (!accepting())
            {
                flowsIgnored.incrementAndGet();
                return;
            }
            view.wrap(payload, 0, payload.limit());
            int offset = 0;
            while (offset + ENTRY_HEADER <= payload.limit())
            {
                final int type = view.getByte(offset) & 0xFF;
                final int worker = view.getByte(offset + 1) & 0xFF;
                final int length = view.getShort(offset + 2, ByteOrder.LITTLE_ENDIAN) & 0xFFFF;
                if (offset + ENTRY_HEADER + length > payload.limit() || worker >= inboxes.size())
                {
                    log.log("sync.flows.malformed", "offset", offset);
                    return;
                }
                if (!write(inboxes.get(worker), type, offset + ENTRY_HEADER, length))
                {
                    overflow();
                    return;
                }
                if (FlowSyncDescriptor.BULK_END == type && bulkWorkersPending > 0)
                {
                    bulkWorkersPending--;
                }
                offset += ENTRY_HEADER + length;
            }
        }

        private boolean write(final RingBuffer inbox, final int type, final int offset, final int length)
        {
            final long deadline = System.nanoTime() + INBOX_RETRY_NS;
            while (!inbox.write(type, view, offset, length))
            {
                if (System.nanoTime() - deadline >= 0)
                {
                    return false;
                }
                LockSupport.parkNanos(100_000);
            }
            return true;
        }

        private void overflow()
        {
            inboxOverflows.incrementAndGet();
            log.log("sync.inbox.overflow", "effect", "asking the peer for a bulk resync");
            channel.send(MSG_RESYNC, new byte[0]);
        }
    }

    /**
     * Leaves the pair cleanly: the election first (a master sends priority 0, so the peer takes over at once),
     * then the channel and the threads.
     */
    @Override
    public void close()
    {
        running = false;
        speaker.close();
        roleThread.shutdown();
        try
        {
            roleThread.awaitTermination(2, TimeUnit.SECONDS);
            pumpThread.join(2_000);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        channel.close();
        log.log("pair.stopped", "peer", pair.peerAddress());
    }
}
