package io.tandem.dataplane.worker;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.TcpFrameBuilder;
import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.tcp.TcpTimeouts;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A worker on an in-memory port with a manual clock, and the topology the golden-packet tests share:
 * <pre>
 *   clients 198.19.0.0/16 ── router (GATEWAY_MAC) ──┐
 *                                                    ├── node (NODE_MAC): VIP 198.18.0.100:80, SNAT 198.18.0.200
 *   targets 198.18.0.21..23:8080 (TARGET_MACS) ─────┘   local network 198.18.0.0/24
 * </pre>
 * Like Netty's EmbeddedChannel: {@link #send} a frame, the worker runs one duty cycle, {@link #transmitted} returns
 * what it sent.
 */
final class WorkerHarness
{
    static final long NODE_MAC = 0x02_00_00_00_00_01L;
    static final long GATEWAY_MAC = 0x02_00_00_00_00_feL;
    static final long[] TARGET_MACS = {0x02_00_00_00_00_21L, 0x02_00_00_00_00_22L, 0x02_00_00_00_00_23L};
    static final String VIP = "198.18.0.100";
    static final int VIP_PORT = 80;
    static final String SNAT = "198.18.0.200";
    static final String[] TARGETS = {"198.18.0.21", "198.18.0.22", "198.18.0.23"};
    static final int TARGET_PORT = 8080;
    static final long IDLE_TIMEOUT_NS = TimeUnit.SECONDS.toNanos(300);

    /** A clock the test moves by hand. */
    static final class ManualClock implements NanoClock
    {
        long nowNs = TimeUnit.SECONDS.toNanos(1000);

        @Override
        public long nanoTime()
        {
            return nowNs;
        }
    }

    final ManualClock clock = new ManualClock();
    final InMemoryPort port = new InMemoryPort(1024, 2048);
    final WorkerContext context;
    final SnapshotExchange exchange;
    final ForwardingAgent agent;
    final List<Throwable> errors = new ArrayList<>();
    private long version = 1;

    WorkerHarness()
    {
        this(snapshot(1, new boolean[]{true, true, true}, false, 10_000));
    }

    WorkerHarness(final ForwardingSnapshot initial)
    {
        this(initial, new WorkerContext());
    }

    WorkerHarness(final ForwardingSnapshot initial, final WorkerContext context)
    {
        this.context = context.clock(clock).errorHandler(errors::add).hashSeed(42).flowCapacity(
            Math.max(context.flowCapacity(), 64));
        this.exchange = new SnapshotExchange(initial, 1);
        this.agent = new ForwardingAgent(this.context, port, exchange);
        this.version = initial.version();
    }

    static NextHops nextHops(final int epoch, final long[] targetMacs)
    {
        final NextHops.Builder builder = NextHops.builder().epoch(epoch)
            .localNetwork(ip("198.18.0.0"), 24).gatewayMac(GATEWAY_MAC);
        for (int i = 0; i < TARGETS.length; i++)
        {
            builder.neighbour(ip(TARGETS[i]), targetMacs[i]);
        }
        return builder.build();
    }

    /** Traffic-count slot of the first target; the others follow. */
    static final int FIRST_TARGET_SLOT = 7;

    static ForwardingSnapshot snapshot(
        final long version, final boolean[] healthy, final boolean maglev, final long maxConnections,
        final String... allowedCidrs)
    {
        return builder(version, healthy, maglev, maxConnections, allowedCidrs).build();
    }

    /** The usual three healthy targets, on an active ({@code forwarding}) or passive node of a pair. */
    static ForwardingSnapshot pairSnapshot(final long version, final boolean forwarding)
    {
        return builder(version, new boolean[]{true, true, true}, false, 10_000).forwarding(forwarding).build();
    }

    private static ForwardingSnapshot.Builder builder(
        final long version, final boolean[] healthy, final boolean maglev, final long maxConnections,
        final String... allowedCidrs)
    {
        return ForwardingSnapshot.builder()
            .version(version)
            .nodeMac(NODE_MAC)
            .snatIp(ip(SNAT))
            .maxConnections(maxConnections)
            .nextHops(nextHops(1, TARGET_MACS))
            .pool("web", TARGET_PORT, new int[]{ip(TARGETS[0]), ip(TARGETS[1]), ip(TARGETS[2])},
                new int[]{FIRST_TARGET_SLOT, FIRST_TARGET_SLOT + 1, FIRST_TARGET_SLOT + 2}, healthy, maglev)
            .listener("http", ip(VIP), VIP_PORT, "web", IDLE_TIMEOUT_NS, allowedCidrs);
    }

    static int ip(final String text)
    {
        return Bytes.parseIpv4(text);
    }

    long nextVersion()
    {
        return ++version;
    }

    void publish(final ForwardingSnapshot snapshot)
    {
        exchange.publish(snapshot);
        version = snapshot.version();
    }

    /** Injects one frame and runs one duty cycle. */
    void send(final byte[] frame)
    {
        send(frame, 0);
    }

    void send(final byte[] frame, final int flags)
    {
        if (!port.inject(new UnsafeBuffer(frame), 0, frame.length, flags))
        {
            throw new IllegalStateException("receive ring full");
        }
        agent.doWork();
    }

    /** Moves the clock and runs one duty cycle. */
    void advance(final long duration, final TimeUnit unit)
    {
        clock.nowNs += unit.toNanos(duration);
        agent.doWork();
    }

    List<byte[]> transmitted()
    {
        return port.drainTransmitted();
    }

    byte[] onlyTransmitted()
    {
        final List<byte[]> frames = transmitted();
        if (frames.size() != 1)
        {
            throw new AssertionError("expected exactly one transmitted frame, got " + frames.size());
        }
        return frames.get(0);
    }

    long count(final WorkerCounter counter)
    {
        return agent.counters().get(counter);
    }

    /** A frame from a client (through the router) to the VIP. */
    static TcpFrameBuilder fromClient(final String clientIp, final int clientPort)
    {
        return new TcpFrameBuilder().srcMac(GATEWAY_MAC).dstMac(NODE_MAC).src(clientIp, clientPort)
            .dst(VIP, VIP_PORT);
    }

    /** A frame from a target to the SNAT address. */
    static TcpFrameBuilder fromTarget(final int target, final int snatPort)
    {
        return new TcpFrameBuilder().srcMac(TARGET_MACS[target]).dstMac(NODE_MAC).src(TARGETS[target], TARGET_PORT)
            .dst(SNAT, snatPort);
    }

    /** What the balancer should send a target: SNAT:port → target:8080, TTL one lower. */
    static TcpFrameBuilder toTarget(final int target, final int snatPort)
    {
        return new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(TARGET_MACS[target]).src(SNAT, snatPort)
            .dst(TARGETS[target], TARGET_PORT).ttl(63);
    }

    /** What the balancer should send a client: VIP:80 → client via the router, TTL one lower. */
    static TcpFrameBuilder toClient(final String clientIp, final int clientPort)
    {
        return new TcpFrameBuilder().srcMac(NODE_MAC).dstMac(GATEWAY_MAC).src(VIP, VIP_PORT)
            .dst(clientIp, clientPort).ttl(63);
    }

    static TcpTimeouts timeouts()
    {
        return TcpTimeouts.DEFAULTS;
    }
}
