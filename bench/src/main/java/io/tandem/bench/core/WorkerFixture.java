package io.tandem.bench.core;

import io.tandem.bench.JvmFlags;
import io.tandem.dataplane.flow.FlowRecord;
import io.tandem.dataplane.flow.FlowTable;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.packet.EthernetFlyweight;
import io.tandem.dataplane.packet.Ipv4Flyweight;
import io.tandem.dataplane.packet.TcpFlyweight;
import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.status.WorkerCounters;
import io.tandem.dataplane.tcp.TcpTimeouts;
import io.tandem.dataplane.worker.ForwardingAgent;
import io.tandem.dataplane.worker.WorkerContext;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.CachedNanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * One forwarding worker wired as a golden-packet test wires it, for the benchmarks: a {@link ForwardingSnapshot}, a
 * {@link SnapshotExchange}, an {@link InMemoryPort}, a {@link WorkerContext} on a clock the benchmark moves, and the
 * {@link ForwardingAgent}. Benchmarks call {@link ForwardingAgent#onFrame} directly on frames they prepared off-heap,
 * so the port's own receive path is not in the number; {@link InMemoryPort#transmit} (a copy into a TX slot, as on a
 * TPACKET ring) is.
 * <pre>
 *   clients 198.18.16.0 + i (CLIENT_MAC_BASE | i) ──┐
 *                                                    ├── node (NODE_MAC): VIP 198.18.1.1:80, SNAT 198.19.0.1,
 *   targets 198.18.2.1..3:8080 (TARGET_MAC_BASE | i) ┘   local network 198.18.0.0/15, every host a neighbour
 * </pre>
 * Counters are how a benchmark proves it measured the path it names: {@link #verifyOnlyMoved} fails when any counter
 * outside the expected set moved (a drop, a refusal, a worker error), which would mean a cheaper path was measured.
 * Not thread-safe; setup-time methods allocate.
 */
final class WorkerFixture implements AutoCloseable
{
    static final long NODE_MAC = 0x02_00_00_00_00_01L;
    static final long CLIENT_MAC_BASE = 0x02_00_00_01_00_00L;
    static final long TARGET_MAC_BASE = 0x02_00_00_02_00_00L;
    static final int VIP = Bytes.parseIpv4("198.18.1.1");
    static final int VIP_PORT = 80;
    static final int SNAT_IP = Bytes.parseIpv4("198.19.0.1");
    static final int[] TARGET_IPS = {
        Bytes.parseIpv4("198.18.2.1"), Bytes.parseIpv4("198.18.2.2"), Bytes.parseIpv4("198.18.2.3")};
    static final int TARGET_PORT = 8080;
    static final int FIRST_CLIENT_IP = Bytes.parseIpv4("198.18.16.0");
    static final long IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(300);
    static final long START_NS = TimeUnit.SECONDS.toNanos(1000);

    static final int ETH = EthernetFlyweight.HEADER_LENGTH;
    static final int IP_SRC = ETH + Ipv4Flyweight.SRC_OFFSET;
    static final int IP_DST = ETH + Ipv4Flyweight.DST_OFFSET;
    static final int TCP = ETH + Ipv4Flyweight.MIN_HEADER_LENGTH;

    final CachedNanoClock clock = new CachedNanoClock();
    final InMemoryPort port = new InMemoryPort(256, 2048);
    final ForwardingAgent agent;
    final WorkerCounters counters;
    private Throwable firstError;

    /**
     * @param clientCount    clients 0 .. clientCount − 1 get a neighbour entry (and so a next hop).
     * @param flowCapacity   connections the worker's table holds.
     * @param maxConnections the plan cap in the snapshot.
     * @param timeouts       TCP tracking timeouts.
     * @param timerLimit     most connections the timer wheel expires per duty cycle.
     */
    WorkerFixture(
        final int clientCount,
        final int flowCapacity,
        final long maxConnections,
        final TcpTimeouts timeouts,
        final int timerLimit)
    {
        JvmFlags.requireInThisJvm();
        final NextHops.Builder nextHops = NextHops.builder().epoch(1).localNetwork(Bytes.parseIpv4("198.18.0.0"), 15);
        for (int i = 0; i < clientCount; i++)
        {
            nextHops.neighbour(clientIp(i), CLIENT_MAC_BASE | i);
        }
        for (int i = 0; i < TARGET_IPS.length; i++)
        {
            nextHops.neighbour(TARGET_IPS[i], TARGET_MAC_BASE | i);
        }
        final ForwardingSnapshot snapshot = ForwardingSnapshot.builder()
            .version(1)
            .nodeMac(NODE_MAC)
            .snatIp(SNAT_IP)
            .maxConnections(maxConnections)
            .nextHops(nextHops.build())
            .pool("web", TARGET_PORT, TARGET_IPS.clone(), new boolean[]{true, true, true}, false)
            .listener("http", VIP, VIP_PORT, "web", IDLE_TIMEOUT_NS)
            .build();
        clock.update(START_NS);
        final WorkerContext context = new WorkerContext()
            .workerId(0)
            .flowCapacity(flowCapacity)
            .clock(clock)
            .timeouts(timeouts)
            .timerLimit(timerLimit)
            .hashSeed(0x7A4D_E11B_0C5E_ED01L)
            .errorHandler(this::onError);
        agent = new ForwardingAgent(context, port, new SnapshotExchange(snapshot, 1));
        counters = agent.counters();
    }

    static int clientIp(final int i)
    {
        return FIRST_CLIENT_IP + i;
    }

    static long clientMac(final int i)
    {
        return CLIENT_MAC_BASE | i;
    }

    static long targetMac(final int target)
    {
        return TARGET_MAC_BASE | target;
    }

    /**
     * @param length bytes.
     * @return an off-heap buffer whose first byte is 64-byte aligned, as a ring frame's block would be.
     */
    static UnsafeBuffer offHeap(final int length)
    {
        return new UnsafeBuffer(ByteBuffer.allocateDirect(length + 64).alignedSlice(64));
    }

    private void onError(final Throwable error)
    {
        if (null == firstError)
        {
            firstError = error;
        }
    }

    /** Injects a frame through the port and runs one duty cycle, as the live worker would see it. Allocates. */
    void send(final byte[] frame)
    {
        if (!port.inject(new UnsafeBuffer(frame), 0, frame.length, 0))
        {
            throw new IllegalStateException("receive ring full");
        }
        agent.doWork();
    }

    /** @return the one frame the worker transmitted since the last call; fails if it sent none or several. */
    UnsafeBuffer onlyTransmitted()
    {
        final List<byte[]> frames = port.drainTransmitted();
        if (frames.size() != 1)
        {
            throw new IllegalStateException("expected one transmitted frame, got " + frames.size() + "; counters " +
                describeCounters());
        }
        return new UnsafeBuffer(frames.get(0));
    }

    /** @return the connection's record offset in the worker's table for a key as its packets carry it. */
    int recordBase(final int srcIp, final int dstIp, final int srcPort, final int dstPort)
    {
        final FlowTable table = agent.flowTable();
        final int found = table.lookup(srcIp, dstIp, srcPort, dstPort);
        if (FlowTable.NULL_INDEX == found)
        {
            throw new IllegalStateException("no connection for " + Bytes.ipv4ToString(srcIp) + ":" + srcPort + " -> " +
                Bytes.ipv4ToString(dstIp) + ":" + dstPort);
        }
        return table.recordOffset(found >>> 1);
    }

    int recordState(final int base)
    {
        return agent.flowTable().records().getByte(base + FlowRecord.STATE_OFFSET);
    }

    /** @return every counter's value, indexed by ordinal. */
    long[] counterValues()
    {
        final WorkerCounter[] all = WorkerCounter.values();
        final long[] values = new long[all.length];
        for (final WorkerCounter counter : all)
        {
            values[counter.ordinal()] = value(counter);
        }
        return values;
    }

    /** @return a counter's value, after publishing what the worker counted (benchmarks call onFrame directly). */
    private long value(final WorkerCounter counter)
    {
        agent.publishCounters();
        return counters.get(counter);
    }

    long delta(final long[] before, final WorkerCounter counter)
    {
        return value(counter) - before[counter.ordinal()];
    }

    /**
     * Fails unless the worker caught no exception and no counter outside {@code expected} moved since
     * {@code before}: a benchmark that measured a drop, a refusal or an RST instead of its path must not report.
     *
     * @param what     the benchmark, for the message.
     * @param before   {@link #counterValues()} at the start of the iteration.
     * @param expected the counters the measured path moves.
     */
    void verifyOnlyMoved(final String what, final long[] before, final Set<WorkerCounter> expected)
    {
        if (null != firstError)
        {
            throw new IllegalStateException(what + ": the worker caught an exception", firstError);
        }
        final StringBuilder unexpected = new StringBuilder();
        for (final WorkerCounter counter : WorkerCounter.values())
        {
            final long delta = delta(before, counter);
            // duty cycles count the worker's own bookkeeping, whatever path a frame took
            if (delta != 0 && !expected.contains(counter) && counter != WorkerCounter.DUTY_CYCLES &&
                counter != WorkerCounter.BUSY_CYCLES && counter != WorkerCounter.SNAPSHOT_SWAPS)
            {
                unexpected.append(' ').append(counter.label()).append("=+").append(delta);
            }
        }
        if (!unexpected.isEmpty())
        {
            throw new IllegalStateException(what + ": not the path under test, counters moved:" + unexpected);
        }
    }

    /**
     * Fails unless two counters moved by the same positive amount since {@code before}.
     */
    void verifySameDelta(final String what, final long[] before, final WorkerCounter a, final WorkerCounter b)
    {
        final long da = delta(before, a);
        final long db = delta(before, b);
        if (da <= 0 || da != db)
        {
            throw new IllegalStateException(what + ": expected " + a.label() + " (+" + da + ") and " + b.label() +
                " (+" + db + ") to move together and by more than zero; counters " + describeCounters());
        }
    }

    /** @return the counters that are not zero, for messages. */
    String describeCounters()
    {
        final StringBuilder text = new StringBuilder("{");
        for (final WorkerCounter counter : WorkerCounter.values())
        {
            final long value = value(counter);
            if (value != 0)
            {
                text.append(text.length() > 1 ? ", " : "").append(counter.label()).append('=').append(value);
            }
        }
        return text.append('}').toString();
    }

    /** The counters every forwarded frame moves. */
    static Set<WorkerCounter> forwarding(final WorkerCounter... more)
    {
        final Set<WorkerCounter> set = EnumSet.of(
            WorkerCounter.RX_FRAMES, WorkerCounter.RX_BYTES, WorkerCounter.TX_FRAMES, WorkerCounter.TX_BYTES);
        set.addAll(List.of(more));
        return set;
    }

    /**
     * Checks a frame the worker sent: addresses, ports, MACs, TTL and both checksums, computed in full.
     */
    static void verifyFrame(
        final String what,
        final DirectBuffer frame,
        final int length,
        final long dstMac,
        final int srcIp,
        final int srcPort,
        final int dstIp,
        final int dstPort)
    {
        final int tcpLength =
            Bytes.u16(frame, ETH + Ipv4Flyweight.TOTAL_LENGTH_OFFSET) - Ipv4Flyweight.MIN_HEADER_LENGTH;
        final boolean ok = length == TCP + tcpLength &&
            Bytes.mac(frame, EthernetFlyweight.DST_MAC_OFFSET) == dstMac &&
            Bytes.mac(frame, EthernetFlyweight.SRC_MAC_OFFSET) == NODE_MAC &&
            Bytes.i32(frame, IP_SRC) == srcIp && Bytes.i32(frame, IP_DST) == dstIp &&
            Bytes.u16(frame, TCP + TcpFlyweight.SRC_PORT_OFFSET) == srcPort &&
            Bytes.u16(frame, TCP + TcpFlyweight.DST_PORT_OFFSET) == dstPort &&
            (frame.getByte(ETH + Ipv4Flyweight.TTL_OFFSET) & 0xFF) == 63 &&
            Checksum.isValid(Checksum.sum(frame, ETH, Ipv4Flyweight.MIN_HEADER_LENGTH, 0)) &&
            Checksum.isTcpValid(frame, TCP, tcpLength, srcIp, dstIp);
        if (!ok)
        {
            throw new IllegalStateException(what + ": the worker sent an unexpected frame " +
                describe(frame, length));
        }
    }

    static String describe(final DirectBuffer frame, final int length)
    {
        return Bytes.ipv4ToString(Bytes.i32(frame, IP_SRC)) + ":" + Bytes.u16(frame, TCP) + " -> " +
            Bytes.ipv4ToString(Bytes.i32(frame, IP_DST)) + ":" + Bytes.u16(frame, TCP + 2) + " ttl " +
            (frame.getByte(ETH + Ipv4Flyweight.TTL_OFFSET) & 0xFF) + " length " + length + " dst mac " +
            Bytes.macToString(Bytes.mac(frame, 0));
    }

    @Override
    public void close()
    {
        agent.onClose();
    }
}
