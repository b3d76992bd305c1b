package io.tandem.dataplane.worker;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.status.WorkerCounter;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteOrder;
import java.util.List;
import java.util.Random;

import static io.tandem.dataplane.packet.TcpFlyweight.ACK;
import static io.tandem.dataplane.packet.TcpFlyweight.PSH;
import static io.tandem.dataplane.packet.TcpFlyweight.SYN;
import static io.tandem.dataplane.worker.WorkerHarness.*;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * A new snapshot after every single frame, with target health flipping at random and the algorithm switching
 * between round robin and Maglev: no established connection loses a segment or changes target.
 */
class SnapshotSwapContinuityTest
{
    private static final int CONNECTIONS = 200;
    private static final int ROUNDS = 20;

    @Test
    void shouldLoseNoConnectionWhenSnapshotsChangeUnderTraffic()
    {
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final WorkerHarness h = new WorkerHarness();
        final int[] snatPorts = new int[CONNECTIONS];
        final int[] targets = new int[CONNECTIONS];
        final int[] clientSeq = new int[CONNECTIONS];

        for (int c = 0; c < CONNECTIONS; c++)
        {
            final String client = "198.19." + (c / 250) + "." + (c % 250 + 1);
            h.send(fromClient(client, 40_000).seq(100).flags(SYN).build());
            final List<byte[]> out = h.transmitted();
            assertEquals(1, out.size(), "seed " + seed);
            final UnsafeBuffer syn = new UnsafeBuffer(out.get(0));
            snatPorts[c] = Bytes.u16(syn, 34);
            targets[c] = indexOf(syn.getInt(30, ByteOrder.BIG_ENDIAN));
            h.send(fromTarget(targets[c], snatPorts[c]).seq(500).ack(101).flags(SYN | ACK).build());
            h.send(fromClient(client, 40_000).seq(101).ack(501).flags(ACK).build());
            assertEquals(2, h.transmitted().size());
            clientSeq[c] = 101;
            swap(h, random);
        }

        for (int round = 0; round < ROUNDS; round++)
        {
            for (int c = 0; c < CONNECTIONS; c++)
            {
                final String client = "198.19." + (c / 250) + "." + (c % 250 + 1);
                final byte[] payload = new byte[1 + random.nextInt(100)];
                h.send(fromClient(client, 40_000).seq(clientSeq[c]).ack(501).flags(PSH | ACK).payload(payload)
                    .build());
                clientSeq[c] += payload.length;
                final List<byte[]> out = h.transmitted();
                assertEquals(1, out.size(), "seed " + seed + " connection " + c);
                final UnsafeBuffer frame = new UnsafeBuffer(out.get(0));
                assertEquals(ip(TARGETS[targets[c]]), frame.getInt(30, ByteOrder.BIG_ENDIAN), "seed " + seed);
                assertEquals(snatPorts[c], Bytes.u16(frame, 34), "seed " + seed);
                swap(h, random);
            }
        }
        assertEquals(CONNECTIONS, h.agent.flowTable().size());
        assertEquals(CONNECTIONS * (2 + ROUNDS), h.count(WorkerCounter.FORWARDED_TO_TARGET));
        // the last publication has not met a duty cycle yet
        assertEquals(CONNECTIONS * (1 + ROUNDS) - 1, h.count(WorkerCounter.SNAPSHOT_SWAPS));
    }

    private static void swap(final WorkerHarness h, final Random random)
    {
        final boolean[] healthy = {random.nextBoolean(), random.nextBoolean(), true};
        h.publish(snapshot(h.nextVersion(), healthy, random.nextBoolean(), 10_000));
    }

    private static int indexOf(final int ip)
    {
        for (int i = 0; i < TARGETS.length; i++)
        {
            if (ip(TARGETS[i]) == ip)
            {
                return i;
            }
        }
        throw new AssertionError("not a target");
    }
}
