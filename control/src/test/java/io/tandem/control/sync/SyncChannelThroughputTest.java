package io.tandem.control.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

import static io.tandem.control.sync.SyncFixtures.HIGH;
import static io.tandem.control.sync.SyncFixtures.KEY;
import static io.tandem.control.sync.SyncFixtures.LOW;
import static io.tandem.control.sync.SyncFixtures.await;
import static io.tandem.control.sync.SyncFixtures.context;
import static io.tandem.control.sync.SyncFixtures.freePort;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A measurement, not a benchmark: 64-byte flow records in 64 KiB batches from one channel to the other over loopback,
 * authenticated, for about two seconds. Prints records/s, MB/s and the CPU time of both channel threads; asserts only
 * that every record arrived in order.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SyncChannelThroughputTest
{
    private static final int RECORD_LENGTH = 64;
    private static final int BATCH_LENGTH = 64 * 1024;
    private static final int RECORDS_PER_BATCH = BATCH_LENGTH / RECORD_LENGTH;
    private static final long RUN_NS = TimeUnit.SECONDS.toNanos(2);
    private static final long MAX_QUEUED_BYTES = 8L * 1024 * 1024;

    @Test
    void shouldCarry64ByteRecordsIn64KiBBatchesInOrder() throws Exception
    {
        final List<Throwable> errors = new CopyOnWriteArrayList<>();
        final AtomicLong receivedRecords = new AtomicLong();
        final AtomicLong outOfOrder = new AtomicLong();
        final AtomicLong lastReceiveNs = new AtomicLong();
        final List<String> downs = new CopyOnWriteArrayList<>();
        final SyncHandler counting = new SyncHandler()
        {
            private long expected;

            public void onSessionUp(final String peerName)
            {
            }

            public void onMessage(final int type, final ByteBuffer payload)
            {
                // every record starts with its number: check the first and the last of the batch
                final int records = payload.remaining() / RECORD_LENGTH;
                if (payload.getLong(0) != expected ||
                    payload.getLong((records - 1) * RECORD_LENGTH) != expected + records - 1)
                {
                    outOfOrder.incrementAndGet();
                }
                expected += records;
                receivedRecords.set(expected);
                lastReceiveNs.set(System.nanoTime());
            }

            public void onSessionDown(final String reason)
            {
                downs.add(reason);
            }
        };
        final SyncFixtures.Recorder senderRecorder = new SyncFixtures.Recorder();
        final int port = freePort();
        try (SyncChannel sender = new SyncChannel(context(LOW, HIGH, port, KEY, senderRecorder, errors));
             SyncChannel receiver = new SyncChannel(context(HIGH, LOW, port, KEY, counting, errors)))
        {
            senderRecorder.awaitUps(1, 5_000);
            final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
            final long senderCpuStart = threads.getThreadCpuTime(sender.thread().threadId());
            final long receiverCpuStart = threads.getThreadCpuTime(receiver.thread().threadId());
            final ByteBuffer batch = ByteBuffer.allocate(BATCH_LENGTH);
            long sentRecords = 0;
            final long startNs = System.nanoTime();
            while (System.nanoTime() - startNs < RUN_NS)
            {
                if (sender.queuedBytes() > MAX_QUEUED_BYTES)
                {
                    LockSupport.parkNanos(20_000);
                    continue;
                }
                for (int i = 0; i < RECORDS_PER_BATCH; i++)
                {
                    batch.putLong(i * RECORD_LENGTH, sentRecords + i);
                }
                assertTrue(sender.send(1, batch));
                sentRecords += RECORDS_PER_BATCH;
            }
            final long total = sentRecords;
            await("every record delivered", 20_000, () -> receivedRecords.get() == total);
            final double seconds = (lastReceiveNs.get() - startNs) / 1e9;
            final long senderCpuNs = threads.getThreadCpuTime(sender.thread().threadId()) - senderCpuStart;
            final long receiverCpuNs = threads.getThreadCpuTime(receiver.thread().threadId()) - receiverCpuStart;

            System.out.printf(
                "sync channel throughput: %d records of %d B in %d KiB batches in %.2f s: %.0f records/s, " +
                "%.0f batches/s, %.1f MB/s payload; CPU sender thread %.2f s, receiver thread %.2f s%n",
                total, RECORD_LENGTH, BATCH_LENGTH / 1024, seconds, total / seconds,
                total / (double)RECORDS_PER_BATCH / seconds, total * RECORD_LENGTH / seconds / 1e6,
                senderCpuNs / 1e9, receiverCpuNs / 1e9);

            assertEquals(0, outOfOrder.get(), "batches in order, records intact at both ends");
            assertEquals(0, sender.counters().totalSessionLosses());
            assertEquals(List.of(), downs);
            assertEquals(total / RECORDS_PER_BATCH, receiver.counters().messagesReceived());
        }
        assertEquals(List.of(), errors);
    }
}
