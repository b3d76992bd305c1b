package io.tandem.dataplane.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.packet.Ipv4Flyweight;
import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.port.PacketPort;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.worker.ForwardingAgent;
import io.tandem.dataplane.worker.WorkerContext;
import org.agrona.concurrent.NanoClock;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Drives arbitrary frame sequences through a real worker. Properties, for every input:
 * <ul>
 *   <li>no exception reaches the worker's error handler, and none escapes;</li>
 *   <li>no byte outside the frame is written: canary bytes around each frame stay intact;</li>
 *   <li>every frame the worker sends is a well-formed IPv4/TCP frame with correct checksums, whatever it received
 *   (unless the input claimed pre-verified checksums, which lets bad ones through by contract);</li>
 *   <li>the connection budget matches the flow table.</li>
 * </ul>
 * To get past the checksums and reach the deep paths, an input may ask for its frame to be steered to the VIP or
 * the SNAT address and for its checksums to be fixed; the rest of the bytes are the fuzzer's.
 */
class WorkerFuzzTest
{
    private static final long NODE_MAC = 0x02_00_00_00_00_01L;
    private static final int VIP = Bytes.parseIpv4("198.18.0.100");
    private static final int SNAT = Bytes.parseIpv4("198.18.0.200");
    private static final int[] TARGETS =
    {
        Bytes.parseIpv4("198.18.0.21"), Bytes.parseIpv4("198.18.0.22")
    };
    private static final int CANARY = 64;
    private static final byte CANARY_BYTE = (byte)0xA5;
    private static final int MAX_FRAME = 1600;
    /** Built once: a snapshot builds Maglev tables, which would otherwise dominate each input's time. */
    private static final ForwardingSnapshot[] SNAPSHOTS = snapshots();
    // 2.5 MiB a worker: shared by the short-lived workers of the inputs, whose counts nobody reads
    private static final io.tandem.dataplane.status.TrafficCounters TRAFFIC =
        new io.tandem.dataplane.status.TrafficCounters();

    private static ForwardingSnapshot[] snapshots()
    {
        final NextHops.Builder hops = NextHops.builder().epoch(1).localNetwork(Bytes.parseIpv4("198.18.0.0"), 24)
            .gatewayMac(0x02_00_00_00_00_FEL);
        for (final int target : TARGETS)
        {
            hops.neighbour(target, 0x02_00_00_00_01_00L | (target & 0xFF));
        }
        final NextHops nextHops = hops.build();
        final List<ForwardingSnapshot> all = new ArrayList<>();
        for (final long maxConnections : new long[]{1, 3, 64})
        {
            for (final long idleSeconds : new long[]{1, 300})
            {
                for (final boolean secondHealthy : new boolean[]{true, false})
                {
                    for (final boolean maglev : new boolean[]{false, true})
                    {
                        all.add(ForwardingSnapshot.builder().version(1).nodeMac(NODE_MAC).snatIp(SNAT)
                            .maxConnections(maxConnections).nextHops(nextHops)
                            .pool("p", 8080, TARGETS, new boolean[]{true, secondHealthy}, maglev)
                            .listener("l", VIP, 80, "p", TimeUnit.SECONDS.toNanos(idleSeconds), "198.19.0.0/16")
                            .build());
                    }
                }
            }
        }
        return all.toArray(new ForwardingSnapshot[0]);
    }

    @FuzzTest(maxDuration = "30s")
    void shouldSurviveAnyFrameSequence(final FuzzedDataProvider data)
    {
        final long[] now = {TimeUnit.SECONDS.toNanos(100)};
        final NanoClock clock = () -> now[0];
        final List<Throwable> errors = new ArrayList<>();
        final ForwardingSnapshot snapshot = SNAPSHOTS[data.consumeInt(0, SNAPSHOTS.length - 1)];
        final InMemoryPort port = new InMemoryPort(16, MAX_FRAME);
        final WorkerContext context = new WorkerContext().clock(clock).errorHandler(errors::add).flowCapacity(64)
            .timerSlots(256)
            .snatPortRange(1024, 1024 + data.consumeInt(0, 32)).hashSeed(1).traffic(TRAFFIC);
        final ForwardingAgent agent = new ForwardingAgent(context, port, new SnapshotExchange(snapshot, 1));
        final UnsafeBuffer work = new UnsafeBuffer(ByteBuffer.allocateDirect(CANARY + MAX_FRAME + CANARY));
        final boolean[] claimedVerified = {false};
        try
        {
            int frames = 0;
            while (data.remainingBytes() > 0 && frames++ < 32)
            {
                final int flags = data.consumeBoolean() ? PacketPort.FRAME_CHECKSUM_VERIFIED : 0;
                final int steer = data.consumeInt(0, 3);
                final boolean fix = data.consumeBoolean();
                now[0] += TimeUnit.MILLISECONDS.toNanos(data.consumeLong(0, 400_000));
                final byte[] frame = data.consumeBytes(data.consumeInt(0, MAX_FRAME));
                steer(frame, steer, fix);
                claimedVerified[0] |= flags != 0;

                work.setMemory(0, work.capacity(), CANARY_BYTE);
                work.putBytes(CANARY, frame);
                agent.onFrame(work, CANARY, frame.length, flags);
                agent.doWork();
                for (int i = 0; i < CANARY; i++)
                {
                    assertEquals(CANARY_BYTE, work.getByte(i), "write before the frame");
                }
                for (int i = CANARY + frame.length; i < work.capacity(); i++)
                {
                    assertEquals(CANARY_BYTE, work.getByte(i), "write after the frame");
                }
                for (final byte[] sent : port.drainTransmitted())
                {
                    assertWellFormed(sent, !claimedVerified[0]);
                }
            }
            assertEquals(List.of(), errors);
            assertEquals(0, agent.counters().get(WorkerCounter.WORKER_ERRORS));
            assertEquals(agent.flowTable().size(), context.budget().active());
        }
        finally
        {
            agent.onClose();
        }
    }

    /** Optionally aims the frame at the balancer and fixes its checksums, so the fuzzer reaches the deep paths. */
    private static void steer(final byte[] frame, final int steer, final boolean fix)
    {
        if (frame.length < 54 || steer == 0)
        {
            return;
        }
        final UnsafeBuffer b = new UnsafeBuffer(frame);
        Bytes.u16(b, 12, 0x0800);
        b.putByte(14, (byte)0x45);
        b.putByte(23, (byte)6);
        Bytes.u16(b, 16, frame.length - 14);
        Bytes.u16(b, 20, Bytes.u16(b, 20) & 0x4000);
        b.putByte(22, (byte)Math.max(2, b.getByte(22) & 0xFF));
        if (steer == 1)
        {
            Bytes.i32(b, 26, Bytes.parseIpv4("198.19.0.0") | (Bytes.i32(b, 26) & 0xFF));
            Bytes.i32(b, 30, VIP);
            Bytes.u16(b, 36, 80);
        }
        else if (steer == 2)
        {
            Bytes.i32(b, 26, TARGETS[b.getByte(26) & 1]);
            Bytes.i32(b, 30, SNAT);
            Bytes.u16(b, 34, 8080);
            Bytes.u16(b, 36, 1024 + (b.getByte(36) & 0x1F));
        }
        else
        {
            Bytes.i32(b, 30, VIP);
            Bytes.u16(b, 36, 80);
        }
        if (fix)
        {
            final int dataOffset = Math.max(5, Math.min(15, (b.getByte(46) & 0xF0) >>> 4));
            final int tcpLength = frame.length - 34;
            b.putByte(46, (byte)(Math.min(dataOffset, tcpLength / 4) << 4));
            final Ipv4Flyweight ip = new Ipv4Flyweight();
            ip.wrap(b, 14);
            ip.updateChecksum();
            Bytes.u16(b, 50, Checksum.tcp(b, 34, tcpLength, ip.src(), ip.dst()));
        }
    }

    private static void assertWellFormed(final byte[] sent, final boolean checksumsMustBeValid)
    {
        assertTrue(sent.length >= 54, "runt frame sent");
        final UnsafeBuffer b = new UnsafeBuffer(sent);
        assertEquals(0x0800, Bytes.u16(b, 12));
        assertEquals(NODE_MAC, Bytes.mac(b, 6));
        final Ipv4Flyweight ip = new Ipv4Flyweight();
        ip.wrap(b, 14);
        assertEquals(20, ip.headerLength());
        assertEquals(sent.length - 14, ip.totalLength());
        assertEquals(6, ip.protocol());
        final int src = b.getInt(26, ByteOrder.BIG_ENDIAN);
        assertTrue(src == VIP || src == SNAT, "sent from an address that is not the balancer's");
        if (checksumsMustBeValid)
        {
            assertTrue(ip.isChecksumValid(), "bad IPv4 checksum sent");
            assertTrue(Checksum.isTcpValid(b, 34, sent.length - 34, ip.src(), ip.dst()), "bad TCP checksum sent");
        }
    }
}
