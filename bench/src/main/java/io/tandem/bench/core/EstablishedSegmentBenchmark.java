package io.tandem.bench.core;

import io.tandem.dataplane.flow.FlowRecord;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.packet.TcpFlyweight;
import io.tandem.dataplane.packet.TcpFrameBuilder;
import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.port.PacketPort;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.tcp.TcpState;
import io.tandem.dataplane.tcp.TcpTimeouts;
import io.tandem.dataplane.worker.ForwardingAgent;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.concurrent.TimeUnit;

import static io.tandem.bench.core.WorkerFixture.TCP;

/**
 * The established path: a 64-byte data segment from a client to the VIP on a connection in ESTABLISHED, through
 * parse, classify, validate, flow lookup, TCP tracking, full-NAT rewrite with incremental checksums, and transmit.
 * One operation is one packet.
 * <p>
 * The worker rewrites the frame in place, so every operation first copies the pristine 118-byte frame into the work
 * buffer (where a ring would have put it) and gives it the next 64 bytes of the stream: sequence number + 64 and the
 * TCP checksum adjusted for it (RFC 1624), so that each segment carries new payload, as a bulk transfer does, and the
 * idle-timer restart store is in the path (a repeated sequence number would be a retransmission, which skips it).
 * {@link #copyBaseline} does only that preparation, so the worker's own cost is {@code segment − copyBaseline}.
 * <p>
 * {@code checksumVerified}: with {@code true} the frame carries {@link PacketPort#FRAME_CHECKSUM_VERIFIED}, as when
 * the NIC or kernel verified the checksums; with {@code false} the worker verifies the IPv4 and TCP checksums itself.
 * The target never acknowledges the data; the worker does not police windows, so that does not change its path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class EstablishedSegmentBenchmark
{
    static final int PAYLOAD_LENGTH = 64;
    static final int CLIENT = 0;
    static final int CLIENT_PORT = 40_000;
    static final int CLIENT_ISN = 0x1000_0000;
    static final int TARGET_ISN = 0x5000_0000;

    /**
     * The pristine data segment and the work buffer the worker gets it in. Not a JMH state of its own: JMH gives
     * each injection point of a thread-scoped state its own instance, so the states below each own one.
     */
    static final class DataSegments
    {
        final UnsafeBuffer pristine = WorkerFixture.offHeap(2048);
        final UnsafeBuffer work = WorkerFixture.offHeap(2048);
        final int frameLength;
        final int firstSeq;
        final int pristineChecksum;
        int seq;

        /** Builds the client's data segment: seq right after the handshake, 64 bytes of payload, PSH|ACK. */
        DataSegments()
        {
            final byte[] payload = new byte[PAYLOAD_LENGTH];
            for (int i = 0; i < payload.length; i++)
            {
                payload[i] = (byte)('a' + i % 26);
            }
            final byte[] frame = fromClient().seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1)
                .flags(TcpFlyweight.PSH | TcpFlyweight.ACK).payload(payload).build();
            pristine.putBytes(0, frame);
            frameLength = frame.length;
            firstSeq = CLIENT_ISN + 1;
            pristineChecksum = Bytes.u16(pristine, TCP + TcpFlyweight.CHECKSUM_OFFSET);
            seq = firstSeq - PAYLOAD_LENGTH;
        }

        /** Puts the next segment of the stream into the work buffer: 118-byte copy, new seq, adjusted checksum. */
        void next()
        {
            final UnsafeBuffer work = this.work;
            work.putBytes(0, pristine, 0, frameLength);
            final int seq = this.seq + PAYLOAD_LENGTH;
            this.seq = seq;
            Bytes.i32(work, TCP + TcpFlyweight.SEQ_OFFSET, seq);
            Bytes.u16(work, TCP + TcpFlyweight.CHECKSUM_OFFSET,
                Checksum.adjust(pristineChecksum, Checksum.delta32(firstSeq, seq)));
        }
    }

    /** Only the segments, for {@link #copyBaseline}. */
    @State(Scope.Thread)
    public static class Copy
    {
        final DataSegments segments = new DataSegments();
    }

    /** A worker with one established connection from client 0. */
    @State(Scope.Thread)
    public static class Worker
    {
        /** Whether the frame arrives with its checksums verified by the NIC or kernel. */
        @Param({"false", "true"})
        public boolean checksumVerified;

        final DataSegments segments = new DataSegments();
        WorkerFixture fixture;
        ForwardingAgent agent;
        InMemoryPort port;
        int flags;
        int recordBase;
        int snatPort;
        int target;
        long[] before;

        /** Runs the three-way handshake through the worker, then checks one segment of the measured path. */
        @Setup(Level.Trial)
        public void setUp()
        {
            final DataSegments segment = segments;
            fixture = new WorkerFixture(1, 1024, 10_000, TcpTimeouts.DEFAULTS, 256);
            agent = fixture.agent;
            port = fixture.port;
            flags = checksumVerified ? PacketPort.FRAME_CHECKSUM_VERIFIED : 0;

            fixture.send(fromClient().seq(CLIENT_ISN).flags(TcpFlyweight.SYN).mss(1460).build());
            final UnsafeBuffer syn = fixture.onlyTransmitted();
            snatPort = Bytes.u16(syn, TCP + TcpFlyweight.SRC_PORT_OFFSET);
            target = targetIndex(Bytes.i32(syn, WorkerFixture.IP_DST));
            fixture.send(new TcpFrameBuilder().srcMac(WorkerFixture.targetMac(target)).dstMac(WorkerFixture.NODE_MAC)
                .src(WorkerFixture.TARGET_IPS[target], WorkerFixture.TARGET_PORT)
                .dst(WorkerFixture.SNAT_IP, snatPort)
                .seq(TARGET_ISN).ack(CLIENT_ISN + 1).flags(TcpFlyweight.SYN | TcpFlyweight.ACK).mss(1460).build());
            fixture.onlyTransmitted();
            fixture.send(fromClient().seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(TcpFlyweight.ACK).build());
            fixture.onlyTransmitted();
            recordBase = fixture.recordBase(
                WorkerFixture.clientIp(CLIENT), WorkerFixture.VIP, CLIENT_PORT, WorkerFixture.VIP_PORT);
            if (fixture.recordState(recordBase) != TcpState.ESTABLISHED)
            {
                throw new IllegalStateException("handshake did not establish the connection: state " +
                    TcpState.name(fixture.recordState(recordBase)) + ", counters " + fixture.describeCounters());
            }

            // one segment of the measured path, its output checked byte by byte
            final long[] start = fixture.counterValues();
            segment.next();
            agent.onFrame(segment.work, 0, segment.frameLength, flags);
            WorkerFixture.verifyFrame("established segment", fixture.onlyTransmitted(), segment.frameLength,
                WorkerFixture.targetMac(target), WorkerFixture.SNAT_IP, snatPort, WorkerFixture.TARGET_IPS[target],
                WorkerFixture.TARGET_PORT);
            verifyPath(start, segment);
        }

        /** Remembers the counters so that the iteration can be checked. */
        @Setup(Level.Iteration)
        public void startIteration()
        {
            before = fixture.counterValues();
        }

        /** Fails the run unless every packet of the iteration took the established forwarding path. */
        @TearDown(Level.Iteration)
        public void verifyIteration()
        {
            verifyPath(before, segments);
        }

        private void verifyPath(final long[] start, final DataSegments segment)
        {
            final String what = "EstablishedSegmentBenchmark(checksumVerified=" + checksumVerified + ")";
            fixture.verifyOnlyMoved(what, start, WorkerFixture.forwarding(WorkerCounter.FORWARDED_TO_TARGET));
            fixture.verifySameDelta(what, start, WorkerCounter.RX_FRAMES, WorkerCounter.FORWARDED_TO_TARGET);
            fixture.verifySameDelta(what, start, WorkerCounter.RX_FRAMES, WorkerCounter.TX_FRAMES);
            final int state = fixture.recordState(recordBase);
            final int seqNext = agent.flowTable().records().getInt(recordBase + FlowRecord.CLIENT_SEQ_NEXT_OFFSET);
            if (state != TcpState.ESTABLISHED || seqNext != segment.seq + PAYLOAD_LENGTH)
            {
                throw new IllegalStateException(what + ": expected ESTABLISHED with every segment new data, got " +
                    TcpState.name(state) + " and next seq " + seqNext + " after sending " + segment.seq);
            }
        }

        /** Frees the worker's table. */
        @TearDown(Level.Trial)
        public void tearDown()
        {
            fixture.close();
        }

        private static int targetIndex(final int ip)
        {
            for (int i = 0; i < WorkerFixture.TARGET_IPS.length; i++)
            {
                if (WorkerFixture.TARGET_IPS[i] == ip)
                {
                    return i;
                }
            }
            throw new IllegalStateException("SYN went to " + Bytes.ipv4ToString(ip) + ", not a target");
        }
    }

    static TcpFrameBuilder fromClient()
    {
        return new TcpFrameBuilder().srcMac(WorkerFixture.clientMac(CLIENT)).dstMac(WorkerFixture.NODE_MAC)
            .src(WorkerFixture.clientIp(CLIENT), CLIENT_PORT).dst(WorkerFixture.VIP, WorkerFixture.VIP_PORT);
    }

    /**
     * One established data segment through the worker, including the copy of the pristine frame.
     *
     * @param worker the worker and its frame.
     */
    @Benchmark
    public void segment(final Worker worker)
    {
        final DataSegments segments = worker.segments;
        segments.next();
        worker.agent.onFrame(segments.work, 0, segments.frameLength, worker.flags);
        worker.port.discardTransmitted();
    }

    /**
     * Only the per-packet preparation that {@link #segment} includes: the 118-byte copy, seq and checksum update.
     *
     * @param copy the frame.
     */
    @Benchmark
    public void copyBaseline(final Copy copy)
    {
        copy.segments.next();
    }
}
