package io.tandem.dataplane.worker;

import io.tandem.dataplane.port.InMemoryPort;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.WorkerCounter;
import org.agrona.concurrent.SleepingMillisIdleStrategy;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.packet.TcpFlyweight.SYN;
import static io.tandem.dataplane.worker.WorkerHarness.fromClient;
import static io.tandem.dataplane.worker.WorkerHarness.snapshot;
import static org.junit.jupiter.api.Assertions.assertEquals;

class WorkerGroupTest
{
    @Test
    void shouldRunEveryWorkerOnItsOwnThreadWithItsShareOfSnatPorts() throws Exception
    {
        final CountersManager counters = new CountersManager(
            new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 20)), new UnsafeBuffer(ByteBuffer.allocateDirect(1 << 18)));
        final SnapshotExchange exchange = new SnapshotExchange(snapshot(1, new boolean[]{true, true, true}, false,
            10_000), 2);
        final List<InMemoryPort> ports = new ArrayList<>();
        for (int i = 0; i < 2; i++)
        {
            final InMemoryPort port = new InMemoryPort(64, 2048);
            // frames injected before the threads start are visible to them (Thread.start happens-before)
            port.inject(fromClient("198.19.0." + (i + 1), 1000).seq(1).flags(SYN).build());
            ports.add(port);
        }
        final List<Throwable> errors = new ArrayList<>();
        final WorkerGroup group = new WorkerGroup(2, i -> new WorkerContext(), ports::get, exchange, counters,
            port -> new SleepingMillisIdleStrategy(1), errors::add, 1024, 1027);
        try
        {
            group.start();
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (forwarded(counters) < 2 && System.nanoTime() < deadline)
            {
                Thread.sleep(5);
            }
        }
        finally
        {
            group.close();
        }
        assertEquals(2, forwarded(counters));
        assertEquals(List.of(), errors);
        assertEquals(1, exchange.minObservedVersion(), "both workers reported the snapshot");
        // worker 0 owns ports 1024-1025, worker 1 owns 1026-1027
        assertEquals(1024, new UnsafeBuffer(ports.get(0).drainTransmitted().get(0)).getShort(34,
            java.nio.ByteOrder.BIG_ENDIAN));
        assertEquals(1026, new UnsafeBuffer(ports.get(1).drainTransmitted().get(0)).getShort(34,
            java.nio.ByteOrder.BIG_ENDIAN));
        assertEquals(2, group.agents().size());
    }

    private static long forwarded(final CountersManager counters)
    {
        final long[] total = {0};
        final CountersReader reader = counters;
        reader.forEach((id, type, key, label) ->
        {
            if (label.endsWith(": " + WorkerCounter.FORWARDED_TO_TARGET.label()))
            {
                total[0] += reader.getCounterValue(id);
            }
        });
        return total[0];
    }
}
