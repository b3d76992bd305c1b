package io.tandem.dataplane.flow;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.flow.SnatPortAllocator.NO_PORT;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tests of {@link SnatPortAllocator}: ports come from the range, are unique per (snat address, target, target port)
 * because the {@link FlowTable}'s reverse keys say which are taken, are freed by removing the connection, are
 * reused as late as possible, and the search gives up after a bounded number of tries.
 */
class SnatPortAllocatorTest
{
    private static final int SNAT_IP = 0xAC10_00FE;
    private static final int TARGET_A = 0xAC10_0005;
    private static final int TARGET_B = 0xAC10_0006;
    private static final int TARGET_PORT = 8080;
    private static final int VIP = 0xC633_6401;

    private final List<FlowTable> tables = new ArrayList<>();
    private int clients;

    @AfterEach
    void closeTables()
    {
        tables.forEach(FlowTable::close);
    }

    private FlowTable newTable(final int capacity)
    {
        final FlowTable table = new FlowTable(capacity, 7);
        tables.add(table);
        return table;
    }

    /** Inserts a connection from a new client to {@code targetIp:targetPort} through {@code snatPort}. */
    private int connect(final FlowTable table, final int targetIp, final int targetPort, final int snatPort)
    {
        final int n = clients++;
        final int recordIndex = table.insert(0x0A00_0000 + n, 1024 + (n & 0x7FFF), VIP, 443, targetIp, targetPort,
            SNAT_IP, snatPort);
        assertTrue(recordIndex >= 0, "connect through port " + snatPort + " returned " + recordIndex);
        return recordIndex;
    }

    @Test
    void shouldAllocatePortsWithinTheRangeAndEachOnceWhileInUse()
    {
        final FlowTable table = newTable(1000);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 20000, 20099);
        assertEquals(20000, allocator.firstPort());
        assertEquals(20099, allocator.lastPort());

        final Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 100; i++)
        {
            final int port = allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT);
            assertTrue(port >= 20000 && port <= 20099, "port " + port);
            assertTrue(used.add(port), "port " + port + " allocated twice");
            connect(table, TARGET_A, TARGET_PORT, port);
        }
        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    @Test
    void shouldNotReturnAPortInUseTowardsTheSameTargetButMayForAnother()
    {
        final FlowTable table = newTable(16);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 30000, 30000);
        connect(table, TARGET_A, TARGET_PORT, 30000);

        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        // the tuple (snat, port, target, target port) differs in one field: the port is free for it
        assertEquals(30000, allocator.allocate(SNAT_IP, TARGET_B, TARGET_PORT));
        assertEquals(30000, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT + 1));
        assertEquals(30000, allocator.allocate(SNAT_IP + 1, TARGET_A, TARGET_PORT));
        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    @Test
    void shouldSkipPortsInUseTowardsTheTarget()
    {
        final FlowTable table = newTable(64);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 100, 109);
        final Set<Integer> taken = Set.of(100, 103, 104, 109);
        for (final int port : taken)
        {
            connect(table, TARGET_A, TARGET_PORT, port);
        }
        // the same ports towards another target do not matter
        for (int port = 100; port <= 109; port++)
        {
            if (!taken.contains(port))
            {
                connect(table, TARGET_B, TARGET_PORT, port);
            }
        }

        final Set<Integer> allocated = new HashSet<>();
        for (int i = 0; i < 6; i++)
        {
            final int port = allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT);
            assertTrue(port >= 100 && port <= 109 && !taken.contains(port), "port " + port);
            assertTrue(allocated.add(port));
            connect(table, TARGET_A, TARGET_PORT, port);
        }
        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    @Test
    void shouldMakeAPortAvailableAgainWhenItsConnectionIsRemoved()
    {
        final FlowTable table = newTable(16);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 40000, 40000);
        final int port = allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT);
        assertEquals(40000, port);
        final int recordIndex = connect(table, TARGET_A, TARGET_PORT, port);
        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));

        table.remove(recordIndex);
        assertEquals(40000, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    @Test
    void shouldRotateSoThatAJustFreedPortIsNotReusedWhileOthersAreFree()
    {
        final FlowTable table = newTable(16);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 50000, 50099);
        final List<Integer> sequence = new ArrayList<>();
        // one connection at a time: each is closed before the next opens, so every port is free every time
        for (int i = 0; i < 250; i++)
        {
            final int port = allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT);
            if (!sequence.isEmpty())
            {
                assertNotEquals(sequence.get(sequence.size() - 1), port, "the port just freed was reused at once");
            }
            sequence.add(port);
            table.remove(connect(table, TARGET_A, TARGET_PORT, port));
        }
        // every port once before any comes round again
        for (int i = 0; i < sequence.size(); i++)
        {
            assertEquals(sequence.get(i % 100), sequence.get(i), "allocation " + i);
        }
        assertEquals(100, Set.copyOf(sequence.subList(0, 100)).size());
    }

    @Test
    void shouldRotateAcrossTargets()
    {
        final FlowTable table = newTable(16);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 1, 3);
        // the cursor is shared: connections to different targets still get different ports while any are free
        assertEquals(Set.of(1, 2, 3), Set.of(
            allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT),
            allocator.allocate(SNAT_IP, TARGET_B, TARGET_PORT),
            allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT)));
    }

    @Test
    @Timeout(value = 10, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldGiveUpAfterBoundedTriesWhenTheRangeIsNearlyFull()
    {
        final int first = 10_000;
        final int count = 1_000;
        final FlowTable table = newTable(count + 16);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, first, first + count - 1);
        // the allocator's cursor starts at the first port: leave free only one port far beyond MAX_TRIES from it
        final int freeOffset = 5 * SnatPortAllocator.MAX_TRIES + 17;
        for (int offset = 0; offset < count; offset++)
        {
            if (offset != freeOffset)
            {
                connect(table, TARGET_A, TARGET_PORT, first + offset);
            }
        }

        // each call tries MAX_TRIES ports and moves on; the free port is found by the call whose window holds it
        final int callsThatMiss = freeOffset / SnatPortAllocator.MAX_TRIES;
        for (int call = 0; call < callsThatMiss; call++)
        {
            assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT), "call " + call);
        }
        assertEquals(first + freeOffset, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        // another target has the whole range
        assertTrue(allocator.allocate(SNAT_IP, TARGET_B, TARGET_PORT) >= first);

        // and with the range full towards the target every call gives up
        connect(table, TARGET_A, TARGET_PORT, first + freeOffset);
        for (int call = 0; call < 10 * count; call++)
        {
            assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        }
    }

    @Test
    @Timeout(value = 20, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldGiveUpQuicklyWhenAllOf65535PortsAreInUseTowardsOneTarget()
    {
        final FlowTable table = newTable(65_535);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 1, 65_535);
        for (int port = 1; port <= 65_535; port++)
        {
            connect(table, TARGET_A, TARGET_PORT, port);
        }

        final long startNs = System.nanoTime();
        for (int call = 0; call < 10_000; call++)
        {
            assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        }
        final long elapsedNs = System.nanoTime() - startNs;
        // 10 000 calls of at most MAX_TRIES lookups each; a full scan of the range per call would be 1000 times more
        assertTrue(elapsedNs < TimeUnit.SECONDS.toNanos(5), "10 000 refusals took " + elapsedNs + " ns");
        assertEquals(1 + 10_000 * SnatPortAllocator.MAX_TRIES % 65_535,
            allocator.allocate(SNAT_IP, TARGET_B, TARGET_PORT), "cursor advanced by MAX_TRIES per refusal");
    }

    @Test
    void shouldWorkWithARangeOfOnePort()
    {
        final FlowTable table = newTable(4);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, 65535, 65535);
        assertEquals(65535, allocator.firstPort());
        assertEquals(65535, allocator.lastPort());
        assertEquals(65535, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        assertEquals(65535, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        final int recordIndex = connect(table, TARGET_A, TARGET_PORT, 65535);
        assertEquals(NO_PORT, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
        assertEquals(65535, allocator.allocate(SNAT_IP, TARGET_B, TARGET_PORT));
        table.remove(recordIndex);
        assertEquals(65535, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    @ParameterizedTest
    @CsvSource({"0, 10", "-1, 10", "10, 9", "1, 65536", "65536, 65536", "65535, 65534", "0, 0",
        "-2147483648, 2147483647"})
    void shouldRejectBadRanges(final int firstPort, final int lastPort)
    {
        final FlowTable table = newTable(1);
        assertThrows(IllegalArgumentException.class, () -> new SnatPortAllocator(table, firstPort, lastPort));
    }

    @ParameterizedTest
    @CsvSource({"1, 65535", "1, 1", "65535, 65535", "1024, 2047"})
    void shouldAcceptRangesWithin1To65535(final int firstPort, final int lastPort)
    {
        final SnatPortAllocator allocator = new SnatPortAllocator(newTable(1), firstPort, lastPort);
        assertEquals(firstPort, allocator.firstPort());
        assertEquals(lastPort, allocator.lastPort());
        assertEquals(firstPort, allocator.allocate(SNAT_IP, TARGET_A, TARGET_PORT));
    }

    /**
     * Random opens and closes towards a few targets, compared with a model of the ports each target uses: a port is
     * never handed out while in use towards that target, and NO_PORT comes only when the next MAX_TRIES ports from
     * the cursor are all in use.
     */
    @Test
    void shouldNeverHandOutAPortInUseUnderRandomChurn()
    {
        final long seed = 0x5A7_9047L;
        final SplittableRandom random = new SplittableRandom(seed);
        final int first = 61000;
        final int count = 200;
        final FlowTable table = newTable(4 * count);
        final SnatPortAllocator allocator = new SnatPortAllocator(table, first, first + count - 1);
        final int[] targets = {TARGET_A, TARGET_B, TARGET_B + 1};
        final Map<Integer, Set<Integer>> inUse = new HashMap<>();
        final List<int[]> open = new ArrayList<>(); // {recordIndex, target, port}
        int cursor = 0;
        for (int step = 0; step < 50_000; step++)
        {
            final String context = "seed " + seed + " step " + step;
            if (random.nextInt(100) < 55 && table.size() < table.capacity())
            {
                final int target = targets[random.nextInt(targets.length)];
                final Set<Integer> used = inUse.computeIfAbsent(target, t -> new HashSet<>());
                final int port = allocator.allocate(SNAT_IP, target, TARGET_PORT);
                int expected = NO_PORT;
                final int tries = Math.min(SnatPortAllocator.MAX_TRIES, count);
                for (int i = 0; i < tries; i++)
                {
                    final int candidate = first + (cursor + i) % count;
                    if (!used.contains(candidate))
                    {
                        expected = candidate;
                        break;
                    }
                }
                assertEquals(expected, port, context);
                cursor = NO_PORT == port ? (cursor + tries) % count : (port - first + 1) % count;
                if (NO_PORT != port)
                {
                    used.add(port);
                    open.add(new int[]{connect(table, target, TARGET_PORT, port), target, port});
                }
            }
            else if (!open.isEmpty())
            {
                final int[] connection = open.remove(random.nextInt(open.size()));
                table.remove(connection[0]);
                inUse.get(connection[1]).remove(connection[2]);
            }
        }
    }
}
