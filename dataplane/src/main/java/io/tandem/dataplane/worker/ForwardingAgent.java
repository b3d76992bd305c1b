package io.tandem.dataplane.worker;

import io.tandem.dataplane.flow.FlowRecord;
import io.tandem.dataplane.flow.FlowTable;
import io.tandem.dataplane.flow.FlowTimerWheel;
import io.tandem.dataplane.flow.RawMemory;
import io.tandem.dataplane.flow.SnatPortAllocator;
import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.packet.EthernetFlyweight;
import io.tandem.dataplane.packet.Ipv4Flyweight;
import io.tandem.dataplane.packet.TcpFlyweight;
import io.tandem.dataplane.port.FrameHandler;
import io.tandem.dataplane.port.PacketPort;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.Listener;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.snapshot.TargetPool;
import io.tandem.dataplane.status.TrafficCounters;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.status.WorkerCounters;
import io.tandem.dataplane.tcp.SegmentWriter;
import io.tandem.dataplane.tcp.Seq;
import io.tandem.dataplane.tcp.TcpState;
import io.tandem.dataplane.tcp.TcpTimeouts;
import org.agrona.ErrorHandler;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.Agent;
import org.agrona.concurrent.MessageHandler;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;

import static io.tandem.dataplane.flow.FlowRecord.*;
import static io.tandem.dataplane.packet.TcpFlyweight.ACK;
import static io.tandem.dataplane.packet.TcpFlyweight.FIN;
import static io.tandem.dataplane.packet.TcpFlyweight.RST;
import static io.tandem.dataplane.packet.TcpFlyweight.SYN;

/**
 * One forwarding worker: a duty cycle that takes a burst of frames from its {@link PacketPort}, runs each through
 * the stages below, expires connections on its timer wheel, and flushes the port.
 * <pre>
 *  parse ─► classify ─► validate ─► lookup ─┬─ hit ──► track TCP ─► rewrite (full NAT) ─► transmit
 *                                           ├─ miss + SYN ──► ACL ─► healthy target ─► plan cap ─► SNAT port
 *                                           │                 ─► insert both directions ─► rewrite ─► transmit
 *                                           └─ miss + other ─► RST to the sender (rate-limited)
 * </pre>
 * Frames that are not Tandem's (not IPv4/TCP, or not to a listener or the SNAT address's port range) are left to the
 * kernel. Every other frame is forwarded, answered or dropped with a named {@link WorkerCounter}.
 * <p>
 * The worker owns its flow table, timer wheel and counters and shares nothing mutable but the
 * {@link ConnectionBudget}. The hot path allocates nothing, takes no locks and does not log; an exception is a bug,
 * counted as {@link WorkerCounter#WORKER_ERRORS} and handed to the error handler, and the worker goes on with the
 * next frame.
 */
public final class ForwardingAgent implements Agent, FrameHandler, FlowTimerWheel.ExpiryHandler, MessageHandler
{
    private static final int ETH = EthernetFlyweight.HEADER_LENGTH;
    private static final int IP_MIN = Ipv4Flyweight.MIN_HEADER_LENGTH;
    private static final int TCP_MIN = TcpFlyweight.MIN_HEADER_LENGTH;
    private static final long NO_MAC = NextHops.NO_MAC;

    private final WorkerContext context;
    private final PacketPort port;
    private final SnapshotExchange exchange;
    private final FlowTable table;
    private final RawMemory records;
    private final FlowTimerWheel wheel;
    private final SnatPortAllocator snatPorts;
    private final WorkerCounters counters;
    private final ConnectionBudget budget;
    private final NanoClock clock;
    private final ErrorHandler errorHandler;
    private final TcpTimeouts timeouts;
    private final int workerId;
    private final int burstLength;
    private final int timerLimit;
    private final int snatFirstPort;
    private final int snatLastPort;

    private final EthernetFlyweight ethernet = new EthernetFlyweight();
    private final Ipv4Flyweight ip = new Ipv4Flyweight();
    private final TcpFlyweight tcp = new TcpFlyweight();
    private final SegmentWriter segmentWriter = new SegmentWriter();
    private final UnsafeBuffer scratch = new UnsafeBuffer(ByteBuffer.allocateDirect(128));
    private final int[] roundRobin = new int[ForwardingSnapshot.MAX_POOLS];
    // tracked connections per listener port: written only by this worker (release stores), read by the control plane
    private final AtomicLongArray activeByListenerPort = new AtomicLongArray(65536);
    private final TrafficCounters traffic;

    private final long resetCostNs;
    private final long resetAllowanceMaxNs;
    private long resetAllowanceNs;
    private long resetLastNs;

    // flow samples: the control thread posts a request id, the worker answers in its own duty cycle (the only writer of
    // its table), copying records into a buffer it owns and then publishing the id it answered
    private static final int SAMPLE_CAPACITY = 256;
    private static final int SAMPLE_SCAN_LIMIT = 65_536;
    private final AtomicLong sampleRequested = new AtomicLong();
    private final AtomicLong sampleAnswered = new AtomicLong();
    private final UnsafeBuffer sampleRecords =
        new UnsafeBuffer(ByteBuffer.allocateDirect(SAMPLE_CAPACITY * FlowRecord.LENGTH));
    private final long[] sampleNowNs = new long[1];
    private volatile int sampleCount;
    private int sampleLimit = SAMPLE_CAPACITY;
    private int sampleScanPosition;

    // replication to the peer node (see FlowSyncDescriptor); null rings when the node has no peer
    private static final int SYNC_READ_LIMIT = 256;
    private static final int SYNC_SCAN_LIMIT = 4096;
    private static final int NO_GENERATION = -1;
    private final RingBuffer syncOutbox;
    private final RingBuffer syncInbox;
    private int currentGeneration;
    private long bulkGeneration = NO_GENERATION;
    private int bulkCursor;
    private long sweepGeneration = NO_GENERATION;
    private int sweepCursor;

    private ForwardingSnapshot snapshot;
    private boolean checksumPartial;
    private long nowNs;
    private boolean transmitted;

    /**
     * @param context  configuration; concluded here.
     * @param port     where frames come from and go to; owned by the caller.
     * @param exchange where snapshots come from.
     */
    public ForwardingAgent(final WorkerContext context, final PacketPort port, final SnapshotExchange exchange)
    {
        context.conclude();
        this.context = context;
        this.port = port;
        this.exchange = exchange;
        this.workerId = context.workerId();
        this.clock = context.clock();
        this.counters = context.counters();
        this.budget = context.budget();
        this.errorHandler = context.errorHandler();
        this.timeouts = context.timeouts();
        this.burstLength = context.burstLength();
        this.timerLimit = context.timerLimit();
        this.snatFirstPort = context.snatFirstPort();
        this.snatLastPort = context.snatLastPort();
        this.table = new FlowTable(context.flowCapacity(), context.hashSeed());
        this.records = table.records();
        this.nowNs = clock.nanoTime();
        this.wheel = new FlowTimerWheel(table, context.timerTickNs(), context.timerSlots(), nowNs);
        this.snatPorts = new SnatPortAllocator(
            table, context.snatAllocationFirstPort(), context.snatAllocationLastPort());
        this.traffic = context.traffic();
        this.syncOutbox = context.syncOutbox();
        this.syncInbox = context.syncInbox();
        this.resetCostNs = context.resetsPerSecond() == 0 ? Long.MAX_VALUE : 1_000_000_000L /
            Math.max(1, Math.min(1_000_000_000L, context.resetsPerSecond()));
        this.resetAllowanceMaxNs = context.resetsPerSecond() == 0 ? 0 : context.resetBurst() * resetCostNs;
        this.resetAllowanceNs = resetAllowanceMaxNs;
        this.resetLastNs = nowNs;
        this.snapshot = exchange.current();
        exchange.observed(workerId, snapshot.version());
    }

    @Override
    public String roleName()
    {
        return "tandem-worker-" + workerId;
    }

    /** @return the worker's flow table; read it only on the worker's thread, or when the worker is stopped. */
    public FlowTable flowTable()
    {
        return table;
    }

    /**
     * @param port a listener's port.
     * @return connections this worker tracks for listeners on that port now; any thread.
     */
    public long activeConnections(final int port)
    {
        return activeByListenerPort.get(port);
    }

    /** @return the worker's packet and byte counts per listener and target; any thread may read them. */
    public TrafficCounters traffic()
    {
        return traffic;
    }

    /** @return the worker's counters. */
    public WorkerCounters counters()
    {
        return counters;
    }

    /** @return the configuration the worker runs with. */
    public WorkerContext context()
    {
        return context;
    }

    @Override
    public int doWork()
    {
        final ForwardingSnapshot latest = exchange.current();
        if (latest != snapshot)
        {
            snapshot = latest;
            exchange.observed(workerId, latest.version());
            counters.increment(WorkerCounter.SNAPSHOT_SWAPS);
        }
        nowNs = clock.nanoTime();
        int work = port.receive(this, burstLength);
        work += wheel.poll(nowNs, this, timerLimit);
        if (null != syncInbox)
        {
            work += syncDutyCycle();
        }
        final long requested = sampleRequested.getAcquire();
        if (requested != sampleAnswered.getPlain())
        {
            answerSample(requested);
            work++;
        }
        counters.increment(WorkerCounter.DUTY_CYCLES);
        if (work > 0)
        {
            counters.increment(WorkerCounter.BUSY_CYCLES);
        }
        // counted before sent: whoever sees the effect of a frame on the wire finds it in the counters
        counters.publish();
        if (transmitted)
        {
            transmitted = false;
            port.flush();
        }
        return work;
    }

    /**
     * Publishes the counters now. {@link #doWork()} does this once per duty cycle; call it on the worker's thread
     * when frames were handed to {@link #onFrame} directly.
     */
    public void publishCounters()
    {
        counters.publish();
    }

    /**
     * Copies up to the requested number of tracked connections into the sample buffer, scanning a bounded part of
     * the table from where the last sample stopped, so that repeated samples walk the whole table over time.
     */
    private void answerSample(final long requested)
    {
        final int capacity = table.capacity();
        final int limit = Math.min(sampleLimit, SAMPLE_CAPACITY);
        final int scan = Math.min(capacity, SAMPLE_SCAN_LIMIT);
        int count = 0;
        int position = sampleScanPosition;
        for (int i = 0; i < scan && count < limit; i++)
        {
            if (table.isInUse(position))
            {
                final int base = table.recordOffset(position);
                for (int b = 0; b < FlowRecord.LENGTH; b += 8)
                {
                    sampleRecords.putLong(count * FlowRecord.LENGTH + b, records.getLong(base + b));
                }
                count++;
            }
            position = position + 1 == capacity ? 0 : position + 1;
        }
        sampleScanPosition = position;
        sampleNowNs[0] = nowNs;
        sampleCount = count;
        sampleAnswered.setRelease(requested);
    }

    /**
     * Asks the worker for a sample of its tracked connections and waits for it; any thread but the worker's. The
     * worker answers in its next duty cycle. One caller at a time (the admin API serialises them).
     *
     * @param limit     most connections, up to 256.
     * @param timeoutNs how long to wait for the worker.
     * @return the sample, or an empty list when the worker did not answer in time (stopped or stalled).
     */
    public synchronized List<FlowSample> sampleFlows(final int limit, final long timeoutNs)
        throws InterruptedException
    {
        sampleLimit = Math.max(1, Math.min(limit, SAMPLE_CAPACITY));
        final long request = sampleRequested.get() + 1;
        sampleRequested.setRelease(request);
        final long deadline = System.nanoTime() + timeoutNs;
        while (sampleAnswered.getAcquire() != request)
        {
            if (System.nanoTime() - deadline >= 0)
            {
                return List.of();
            }
            Thread.sleep(1);
        }
        final int count = sampleCount;
        final long now = sampleNowNs[0];
        final List<FlowSample> samples = new ArrayList<>(count);
        for (int i = 0; i < count; i++)
        {
            final int base = i * FlowRecord.LENGTH;
            final UnsafeBuffer r = sampleRecords;
            samples.add(new FlowSample(workerId,
                r.getInt(base + CLIENT_IP_OFFSET), r.getShort(base + CLIENT_PORT_OFFSET) & 0xFFFF,
                r.getInt(base + VIP_OFFSET), r.getShort(base + VIP_PORT_OFFSET) & 0xFFFF,
                r.getInt(base + TARGET_IP_OFFSET), r.getShort(base + TARGET_PORT_OFFSET) & 0xFFFF,
                r.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF, r.getByte(base + STATE_OFFSET),
                now - r.getLong(base + CREATED_NS_OFFSET),
                r.getLong(base + EXPIRES_NS_OFFSET) - now,
                r.getLong(base + PAYLOAD_BYTES_OFFSET)));
        }
        return samples;
    }

    @Override
    public void onClose()
    {
        counters.publish();
        table.close();
    }

    @Override
    public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int flags)
    {
        try
        {
            process(buffer, offset, length, flags);
        }
        catch (final Throwable t)
        {
            counters.increment(WorkerCounter.WORKER_ERRORS);
            errorHandler.onError(t);
        }
    }

    @Override
    public void onExpired(final int recordIndex, final long now)
    {
        final int base = table.recordOffset(recordIndex);
        final int state = records.getByte(base + STATE_OFFSET);
        final int flags = records.getByte(base + FLAGS_OFFSET) & 0xFF;
        if (!snapshot.forwarding())
        {
            // passive: a replicated connection lives until the peer forgets it (it sees the traffic, this node does
            // not); a connection of this node's own from before it turned passive goes without a word on the wire
            if ((flags & FLAG_REPLICATED) != 0)
            {
                expireAt(recordIndex, base, now + records.getLong(base + IDLE_TIMEOUT_NS_OFFSET));
            }
            else
            {
                records.putByte(base + FLAGS_OFFSET, (byte)(flags & ~FLAG_SYNCED));
                forget(recordIndex);
            }
            return;
        }
        if ((flags & FLAG_REPLICATED) != 0)
        {
            // taken over: this node has not seen the connection's traffic yet, so it gets one full idle period
            records.putByte(base + FLAGS_OFFSET, (byte)(flags & ~FLAG_REPLICATED));
            expireAt(recordIndex, base, now + records.getLong(base + IDLE_TIMEOUT_NS_OFFSET));
            return;
        }
        if (TcpState.isIdleTimed(state))
        {
            closeOnIdle(recordIndex, base);
            return;
        }
        if (TcpState.SYN_SENT == state || TcpState.SYN_RECEIVED == state)
        {
            counters.increment(WorkerCounter.CONNECTIONS_HANDSHAKE_TIMEOUT);
        }
        else if (TcpState.CLOSING == state)
        {
            counters.increment(WorkerCounter.CONNECTIONS_CLOSE_TIMEOUT);
        }
        forget(recordIndex);
    }

    private void process(final MutableDirectBuffer buffer, final int offset, final int length, final int frameFlags)
    {
        counters.increment(WorkerCounter.RX_FRAMES);
        counters.add(WorkerCounter.RX_BYTES, length);
        if (length < ETH)
        {
            counters.increment(WorkerCounter.DROP_TRUNCATED);
            return;
        }
        ethernet.wrap(buffer, offset);
        if (ethernet.etherType() != EthernetFlyweight.ETHER_TYPE_IPV4)
        {
            counters.increment(WorkerCounter.PASSED_TO_KERNEL);
            return;
        }
        if (length < ETH + IP_MIN)
        {
            counters.increment(WorkerCounter.DROP_TRUNCATED);
            return;
        }

        // classify: is this frame Tandem's? Only TCP to a listener, or to the SNAT address in this worker's range.
        final int ipOffset = offset + ETH;
        final Ipv4Flyweight ip = this.ip;
        ip.wrap(buffer, ipOffset);
        final ForwardingSnapshot s = snapshot;
        final int dstIp = ip.dst();
        final boolean toSnat = dstIp == s.snatIp();
        if (ip.protocol() != Ipv4Flyweight.PROTOCOL_TCP || (!toSnat && !s.isVip(dstIp)))
        {
            counters.increment(WorkerCounter.PASSED_TO_KERNEL);
            return;
        }
        final int ipHeaderLength = ip.headerLength();
        if (ip.version() != 4 || ipHeaderLength < IP_MIN)
        {
            counters.increment(WorkerCounter.DROP_BAD_IP_HEADER);
            return;
        }
        final int tcpOffset = ipOffset + ipHeaderLength;
        if (tcpOffset + 4 > offset + length)
        {
            counters.increment(WorkerCounter.DROP_TRUNCATED);
            return;
        }
        final TcpFlyweight tcp = this.tcp;
        tcp.wrap(buffer, tcpOffset);
        final int dstPort = tcp.dstPort();
        int listenerIndex = ForwardingSnapshot.NO_LISTENER;
        if (toSnat)
        {
            if (dstPort < snatFirstPort || dstPort > snatLastPort)
            {
                counters.increment(WorkerCounter.PASSED_TO_KERNEL);
                return;
            }
        }
        else
        {
            listenerIndex = s.listenerIndex(dstIp, dstPort);
            if (ForwardingSnapshot.NO_LISTENER == listenerIndex)
            {
                counters.increment(WorkerCounter.PASSED_TO_KERNEL);
                return;
            }
        }

        if (!s.forwarding())
        {
            counters.increment(WorkerCounter.DROP_STANDBY);
            return;
        }

        // validate: from here on the frame is Tandem's, and every rejection is a counted drop
        if (ipHeaderLength != IP_MIN)
        {
            counters.increment(WorkerCounter.DROP_IP_OPTIONS);
            return;
        }
        final int totalLength = ip.totalLength();
        if (totalLength > length - ETH)
        {
            counters.increment(WorkerCounter.DROP_TRUNCATED);
            return;
        }
        final int tcpLength = totalLength - IP_MIN;
        if (tcpLength < TCP_MIN)
        {
            counters.increment(totalLength < IP_MIN ? WorkerCounter.DROP_BAD_IP_HEADER : WorkerCounter.DROP_TRUNCATED);
            return;
        }
        if (ip.isFragment())
        {
            counters.increment(WorkerCounter.DROP_FRAGMENT);
            return;
        }
        final boolean verified = (frameFlags & PacketPort.FRAME_CHECKSUM_VERIFIED) != 0;
        // a partial TCP checksum holds only the pseudo-header sum: nothing to verify, and forwarding completes it
        final boolean partial = (frameFlags & PacketPort.FRAME_CHECKSUM_PARTIAL) != 0;
        checksumPartial = partial;
        if (!verified && !ip.isChecksumValid())
        {
            counters.increment(WorkerCounter.DROP_BAD_IP_CHECKSUM);
            return;
        }
        final int tcpHeaderLength = tcp.headerLength();
        final int tcpFlags = tcp.flags();
        if (tcpHeaderLength < TCP_MIN || tcpHeaderLength > tcpLength ||
            (tcpFlags & (SYN | RST)) == (SYN | RST) || (tcpFlags & (SYN | FIN)) == (SYN | FIN))
        {
            counters.increment(WorkerCounter.DROP_BAD_TCP_HEADER);
            return;
        }
        final int srcIp = ip.src();
        if (!verified && !partial && !Checksum.isTcpValid(buffer, tcpOffset, tcpLength, srcIp, dstIp))
        {
            counters.increment(WorkerCounter.DROP_BAD_TCP_CHECKSUM);
            return;
        }
        if (ip.ttl() <= 1)
        {
            counters.increment(WorkerCounter.DROP_TTL_EXCEEDED);
            return;
        }

        final int srcPort = tcp.srcPort();
        final int payloadLength = tcpLength - tcpHeaderLength;
        final boolean pureSyn = (tcpFlags & (SYN | ACK)) == SYN;
        final int found = table.lookup(srcIp, dstIp, srcPort, dstPort);
        if (FlowTable.NULL_INDEX != found)
        {
            final int recordIndex = found >>> 1;
            final int direction = found & 1;
            final int base = table.recordOffset(recordIndex);
            if (!(pureSyn && FlowTable.DIR_FROM_CLIENT == direction &&
                TcpState.isReusable(records.getByte(base + STATE_OFFSET))))
            {
                onTracked(buffer, offset, totalLength, recordIndex, base, direction, tcpFlags, payloadLength);
                return;
            }
            // a new connection on the 4-tuple of one that is closing: the old one is done
            counters.increment(WorkerCounter.CONNECTIONS_REUSED);
            forget(recordIndex);
        }

        if (pureSyn && !toSnat)
        {
            onNewConnection(buffer, offset, totalLength, s, listenerIndex, srcIp, srcPort, dstIp, dstPort);
        }
        else if ((tcpFlags & RST) != 0)
        {
            counters.increment(WorkerCounter.DROP_UNTRACKED_RST);
        }
        else
        {
            sendResetFor(buffer, offset, WorkerCounter.TX_RST_UNTRACKED, payloadLength);
        }
    }

    private void onNewConnection(
        final MutableDirectBuffer buffer,
        final int offset,
        final int totalLength,
        final ForwardingSnapshot s,
        final int listenerIndex,
        final int clientIp,
        final int clientPort,
        final int vip,
        final int vipPort)
    {
        final Listener listener = s.listener(listenerIndex);
        if (!listener.allows(clientIp))
        {
            counters.increment(WorkerCounter.DROP_ACL);
            return;
        }
        final int poolIndex = listener.poolIndex();
        final TargetPool pool = s.pool(poolIndex);
        final int target = pool.sourceIpPersistence() ?
            pool.maglev(clientIp) : pool.roundRobin(roundRobin[poolIndex]++);
        if (TargetPool.NO_TARGET == target)
        {
            refuse(buffer, offset, WorkerCounter.REFUSED_NO_HEALTHY_TARGET);
            return;
        }
        final int targetIp = pool.targetIp(target);
        final int targetPort = pool.targetPort();
        final NextHops nextHops = s.nextHops();
        final long toTargetMac = nextHops.resolve(targetIp);
        final long toClientMac = nextHops.resolve(clientIp);
        if (NO_MAC == toTargetMac || NO_MAC == toClientMac)
        {
            counters.increment(WorkerCounter.DROP_NO_NEXT_HOP);
            return;
        }
        if (!budget.tryAcquire(s.maxConnections()))
        {
            refuse(buffer, offset, WorkerCounter.REFUSED_PLAN_CAP);
            return;
        }
        final int snatIp = s.snatIp();
        final int snatPort = snatPorts.allocate(snatIp, targetIp, targetPort);
        if (SnatPortAllocator.NO_PORT == snatPort)
        {
            budget.release();
            refuse(buffer, offset, WorkerCounter.REFUSED_NO_SNAT_PORT);
            return;
        }
        final int recordIndex = table.insert(
            clientIp, clientPort, vip, vipPort, targetIp, targetPort, snatIp, snatPort);
        if (recordIndex < 0)
        {
            budget.release();
            refuse(buffer, offset, WorkerCounter.REFUSED_TABLE_FULL);
            return;
        }
        final int base = table.recordOffset(recordIndex);
        final TcpFlyweight tcp = this.tcp;
        records.putByte(base + STATE_OFFSET, (byte)TcpState.SYN_SENT);
        records.putShort(base + TARGET_SLOT_OFFSET, (short)pool.targetSlot(target));
        records.putInt(base + CLIENT_SEQ_NEXT_OFFSET, tcp.seq() + 1);
        records.putShort(base + CLIENT_WINDOW_OFFSET, (short)tcp.window());
        records.putLong(base + CREATED_NS_OFFSET, nowNs);
        records.putLong(base + IDLE_TIMEOUT_NS_OFFSET, listener.idleTimeoutNs());
        records.putLong(base + TO_TARGET_MAC_OFFSET, toTargetMac);
        records.putLong(base + TO_CLIENT_MAC_OFFSET, toClientMac);
        records.putInt(base + NEXT_HOP_EPOCH_OFFSET, nextHops.epoch());
        final long expiresNs = nowNs + timeouts.synSentNs();
        records.putLong(base + EXPIRES_NS_OFFSET, expiresNs);
        wheel.schedule(recordIndex, expiresNs);
        counters.increment(WorkerCounter.CONNECTIONS_OPENED);
        activeByListenerPort.lazySet(vipPort, activeByListenerPort.get(vipPort) + 1);
        rewriteAndForward(buffer, offset, totalLength, base, FlowTable.DIR_FROM_CLIENT, s);
    }

    private void onTracked(
        final MutableDirectBuffer buffer,
        final int offset,
        final int totalLength,
        final int recordIndex,
        final int base,
        final int direction,
        final int tcpFlags,
        final int payloadLength)
    {
        final int state = records.getByte(base + STATE_OFFSET);
        if (TcpState.IDLE_CLOSED == state)
        {
            onSegmentAfterIdleClose(base, direction, tcpFlags, payloadLength);
            return;
        }
        track(recordIndex, base, state, direction, tcpFlags, payloadLength);
        rewriteAndForward(buffer, offset, totalLength, base, direction, snapshot);
    }

    /**
     * Follows the TCP state of a connection from one segment. Direction-indexed fields of the record sit side by
     * side (client's at +0, target's at +4, or +2 for windows), so one code path serves both directions.
     */
    private void track(
        final int recordIndex,
        final int base,
        final int state,
        final int direction,
        final int tcpFlags,
        final int payloadLength)
    {
        final TcpFlyweight tcp = this.tcp;
        final int seq = tcp.seq();
        if ((tcpFlags & RST) != 0)
        {
            if (TcpState.CLOSED != state)
            {
                records.putByte(base + STATE_OFFSET, (byte)TcpState.CLOSED);
                counters.increment(WorkerCounter.CONNECTIONS_CLOSED_RST);
                expireAt(recordIndex, base, nowNs + timeouts.closedNs());
            }
            return;
        }

        final int seqNextOffset = base + CLIENT_SEQ_NEXT_OFFSET + (direction << 2);
        final int seqNext = records.getInt(seqNextOffset);
        final int payloadEnd = seq + payloadLength;
        final int segmentEnd = payloadEnd + ((tcpFlags & SYN) != 0 ? 1 : 0) + ((tcpFlags & FIN) != 0 ? 1 : 0);
        final boolean firstFromTarget = TcpState.SYN_SENT == state && FlowTable.DIR_FROM_TARGET == direction;
        // new payload: bytes beyond any seen before; retransmissions and keepalive probes are not new
        final boolean newPayload = payloadLength > 0 && (firstFromTarget || Seq.after(payloadEnd, seqNext));
        if (firstFromTarget || Seq.after(segmentEnd, seqNext))
        {
            records.putInt(seqNextOffset, segmentEnd);
        }
        records.putShort(base + CLIENT_WINDOW_OFFSET + (direction << 1), (short)tcp.window());
        int flags = records.getByte(base + FLAGS_OFFSET) & 0xFF;
        final int ack = tcp.ack();
        if ((tcpFlags & ACK) != 0)
        {
            records.putInt(base + CLIENT_ACK_OFFSET + (direction << 2), ack);
            final int peer = direction ^ 1;
            if ((flags & (FLAG_FIN_FROM_CLIENT << peer)) != 0 &&
                Seq.atOrAfter(ack, records.getInt(base + CLIENT_FIN_SEQ_OFFSET + (peer << 2)) + 1))
            {
                flags |= FLAG_CLIENT_FIN_ACKED << peer;
            }
        }
        if ((tcpFlags & FIN) != 0)
        {
            flags |= FLAG_FIN_FROM_CLIENT << direction;
            records.putInt(base + CLIENT_FIN_SEQ_OFFSET + (direction << 2), payloadEnd);
        }
        records.putByte(base + FLAGS_OFFSET, (byte)flags);
        records.putLong(base + PAYLOAD_BYTES_OFFSET, records.getLong(base + PAYLOAD_BYTES_OFFSET) + payloadLength);

        int newState = state;
        if (TcpState.SYN_SENT == state)
        {
            if (firstFromTarget && (tcpFlags & (SYN | ACK)) == (SYN | ACK))
            {
                newState = TcpState.SYN_RECEIVED;
                expireAfter(recordIndex, base, nowNs + timeouts.synReceivedNs());
            }
        }
        else if (TcpState.SYN_RECEIVED == state)
        {
            if (FlowTable.DIR_FROM_CLIENT == direction && (tcpFlags & (SYN | ACK)) == ACK &&
                Seq.atOrAfter(ack, records.getInt(base + TARGET_SEQ_NEXT_OFFSET)))
            {
                newState = TcpState.ESTABLISHED;
                expireAfter(recordIndex, base, nowNs + records.getLong(base + IDLE_TIMEOUT_NS_OFFSET));
                records.putByte(base + STATE_OFFSET, (byte)newState);
                if (null != syncOutbox)
                {
                    sendUpsert(base);
                }
            }
        }
        else if (newPayload && TcpState.isIdleTimed(state))
        {
            // restarting the idle timer is one store: the wheel finds the later deadline when it gets there
            records.putLong(base + EXPIRES_NS_OFFSET, nowNs + records.getLong(base + IDLE_TIMEOUT_NS_OFFSET));
        }

        if (newState >= TcpState.ESTABLISHED && newState <= TcpState.CLOSING)
        {
            final int bothFins = FLAG_FIN_FROM_CLIENT | FLAG_FIN_FROM_TARGET;
            final int bothAcked = FLAG_CLIENT_FIN_ACKED | FLAG_TARGET_FIN_ACKED;
            if ((flags & bothAcked) == bothAcked)
            {
                newState = TcpState.TIME_WAIT;
            }
            else if ((flags & bothFins) == bothFins)
            {
                newState = TcpState.CLOSING;
            }
            else if ((flags & bothFins) != 0)
            {
                newState = TcpState.FIN_WAIT;
            }
        }
        if (newState != state)
        {
            records.putByte(base + STATE_OFFSET, (byte)newState);
            if (TcpState.CLOSING == newState)
            {
                expireAt(recordIndex, base, nowNs + timeouts.closingNs());
            }
            else if (TcpState.TIME_WAIT == newState)
            {
                counters.increment(WorkerCounter.CONNECTIONS_CLOSED_FIN);
                expireAt(recordIndex, base, nowNs + timeouts.timeWaitNs());
            }
        }
    }

    private void expireAt(final int recordIndex, final int base, final long expiresNs)
    {
        records.putLong(base + EXPIRES_NS_OFFSET, expiresNs);
        wheel.schedule(recordIndex, expiresNs);
    }

    /**
     * Moves a deadline: a later one is one store, which the wheel finds when it reaches the record's slot; an earlier
     * one (a listener's idle timeout shorter than the handshake's) must move the record to an earlier slot.
     */
    private void expireAfter(final int recordIndex, final int base, final long expiresNs)
    {
        if (expiresNs < records.getLong(base + EXPIRES_NS_OFFSET))
        {
            expireAt(recordIndex, base, expiresNs);
        }
        else
        {
            records.putLong(base + EXPIRES_NS_OFFSET, expiresNs);
        }
    }

    /**
     * Full NAT: from the client, (client → VIP:port) becomes (SNAT:port' → target:targetPort); from the target the
     * reverse. TTL drops by one. Both checksums are updated incrementally (RFC 1624), except a partial TCP checksum,
     * which is computed in full: the frame leaves through a ring that cannot ask for checksum offload.
     */
    private void rewriteAndForward(
        final MutableDirectBuffer buffer,
        final int offset,
        final int totalLength,
        final int base,
        final int direction,
        final ForwardingSnapshot s)
    {
        if (records.getInt(base + NEXT_HOP_EPOCH_OFFSET) != s.nextHops().epoch() && !refreshNextHops(base, s))
        {
            counters.increment(WorkerCounter.DROP_NO_NEXT_HOP);
            return;
        }
        final Ipv4Flyweight ip = this.ip;
        final TcpFlyweight tcp = this.tcp;
        final int oldSrc = ip.src();
        final int oldDst = ip.dst();
        final int oldSrcPort = tcp.srcPort();
        final int oldDstPort = tcp.dstPort();
        final int newSrc;
        final int newDst;
        final int newSrcPort;
        final int newDstPort;
        final long dstMac;
        if (FlowTable.DIR_FROM_CLIENT == direction)
        {
            newSrc = records.getInt(base + SNAT_IP_OFFSET);
            newDst = records.getInt(base + TARGET_IP_OFFSET);
            newSrcPort = records.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF;
            newDstPort = records.getShort(base + TARGET_PORT_OFFSET) & 0xFFFF;
            dstMac = records.getLong(base + TO_TARGET_MAC_OFFSET);
        }
        else
        {
            newSrc = records.getInt(base + VIP_OFFSET);
            newDst = records.getInt(base + CLIENT_IP_OFFSET);
            newSrcPort = records.getShort(base + VIP_PORT_OFFSET) & 0xFFFF;
            newDstPort = records.getShort(base + CLIENT_PORT_OFFSET) & 0xFFFF;
            dstMac = records.getLong(base + TO_CLIENT_MAC_OFFSET);
        }
        final long addressDelta = Checksum.delta32(oldSrc, newSrc) + Checksum.delta32(oldDst, newDst);
        final int ttlProtocol = ip.ttlAndProtocol();
        final int newTtlProtocol = ttlProtocol - 0x100;
        ip.src(newSrc).dst(newDst).ttlAndProtocol(newTtlProtocol);
        ip.checksum(Checksum.adjust(ip.checksum(), addressDelta + Checksum.delta16(ttlProtocol, newTtlProtocol)));
        tcp.srcPort(newSrcPort).dstPort(newDstPort);
        if (checksumPartial)
        {
            final int tcpLength = totalLength - Ipv4Flyweight.MIN_HEADER_LENGTH;
            tcp.checksum(Checksum.tcp(buffer, tcp.offset(), tcpLength, newSrc, newDst));
        }
        else
        {
            tcp.checksum(Checksum.adjust(tcp.checksum(), addressDelta +
                Checksum.delta16(oldSrcPort, newSrcPort) + Checksum.delta16(oldDstPort, newDstPort)));
        }
        ethernet.dstMac(dstMac).srcMac(s.nodeMac());
        if (transmit(buffer, offset, ETH + totalLength))
        {
            counters.increment(FlowTable.DIR_FROM_CLIENT == direction ?
                WorkerCounter.FORWARDED_TO_TARGET : WorkerCounter.FORWARDED_TO_CLIENT);
            // direction 0 is from the client, which is TrafficCounters.TO_TARGET
            traffic.count(records.getShort(base + VIP_PORT_OFFSET) & 0xFFFF,
                records.getShort(base + TARGET_SLOT_OFFSET) & 0xFFFF, direction, totalLength);
        }
    }

    private boolean refreshNextHops(final int base, final ForwardingSnapshot s)
    {
        final NextHops nextHops = s.nextHops();
        final long toTarget = nextHops.resolve(records.getInt(base + TARGET_IP_OFFSET));
        final long toClient = nextHops.resolve(records.getInt(base + CLIENT_IP_OFFSET));
        if (NO_MAC == toTarget || NO_MAC == toClient)
        {
            return false;
        }
        records.putLong(base + TO_TARGET_MAC_OFFSET, toTarget);
        records.putLong(base + TO_CLIENT_MAC_OFFSET, toClient);
        records.putInt(base + NEXT_HOP_EPOCH_OFFSET, nextHops.epoch());
        return true;
    }

    /**
     * Idle timeout: the balancer closes the connection on behalf of both ends, with a FIN+ACK to each carrying the
     * sequence and acknowledgement numbers that end expects next, so both real TCP stacks accept it as an orderly
     * close. The record then lingers in IDLE_CLOSED to acknowledge the FINs the ends send back.
     */
    private void closeOnIdle(final int recordIndex, final int base)
    {
        final ForwardingSnapshot s = snapshot;
        counters.increment(WorkerCounter.CONNECTIONS_IDLE_TIMEOUT);
        final int clientSeqNext = records.getInt(base + CLIENT_SEQ_NEXT_OFFSET);
        final int targetSeqNext = records.getInt(base + TARGET_SEQ_NEXT_OFFSET);
        if (records.getInt(base + NEXT_HOP_EPOCH_OFFSET) == s.nextHops().epoch() || refreshNextHops(base, s))
        {
            sendFromRecord(base, FlowTable.DIR_FROM_CLIENT, clientSeqNext, targetSeqNext, FIN | ACK,
                WorkerCounter.TX_FIN_IDLE_TIMEOUT);
            sendFromRecord(base, FlowTable.DIR_FROM_TARGET, targetSeqNext, clientSeqNext, FIN | ACK,
                WorkerCounter.TX_FIN_IDLE_TIMEOUT);
        }
        else
        {
            counters.increment(WorkerCounter.DROP_NO_NEXT_HOP);
        }
        // each FIN took one sequence number in the space of the end the balancer spoke for
        records.putInt(base + CLIENT_SEQ_NEXT_OFFSET, clientSeqNext + 1);
        records.putInt(base + TARGET_SEQ_NEXT_OFFSET, targetSeqNext + 1);
        records.putByte(base + STATE_OFFSET, (byte)TcpState.IDLE_CLOSED);
        expireAt(recordIndex, base, nowNs + timeouts.idleClosedNs());
    }

    /** While IDLE_CLOSED: acknowledge a peer's FIN so it closes cleanly; absorb everything else. */
    private void onSegmentAfterIdleClose(
        final int base, final int direction, final int tcpFlags, final int payloadLength)
    {
        if ((tcpFlags & (FIN | RST)) != FIN)
        {
            counters.increment(WorkerCounter.DROP_AFTER_IDLE_CLOSE);
            return;
        }
        final int finAck = tcp.seq() + payloadLength + 1;
        // answer as the other end: its next sequence number already counts the balancer's FIN
        final int ourSeq = records.getInt(base + CLIENT_SEQ_NEXT_OFFSET + ((direction ^ 1) << 2));
        sendFromRecord(base, direction ^ 1, ourSeq, finAck, ACK, WorkerCounter.TX_ACK_AFTER_IDLE_CLOSE);
    }

    /**
     * Sends a bare segment on a connection as if it came from one end through the balancer: {@code asDirection}
     * {@link FlowTable#DIR_FROM_CLIENT} goes to the target from SNAT:port', {@link FlowTable#DIR_FROM_TARGET} goes to
     * the client from VIP:port.
     */
    private void sendFromRecord(
        final int base,
        final int asDirection,
        final int seq,
        final int ack,
        final int flags,
        final WorkerCounter counter)
    {
        final long srcMac = snapshot.nodeMac();
        final int window = records.getShort(base + CLIENT_WINDOW_OFFSET + (asDirection << 1)) & 0xFFFF;
        if (FlowTable.DIR_FROM_CLIENT == asDirection)
        {
            segmentWriter.write(scratch, 0, srcMac, records.getLong(base + TO_TARGET_MAC_OFFSET),
                records.getInt(base + SNAT_IP_OFFSET), records.getInt(base + TARGET_IP_OFFSET),
                records.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF, records.getShort(base + TARGET_PORT_OFFSET) & 0xFFFF,
                seq, ack, flags, window);
        }
        else
        {
            segmentWriter.write(scratch, 0, srcMac, records.getLong(base + TO_CLIENT_MAC_OFFSET),
                records.getInt(base + VIP_OFFSET), records.getInt(base + CLIENT_IP_OFFSET),
                records.getShort(base + VIP_PORT_OFFSET) & 0xFFFF, records.getShort(base + CLIENT_PORT_OFFSET) & 0xFFFF,
                seq, ack, flags, window);
        }
        if (transmit(scratch, 0, SegmentWriter.FRAME_LENGTH))
        {
            counters.increment(counter);
        }
    }

    private void refuse(final MutableDirectBuffer buffer, final int offset, final WorkerCounter reason)
    {
        counters.increment(reason);
        sendResetFor(buffer, offset, WorkerCounter.TX_RST_REFUSED, 0);
    }

    /** RST back to the sender of the frame in {@link #ip}/{@link #tcp}, rate-limited. */
    private void sendResetFor(
        final MutableDirectBuffer buffer, final int offset, final WorkerCounter counter, final int payloadLength)
    {
        if (!takeResetAllowance())
        {
            counters.increment(WorkerCounter.RST_RATE_LIMITED);
            return;
        }
        final Ipv4Flyweight ip = this.ip;
        final TcpFlyweight tcp = this.tcp;
        segmentWriter.writeResetFor(scratch, 0, snapshot.nodeMac(), ethernet.srcMac(),
            ip.src(), ip.dst(), tcp.srcPort(), tcp.dstPort(), tcp.seq(), tcp.ack(), tcp.flags(), payloadLength);
        if (transmit(scratch, 0, SegmentWriter.FRAME_LENGTH))
        {
            counters.increment(counter);
        }
    }

    private boolean takeResetAllowance()
    {
        final long elapsed = nowNs - resetLastNs;
        resetLastNs = nowNs;
        resetAllowanceNs = Math.min(resetAllowanceMaxNs, resetAllowanceNs + Math.max(0, elapsed));
        if (resetAllowanceNs >= resetCostNs)
        {
            resetAllowanceNs -= resetCostNs;
            return true;
        }
        return false;
    }

    private boolean transmit(final MutableDirectBuffer buffer, final int offset, final int length)
    {
        if (port.transmit(buffer, offset, length))
        {
            transmitted = true;
            counters.increment(WorkerCounter.TX_FRAMES);
            counters.add(WorkerCounter.TX_BYTES, length);
            return true;
        }
        counters.increment(WorkerCounter.DROP_TX_FULL);
        return false;
    }

    private void forget(final int recordIndex)
    {
        final int base = table.recordOffset(recordIndex);
        if ((records.getByte(base + FLAGS_OFFSET) & FLAG_SYNCED) != 0 && null != syncOutbox)
        {
            sendRemove(base);
        }
        final int vipPort = records.getShort(base + VIP_PORT_OFFSET) & 0xFFFF;
        activeByListenerPort.lazySet(vipPort, activeByListenerPort.get(vipPort) - 1);
        wheel.cancel(recordIndex);
        table.remove(recordIndex);
        budget.release();
    }

    // ---------------------------------------------------------------------------------------------------------------
    // Replication (FlowSyncDescriptor): the worker is the only writer of its table, so the peer's connections come in
    // through its inbox and are installed here, and its own go out through its outbox.

    private int syncDutyCycle()
    {
        int work = syncInbox.read(this, SYNC_READ_LIMIT);
        if (NO_GENERATION != bulkGeneration)
        {
            work += bulkStep();
        }
        if (NO_GENERATION != sweepGeneration)
        {
            work += sweepStep();
        }
        return work;
    }

    @Override
    public void onMessage(final int msgTypeId, final MutableDirectBuffer buffer, final int index, final int length)
    {
        switch (msgTypeId)
        {
            case FlowSyncDescriptor.UPSERT -> installReplicated(buffer, index);
            case FlowSyncDescriptor.REMOVE -> removeReplicated(buffer, index);
            case FlowSyncDescriptor.BULK_BEGIN ->
            {
                // a sweep of an earlier bulk still under way would forget what this one refreshes: it ends here
                currentGeneration = (int)buffer.getLong(index);
                sweepGeneration = NO_GENERATION;
            }
            case FlowSyncDescriptor.BULK_END ->
            {
                final long generation = buffer.getLong(index);
                if ((int)generation == currentGeneration)
                {
                    sweepGeneration = generation;
                    sweepCursor = 0;
                }
            }
            case FlowSyncDescriptor.BULK_REQUEST ->
            {
                bulkGeneration = buffer.getLong(index);
                bulkCursor = 0;
            }
            default -> counters.increment(WorkerCounter.WORKER_ERRORS);
        }
    }

    private void sendUpsert(final int base)
    {
        final int index = syncOutbox.tryClaim(FlowSyncDescriptor.UPSERT, FlowSyncDescriptor.UPSERT_LENGTH);
        if (index <= 0)
        {
            counters.increment(WorkerCounter.SYNC_OVERFLOW);
            return;
        }
        final MutableDirectBuffer out = syncOutbox.buffer();
        for (int i = 0; i < FlowSyncDescriptor.RECORD_PREFIX_LENGTH; i += 8)
        {
            out.putLong(index + i, records.getLong(base + i));
        }
        out.putShort(index + TARGET_SLOT_OFFSET, (short)0); // slots are this node's own numbering
        out.putLong(index + FlowSyncDescriptor.IDLE_TIMEOUT_NS_OFFSET, records.getLong(base + IDLE_TIMEOUT_NS_OFFSET));
        syncOutbox.commit(index);
        records.putByte(base + FLAGS_OFFSET, (byte)(records.getByte(base + FLAGS_OFFSET) | FLAG_SYNCED));
        counters.increment(WorkerCounter.SYNC_SENT);
    }

    private void sendRemove(final int base)
    {
        final int index = syncOutbox.tryClaim(FlowSyncDescriptor.REMOVE, FlowSyncDescriptor.REMOVE_LENGTH);
        if (index <= 0)
        {
            counters.increment(WorkerCounter.SYNC_OVERFLOW);
            return;
        }
        final MutableDirectBuffer out = syncOutbox.buffer();
        out.putLong(index, records.getLong(base));
        out.putInt(index + 8, records.getInt(base + CLIENT_PORT_OFFSET));
        out.putShort(index + FlowSyncDescriptor.REMOVE_SNAT_PORT_OFFSET, records.getShort(base + SNAT_PORT_OFFSET));
        out.putShort(index + FlowSyncDescriptor.REMOVE_SNAT_PORT_OFFSET + 2, (short)0);
        syncOutbox.commit(index);
        counters.increment(WorkerCounter.SYNC_SENT);
    }

    private void installReplicated(final MutableDirectBuffer in, final int index)
    {
        final int clientIp = in.getInt(index + CLIENT_IP_OFFSET);
        final int vip = in.getInt(index + VIP_OFFSET);
        final int clientPort = in.getShort(index + CLIENT_PORT_OFFSET) & 0xFFFF;
        final int vipPort = in.getShort(index + VIP_PORT_OFFSET) & 0xFFFF;
        final int targetIp = in.getInt(index + TARGET_IP_OFFSET);
        final int snatIp = in.getInt(index + SNAT_IP_OFFSET);
        final int targetPort = in.getShort(index + TARGET_PORT_OFFSET) & 0xFFFF;
        final int snatPort = in.getShort(index + SNAT_PORT_OFFSET) & 0xFFFF;
        final long idleTimeoutNs = in.getLong(index + FlowSyncDescriptor.IDLE_TIMEOUT_NS_OFFSET);
        final int found = table.lookup(clientIp, vip, clientPort, vipPort);
        final int recordIndex;
        final int base;
        if (FlowTable.NULL_INDEX != found)
        {
            recordIndex = found >>> 1;
            base = table.recordOffset(recordIndex);
            if ((found & 1) != FlowTable.DIR_FROM_CLIENT ||
                (records.getByte(base + FLAGS_OFFSET) & FLAG_REPLICATED) == 0 ||
                records.getInt(base + TARGET_IP_OFFSET) != targetIp ||
                (records.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF) != snatPort)
            {
                counters.increment(WorkerCounter.SYNC_CONFLICTS);
                return;
            }
        }
        else
        {
            recordIndex = table.insert(clientIp, clientPort, vip, vipPort, targetIp, targetPort, snatIp, snatPort);
            if (recordIndex < 0)
            {
                counters.increment(WorkerCounter.SYNC_CONFLICTS);
                return;
            }
            base = table.recordOffset(recordIndex);
            budget.acquire();
            activeByListenerPort.lazySet(vipPort, activeByListenerPort.get(vipPort) + 1);
            records.putLong(base + CREATED_NS_OFFSET, nowNs);
            records.putShort(base + TARGET_SLOT_OFFSET, (short)targetSlotOf(vip, vipPort, targetIp));
            if (!refreshNextHops(base, snapshot))
            {
                // resolved at the first segment forwarded; snapshots' epochs only grow, so this one never matches
                records.putInt(base + NEXT_HOP_EPOCH_OFFSET, snapshot.nextHops().epoch() - 1);
            }
        }
        records.putByte(base + STATE_OFFSET, in.getByte(index + STATE_OFFSET));
        final int finFlags = in.getByte(index + FLAGS_OFFSET) &
            (FLAG_FIN_FROM_CLIENT | FLAG_FIN_FROM_TARGET | FLAG_CLIENT_FIN_ACKED | FLAG_TARGET_FIN_ACKED);
        records.putByte(base + FLAGS_OFFSET, (byte)(FLAG_IN_USE | FLAG_REPLICATED | FLAG_SYNCED | finFlags));
        for (int i = CLIENT_SEQ_NEXT_OFFSET; i < FlowSyncDescriptor.RECORD_PREFIX_LENGTH; i += 4)
        {
            records.putInt(base + i, in.getInt(index + i));
        }
        records.putLong(base + IDLE_TIMEOUT_NS_OFFSET, idleTimeoutNs);
        records.putInt(base + SYNC_GENERATION_OFFSET, currentGeneration);
        expireAt(recordIndex, base, nowNs + idleTimeoutNs);
        counters.increment(WorkerCounter.SYNC_INSTALLED);
    }

    private int targetSlotOf(final int vip, final int vipPort, final int targetIp)
    {
        final ForwardingSnapshot s = snapshot;
        final int listenerIndex = s.listenerIndex(vip, vipPort);
        if (ForwardingSnapshot.NO_LISTENER == listenerIndex)
        {
            return TrafficCounters.OTHER_TARGET_SLOT;
        }
        final TargetPool pool = s.pool(s.listener(listenerIndex).poolIndex());
        final int target = pool.indexOf(targetIp);
        return TargetPool.NO_TARGET == target ? TrafficCounters.OTHER_TARGET_SLOT : pool.targetSlot(target);
    }

    private void removeReplicated(final MutableDirectBuffer in, final int index)
    {
        final int found = table.lookup(in.getInt(index + CLIENT_IP_OFFSET), in.getInt(index + VIP_OFFSET),
            in.getShort(index + CLIENT_PORT_OFFSET) & 0xFFFF, in.getShort(index + VIP_PORT_OFFSET) & 0xFFFF);
        if (FlowTable.NULL_INDEX == found || (found & 1) != FlowTable.DIR_FROM_CLIENT)
        {
            return;
        }
        final int recordIndex = found >>> 1;
        final int base = table.recordOffset(recordIndex);
        final int flags = records.getByte(base + FLAGS_OFFSET) & 0xFF;
        if ((flags & FLAG_REPLICATED) == 0 || (records.getShort(base + SNAT_PORT_OFFSET) & 0xFFFF) !=
            (in.getShort(index + FlowSyncDescriptor.REMOVE_SNAT_PORT_OFFSET) & 0xFFFF))
        {
            return;
        }
        // the peer forgot it: nothing to tell the peer back
        records.putByte(base + FLAGS_OFFSET, (byte)(flags & ~FLAG_SYNCED));
        forget(recordIndex);
        counters.increment(WorkerCounter.SYNC_REMOVED);
    }

    /** Bulk resync, sending side: a bounded walk over the table per duty cycle, resumed where the outbox filled. */
    private int bulkStep()
    {
        final int capacity = table.capacity();
        final int end = Math.min(capacity, bulkCursor + SYNC_SCAN_LIMIT);
        // a quarter of the outbox stays free for the live inserts and removals that interleave with the walk
        final int needed = syncOutbox.capacity() / 4;
        for (; bulkCursor < end; bulkCursor++)
        {
            if (table.isInUse(bulkCursor))
            {
                final int base = table.recordOffset(bulkCursor);
                final int state = records.getByte(base + STATE_OFFSET);
                if (state >= TcpState.ESTABLISHED && state <= TcpState.CLOSING)
                {
                    if (syncOutbox.capacity() - syncOutboxUsed() < needed)
                    {
                        return 1; // resume in the next duty cycle, once the control plane drained the outbox
                    }
                    sendUpsert(base);
                }
            }
        }
        if (bulkCursor >= capacity)
        {
            final int index = syncOutbox.tryClaim(FlowSyncDescriptor.BULK_END, FlowSyncDescriptor.GENERATION_LENGTH);
            if (index > 0)
            {
                syncOutbox.buffer().putLong(index, bulkGeneration);
                syncOutbox.commit(index);
                bulkGeneration = NO_GENERATION;
            }
        }
        return 1;
    }

    private int syncOutboxUsed()
    {
        return (int)(syncOutbox.producerPosition() - syncOutbox.consumerPosition());
    }

    /**
     * Bulk resync, receiving side: forget the replicated connections the peer's bulk did not confirm, and on a
     * passive node also this node's own leftovers, a bounded part of the table per duty cycle.
     */
    private int sweepStep()
    {
        final int capacity = table.capacity();
        final int end = Math.min(capacity, sweepCursor + SYNC_SCAN_LIMIT);
        final boolean passive = !snapshot.forwarding();
        final int generation = (int)sweepGeneration;
        for (; sweepCursor < end; sweepCursor++)
        {
            if (table.isInUse(sweepCursor))
            {
                final int base = table.recordOffset(sweepCursor);
                final int flags = records.getByte(base + FLAGS_OFFSET) & 0xFF;
                if (records.getInt(base + SYNC_GENERATION_OFFSET) != generation &&
                    ((flags & FLAG_REPLICATED) != 0 || passive))
                {
                    records.putByte(base + FLAGS_OFFSET, (byte)(flags & ~FLAG_SYNCED));
                    forget(sweepCursor);
                    counters.increment(WorkerCounter.SYNC_SWEPT);
                }
            }
        }
        if (sweepCursor >= capacity)
        {
            sweepGeneration = NO_GENERATION;
        }
        return 1;
    }
}
