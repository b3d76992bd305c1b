package io.tandem.dataplane.worker;

import io.tandem.dataplane.flow.FlowRecord;
import io.tandem.dataplane.flow.FlowTable;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.tcp.TcpState;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.ringbuffer.OneToOneRingBuffer;
import org.agrona.concurrent.ringbuffer.RingBuffer;
import org.agrona.concurrent.ringbuffer.RingBufferDescriptor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.packet.TcpFlyweight.ACK;
import static io.tandem.dataplane.packet.TcpFlyweight.PSH;
import static io.tandem.dataplane.packet.TcpFlyweight.RST;
import static io.tandem.dataplane.packet.TcpFlyweight.SYN;
import static io.tandem.dataplane.worker.ForwardingAgentGoldenTest.assertFrame;
import static io.tandem.dataplane.worker.WorkerHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two workers as the two nodes of a pair, their sync rings joined by hand as the control plane and the sync channel
 * join them: the active one's connections appear in the passive one's table, forward nothing there, and carry on
 * byte-exact once the passive one takes over.
 */
class FlowReplicationTest
{
    private static final String CLIENT = "198.19.7.10";
    private static final int CLIENT_ISN = 1_000;
    private static final int TARGET_ISN = 0x7000_0000;

    private final WorkerHarness active = new WorkerHarness(pairSnapshot(1, true), pairContext(0));
    private WorkerHarness passive = new WorkerHarness(pairSnapshot(1, false), pairContext(1));

    private static WorkerContext pairContext(final int share)
    {
        return new WorkerContext().snatShare(share, 2).syncRings(ring(), ring());
    }

    private static RingBuffer ring()
    {
        return new OneToOneRingBuffer(new UnsafeBuffer(
            ByteBuffer.allocateDirect(64 * 1024 + RingBufferDescriptor.TRAILER_LENGTH)));
    }

    @AfterEach
    void noWorkerErrors()
    {
        assertEquals(List.of(), active.errors);
        assertEquals(List.of(), passive.errors);
        assertEquals(0, active.count(WorkerCounter.WORKER_ERRORS) + passive.count(WorkerCounter.WORKER_ERRORS));
    }

    /** The control plane's part: moves what one worker's outbox holds into the other's inbox. */
    private static int pump(final WorkerHarness from, final WorkerHarness to)
    {
        final int[] moved = {0};
        from.context.syncOutbox().read((type, buffer, index, length) ->
        {
            assertTrue(to.context.syncInbox().write(type, buffer, index, length));
            moved[0]++;
        });
        to.agent.doWork();
        return moved[0];
    }

    private static void post(final WorkerHarness to, final int type, final long generation)
    {
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        message.putLong(0, generation);
        assertTrue(to.context.syncInbox().write(type, message, 0, 8));
        to.agent.doWork();
    }

    private int handshake(final WorkerHarness h, final int clientPort)
    {
        h.send(fromClient(CLIENT, clientPort).seq(CLIENT_ISN).flags(SYN).mss(1460).build());
        final UnsafeBuffer syn = new UnsafeBuffer(h.onlyTransmitted());
        final int snatPort = Bytes.u16(syn, 34);
        final int target = java.util.Arrays.asList(TARGETS).indexOf(
            Bytes.ipv4ToString(syn.getInt(30, java.nio.ByteOrder.BIG_ENDIAN)));
        h.send(fromTarget(target, snatPort).seq(TARGET_ISN).ack(CLIENT_ISN + 1).flags(SYN | ACK).mss(1460).build());
        h.onlyTransmitted();
        h.send(fromClient(CLIENT, clientPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build());
        h.onlyTransmitted();
        return snatPort;
    }

    private static int recordOf(final WorkerHarness h, final int clientPort)
    {
        final int found = h.agent.flowTable().lookup(ip(CLIENT), ip(VIP), clientPort, VIP_PORT);
        assertTrue(found != FlowTable.NULL_INDEX, "tracked");
        return found >>> 1;
    }

    @Test
    void shouldReplicateAnEstablishedConnectionAndCarryItByteExactAfterTakeover()
    {
        final int snatPort = handshake(active, 40_000);
        assertTrue(snatPort < 1024 + 64_512 / 2, "the active node allocates from its own half");
        assertEquals(1, pump(active, passive), "one UPSERT, when the connection became established");
        assertEquals(1, passive.agent.flowTable().size());
        final FlowRecord replica = new FlowRecord().wrap(passive.agent.flowTable(), recordOf(passive, 40_000));
        assertEquals(TcpState.ESTABLISHED, replica.state());
        assertEquals(1, passive.agent.activeConnections(VIP_PORT));

        // passive: the balancer's frames are dropped, nothing is sent
        passive.send(fromClient(CLIENT, 40_000).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(ACK).build());
        assertEquals(List.of(), passive.transmitted());
        assertEquals(1, passive.count(WorkerCounter.DROP_STANDBY));

        // an idle timeout passes on the passive node: the replica stays, the active one sees the traffic
        passive.advance(IDLE_TIMEOUT_NS + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        assertEquals(1, passive.agent.flowTable().size());
        assertEquals(List.of(), passive.transmitted());

        // takeover: the same segments leave the new active node exactly as they left the old one
        passive.publish(pairSnapshot(passive.nextVersion(), true));
        final byte[] request = "GET / HTTP/1.1\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
        passive.send(fromClient(CLIENT, 40_000).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK)
            .payload(request).build());
        assertFrame(toTarget(0, snatPort).seq(CLIENT_ISN + 1).ack(TARGET_ISN + 1).flags(PSH | ACK).payload(request)
            .build(), passive.onlyTransmitted());
        passive.send(fromTarget(0, snatPort).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1 + request.length).flags(ACK)
            .build());
        assertFrame(toClient(CLIENT, 40_000).seq(TARGET_ISN + 1).ack(CLIENT_ISN + 1 + request.length).flags(ACK)
            .build(), passive.onlyTransmitted());

        // a new connection on the new active node takes a SNAT port from the other half
        final int newPort = handshake(passive, 40_001);
        assertTrue(newPort >= 1024 + 64_512 / 2, "the other node's half: " + newPort);

        // the replica's first timer after takeover gives it a full idle period instead of closing it
        passive.advance(IDLE_TIMEOUT_NS - TimeUnit.SECONDS.toNanos(10), TimeUnit.NANOSECONDS);
        assertEquals(List.of(), passive.transmitted());
        assertEquals(2, passive.agent.flowTable().size());
    }

    @Test
    void shouldForgetTheReplicaWhenTheActiveNodeForgetsTheConnection()
    {
        final int snatPort = handshake(active, 40_000);
        pump(active, passive);
        active.send(fromTarget(0, snatPort).seq(TARGET_ISN + 1).flags(RST).build());
        active.onlyTransmitted();
        active.advance(timeouts().closedNs() + TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.NANOSECONDS);
        assertEquals(0, active.agent.flowTable().size());

        assertEquals(1, pump(active, passive), "one REMOVE");
        assertEquals(0, passive.agent.flowTable().size());
        assertEquals(1, passive.count(WorkerCounter.SYNC_REMOVED));
        assertEquals(0, passive.agent.activeConnections(VIP_PORT));
        assertEquals(0, passive.context.budget().active());
    }

    @Test
    void shouldNotReplicateAConnectionThatNeverBecameEstablished()
    {
        active.send(fromClient(CLIENT, 40_000).seq(CLIENT_ISN).flags(SYN).build());
        active.onlyTransmitted();
        active.advance(timeouts().synSentNs() + TimeUnit.SECONDS.toNanos(1), TimeUnit.NANOSECONDS);
        assertEquals(0, active.agent.flowTable().size());
        assertEquals(0, pump(active, passive), "neither an UPSERT nor a REMOVE");
    }

    @Test
    void shouldHealAGapByABulkResyncThatSweepsWhatThePeerNoLongerHas()
    {
        final int keptPort = handshake(active, 40_000);
        handshake(active, 40_001);
        pump(active, passive);
        assertEquals(2, passive.agent.flowTable().size());

        // a gap: the active node forgets 40_001 and opens 40_002, and the passive node hears of neither
        active.send(fromClient(CLIENT, 40_001).seq(CLIENT_ISN + 1).flags(RST).build());
        active.onlyTransmitted();
        active.advance(timeouts().closedNs() + TimeUnit.MILLISECONDS.toNanos(50), TimeUnit.NANOSECONDS);
        handshake(active, 40_002);
        active.context.syncOutbox().read((type, buffer, index, length) -> { }); // lost on the way

        // bulk: the passive side opens generation 7, the active side walks its table
        post(passive, FlowSyncDescriptor.BULK_BEGIN, 7);
        post(active, FlowSyncDescriptor.BULK_REQUEST, 7);
        for (int i = 0; i < 10; i++) // a bounded part of the table per duty cycle
        {
            active.agent.doWork();
        }
        final int[] types = new int[6];
        active.context.syncOutbox().read((type, buffer, index, length) ->
        {
            types[type]++;
            assertTrue(passive.context.syncInbox().write(type, buffer, index, length));
        });
        assertEquals(2, types[FlowSyncDescriptor.UPSERT], "the two established connections");
        assertEquals(1, types[FlowSyncDescriptor.BULK_END]);
        for (int i = 0; i < 100; i++)
        {
            passive.agent.doWork();
        }

        assertEquals(2, passive.agent.flowTable().size());
        recordOf(passive, 40_000);
        recordOf(passive, 40_002);
        assertEquals(FlowTable.NULL_INDEX, passive.agent.flowTable().lookup(ip(CLIENT), ip(VIP), 40_001, VIP_PORT));
        assertEquals(1, passive.count(WorkerCounter.SYNC_SWEPT));
        assertEquals(2, passive.context.budget().active());
        assertTrue(keptPort > 0);
    }

    @Test
    void shouldCountAndKeepItsOwnConnectionWhenTheReplicaCollidesWithIt()
    {
        // split brain: both nodes active, both accept the same client port to different targets
        passive.publish(pairSnapshot(passive.nextVersion(), true));
        handshake(passive, 40_000);
        handshake(active, 40_000);
        pump(active, passive);
        assertEquals(1, passive.count(WorkerCounter.SYNC_CONFLICTS));
        assertEquals(1, passive.agent.flowTable().size());
        final FlowRecord own = new FlowRecord().wrap(passive.agent.flowTable(), recordOf(passive, 40_000));
        assertEquals(0, own.flags() & FlowRecord.FLAG_REPLICATED);
    }

    @Test
    void shouldKeepWhatASecondBulkRefreshesWhileTheFirstOnesSweepRuns()
    {
        handshake(active, 40_000);
        handshake(active, 40_001);
        pump(active, passive);
        active.context.syncOutbox().read((type, buffer, index, length) -> { });

        // bulk 1 ends and its sweep starts; bulk 2 begins at once and refreshes the same connections
        post(passive, FlowSyncDescriptor.BULK_BEGIN, 1);
        post(active, FlowSyncDescriptor.BULK_REQUEST, 1);
        for (int i = 0; i < 10; i++)
        {
            active.agent.doWork();
        }
        pumpWithoutRunning(active, passive);
        final UnsafeBuffer message = new UnsafeBuffer(new byte[8]);
        message.putLong(0, 2);
        assertTrue(passive.context.syncInbox().write(FlowSyncDescriptor.BULK_BEGIN, message, 0, 8));
        post(active, FlowSyncDescriptor.BULK_REQUEST, 2);
        for (int i = 0; i < 10; i++)
        {
            active.agent.doWork();
        }
        // bulk 2's connections arrive, its end not yet (it is still on the wire)
        final long[] heldEnd = {0};
        active.context.syncOutbox().read((type, buffer, index, length) ->
        {
            if (FlowSyncDescriptor.BULK_END == type)
            {
                heldEnd[0] = buffer.getLong(index);
            }
            else
            {
                assertTrue(passive.context.syncInbox().write(type, buffer, index, length));
            }
        });
        for (int i = 0; i < 5; i++)
        {
            passive.agent.doWork();
        }
        assertEquals(2, passive.agent.flowTable().size(), "bulk 1's sweep spares what bulk 2 refreshed");
        post(passive, FlowSyncDescriptor.BULK_END, heldEnd[0]);
        for (int i = 0; i < 5; i++)
        {
            passive.agent.doWork();
        }

        assertEquals(2, passive.agent.flowTable().size(), "nothing the second bulk confirmed is swept");
        assertEquals(0, passive.count(WorkerCounter.SYNC_SWEPT));
    }

    /** Moves the outbox into the inbox without running the receiving worker, so messages queue up as on a wire. */
    private static void pumpWithoutRunning(final WorkerHarness from, final WorkerHarness to)
    {
        from.context.syncOutbox().read((type, buffer, index, length) ->
            assertTrue(to.context.syncInbox().write(type, buffer, index, length)));
    }
}
