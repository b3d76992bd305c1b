package io.tandem.dataplane.flow;

import io.tandem.dataplane.flow.TestConnection.TestKey;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.flow.FlowTable.DIR_FROM_CLIENT;
import static io.tandem.dataplane.flow.FlowTable.DIR_FROM_TARGET;
import static io.tandem.dataplane.flow.FlowTable.DUPLICATE;
import static io.tandem.dataplane.flow.FlowTable.NULL_INDEX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Direct behaviours of {@link FlowTable}: both directions of a connection, duplicates, removal, reuse of records,
 * capacity bounds and sizing, a full p1500-sized table, and probe runs that wrap around the end of the index.
 */
class FlowTableTest
{
    private static final long SEED = 0x0DDB_A11L;
    private static final long MIB = 1024L * 1024L;
    private static final int P1500_CAPACITY = 1_500_000;

    private static final TestConnection WEB = new TestConnection(
        0x0A00_0001, 40000, 0xC633_6401, 443, 0xAC10_0005, 8443, 0xAC10_00FE, 20001);
    private static final TestConnection MAIL = new TestConnection(
        0x0A00_0002, 40001, 0xC633_6401, 25, 0xAC10_0006, 2525, 0xAC10_00FE, 20002);

    private final List<FlowTable> tables = new ArrayList<>();
    private final FlowRecord record = new FlowRecord();

    @AfterEach
    void closeTables()
    {
        tables.forEach(FlowTable::close);
    }

    private FlowTable newTable(final int capacity, final long seed)
    {
        final FlowTable table = new FlowTable(capacity, seed);
        tables.add(table);
        return table;
    }

    @Test
    void shouldFindBothDirectionsWithTheirDirectionBits()
    {
        final FlowTable table = newTable(16, SEED);
        final int web = WEB.insertInto(table);
        final int mail = MAIL.insertInto(table);

        assertTrue(web >= 0 && mail >= 0 && web != mail);
        assertEquals(2, table.size());
        assertEquals(web << 1 | DIR_FROM_CLIENT, table.lookup(0x0A00_0001, 0xC633_6401, 40000, 443));
        assertEquals(web << 1 | DIR_FROM_TARGET, table.lookup(0xAC10_0005, 0xAC10_00FE, 8443, 20001));
        assertEquals(mail << 1 | DIR_FROM_CLIENT, MAIL.forwardKey().lookupIn(table));
        assertEquals(mail << 1 | DIR_FROM_TARGET, MAIL.reverseKey().lookupIn(table));
        // the packets of the other direction carry the keys swapped; they are not what the table is keyed on
        assertEquals(NULL_INDEX, WEB.forwardKey().swapped().lookupIn(table));
        assertEquals(NULL_INDEX, WEB.reverseKey().swapped().lookupIn(table));
    }

    @Test
    void shouldReadTheTupleBackThroughFlowRecord()
    {
        final FlowTable table = newTable(4, SEED);
        final int recordIndex = WEB.insertInto(table);

        record.wrap(table, recordIndex);
        assertEquals(recordIndex, record.index());
        assertEquals(0x0A00_0001, record.clientIp());
        assertEquals(40000, record.clientPort());
        assertEquals(0xC633_6401, record.vip());
        assertEquals(443, record.vipPort());
        assertEquals(0xAC10_0005, record.targetIp());
        assertEquals(8443, record.targetPort());
        assertEquals(0xAC10_00FE, record.snatIp());
        assertEquals(20001, record.snatPort());
        assertEquals(FlowRecord.FLAG_IN_USE, record.flags());
        assertTrue(table.isInUse(recordIndex));
    }

    @Test
    void shouldKeepAddressesWithTheHighBitAndPortsAbove32767Intact()
    {
        final FlowTable table = newTable(4, SEED);
        final TestConnection extreme = new TestConnection(-1, 65535, Integer.MIN_VALUE, 32768, 0, 0, -2, 65534);
        final int recordIndex = extreme.insertInto(table);

        assertTrue(extreme.matches(record.wrap(table, recordIndex)));
        assertEquals(recordIndex << 1 | DIR_FROM_CLIENT, extreme.forwardKey().lookupIn(table));
        assertEquals(recordIndex << 1 | DIR_FROM_TARGET, extreme.reverseKey().lookupIn(table));
        table.remove(recordIndex);
        assertEquals(0, table.size());
        assertEquals(NULL_INDEX, extreme.forwardKey().lookupIn(table));
        assertEquals(NULL_INDEX, extreme.reverseKey().lookupIn(table));
    }

    @Test
    void shouldNotConfuseKeysThatDifferInOneFieldOrInOrder()
    {
        final FlowTable table = newTable(64, SEED);
        final int recordIndex = WEB.insertInto(table);
        final TestKey forward = WEB.forwardKey();

        assertEquals(NULL_INDEX, new TestKey(forward.srcIp() + 1, forward.dstIp(), forward.srcPort(),
            forward.dstPort()).lookupIn(table));
        assertEquals(NULL_INDEX, new TestKey(forward.srcIp(), forward.dstIp() ^ 0x8000_0000, forward.srcPort(),
            forward.dstPort()).lookupIn(table));
        assertEquals(NULL_INDEX, new TestKey(forward.srcIp(), forward.dstIp(), forward.srcPort() + 1,
            forward.dstPort()).lookupIn(table));
        assertEquals(NULL_INDEX, new TestKey(forward.srcIp(), forward.dstIp(), forward.srcPort(),
            forward.dstPort() - 1).lookupIn(table));
        // ports exchanged, addresses exchanged
        assertEquals(NULL_INDEX, new TestKey(forward.srcIp(), forward.dstIp(), forward.dstPort(),
            forward.srcPort()).lookupIn(table));
        assertEquals(NULL_INDEX, new TestKey(forward.dstIp(), forward.srcIp(), forward.srcPort(),
            forward.dstPort()).lookupIn(table));

        // and a connection whose keys are exactly those neighbours can be inserted beside it
        final TestConnection neighbour = WEB.withField(1, WEB.clientPort() + 1).withField(7, WEB.snatPort() + 1);
        final int other = neighbour.insertInto(table);
        assertTrue(other >= 0);
        assertEquals(recordIndex << 1 | DIR_FROM_CLIENT, forward.lookupIn(table));
        assertEquals(other << 1 | DIR_FROM_CLIENT, neighbour.forwardKey().lookupIn(table));
        assertEquals(other << 1 | DIR_FROM_TARGET, neighbour.reverseKey().lookupIn(table));
    }

    @Test
    void shouldRefuseDuplicateForwardKeyAndLeaveTableUnchanged()
    {
        final FlowTable table = newTable(16, SEED);
        final int web = WEB.insertInto(table);
        final int mail = MAIL.insertInto(table);
        final TestConnection sameClientSide = MAIL.withForwardKey(WEB.forwardKey())
            .withReverseKey(new TestKey(0x0101_0101, 0x0202_0202, 1, 2));

        assertEquals(DUPLICATE, sameClientSide.insertInto(table));
        assertUnchanged(table, web, mail);
        assertEquals(NULL_INDEX, sameClientSide.reverseKey().lookupIn(table));
    }

    @Test
    void shouldRefuseDuplicateReverseKeyAndLeaveTableUnchanged()
    {
        final FlowTable table = newTable(16, SEED);
        final int web = WEB.insertInto(table);
        final int mail = MAIL.insertInto(table);
        final TestConnection sameTargetSide = new TestConnection(0x0B00_0001, 50000, 0xC633_6402, 80, 0, 0, 0, 0)
            .withReverseKey(WEB.reverseKey());

        assertEquals(DUPLICATE, sameTargetSide.insertInto(table));
        assertUnchanged(table, web, mail);
        // the forward key was placed and then taken out again: it must not linger
        assertEquals(NULL_INDEX, sameTargetSide.forwardKey().lookupIn(table));
    }

    @Test
    void shouldRefuseKeysThatMatchTheOtherDirectionOfALiveConnection()
    {
        final FlowTable table = newTable(16, SEED);
        final int web = WEB.insertInto(table);
        final int mail = MAIL.insertInto(table);
        final TestKey fresh = new TestKey(0x0303_0303, 0x0404_0404, 3, 4);

        // one connection's reverse key used as another's forward key, and the other way round
        assertEquals(DUPLICATE, MAIL.withForwardKey(WEB.reverseKey()).withReverseKey(fresh).insertInto(table));
        assertUnchanged(table, web, mail);
        assertEquals(DUPLICATE, MAIL.withForwardKey(fresh).withReverseKey(WEB.forwardKey()).insertInto(table));
        assertUnchanged(table, web, mail);
        assertEquals(NULL_INDEX, fresh.lookupIn(table));
        assertEquals(DUPLICATE, WEB.insertInto(table));
        assertUnchanged(table, web, mail);
    }

    @Test
    void shouldRefuseConnectionWhoseForwardAndReverseKeysAreIdentical()
    {
        final FlowTable table = newTable(4, SEED);
        final TestKey key = WEB.forwardKey();
        final TestConnection loop = WEB.withReverseKey(key);

        assertEquals(DUPLICATE, loop.insertInto(table));
        assertEquals(0, table.size());
        assertEquals(NULL_INDEX, key.lookupIn(table));
        // the table still works afterwards
        final int recordIndex = WEB.insertInto(table);
        assertEquals(recordIndex << 1 | DIR_FROM_CLIENT, key.lookupIn(table));
    }

    @Test
    void shouldThrowWhenRemovingAFreeRecord()
    {
        final FlowTable table = newTable(4, SEED);
        assertThrows(IllegalStateException.class, () -> table.remove(0));
        assertThrows(IllegalStateException.class, () -> table.remove(3));

        final int recordIndex = WEB.insertInto(table);
        table.remove(recordIndex);
        assertThrows(IllegalStateException.class, () -> table.remove(recordIndex));
        assertEquals(0, table.size());

        // a double remove did not corrupt the free list: all four records can still be used, once each
        final Set<Integer> used = new HashSet<>();
        for (int i = 0; i < 4; i++)
        {
            final int index = WEB.withField(1, i).withField(7, i).insertInto(table);
            assertTrue(index >= 0 && used.add(index), "record " + index);
        }
        assertEquals(NULL_INDEX, MAIL.insertInto(table));
    }

    @Test
    void shouldZeroEveryFieldButTheTupleWhenARecordIsReused()
    {
        final FlowTable table = newTable(1, SEED);
        final int first = WEB.insertInto(table);
        record.wrap(table, first);
        record.state(7);
        record.flags(0xFF);
        record.clientSeqNext(1);
        record.targetSeqNext(2);
        record.clientAck(3);
        record.targetAck(4);
        record.clientWindow(5);
        record.targetWindow(6);
        record.expiresNs(7);
        record.payloadBytes(8);
        record.nextHops(9, 10, 11);
        record.createdNs(12);
        record.clientFinSeq(13);
        record.targetFinSeq(14);
        record.idleTimeoutNs(15);
        record.packets(16);
        final RawMemory records = table.records();
        final int base = table.recordOffset(first);
        records.putShort(base + 26, (short)-1);
        records.putInt(base + 124, -1);
        records.putInt(base + FlowRecord.TIMER_PREV_OFFSET, 5);
        records.putInt(base + FlowRecord.TIMER_SLOT_OFFSET, 5);
        table.remove(first);

        // capacity 1: the only record is the one just freed
        final int second = MAIL.insertInto(table);
        assertEquals(first, second);
        record.wrap(table, second);
        assertTrue(MAIL.matches(record));
        assertEquals(FlowRecord.FLAG_IN_USE, record.flags());
        assertEquals(NULL_INDEX, records.getInt(base + FlowRecord.TIMER_PREV_OFFSET), "timerPrev");
        assertEquals(NULL_INDEX, records.getInt(base + FlowRecord.TIMER_NEXT_OFFSET), "timerNext");
        assertEquals(NULL_INDEX, records.getInt(base + FlowRecord.TIMER_SLOT_OFFSET), "timerSlot");
        for (int offset = FlowRecord.STATE_OFFSET; offset < FlowRecord.LENGTH; offset++)
        {
            final boolean timerLink = offset >= FlowRecord.TIMER_PREV_OFFSET && offset < FlowRecord.CREATED_NS_OFFSET;
            if (offset != FlowRecord.FLAGS_OFFSET && !timerLink)
            {
                assertEquals(0, records.getByte(base + offset), "byte at offset " + offset);
            }
        }
    }

    @Test
    void shouldReturnNullIndexWhenFullAndAcceptAgainAfterARemove()
    {
        final FlowTable table = newTable(3, SEED);
        final int[] indices = new int[3];
        for (int i = 0; i < 3; i++)
        {
            indices[i] = WEB.withField(1, 1000 + i).withField(7, 1000 + i).insertInto(table);
            assertTrue(indices[i] >= 0);
        }
        assertEquals(3, table.size());
        assertEquals(NULL_INDEX, MAIL.insertInto(table));
        assertEquals(3, table.size());
        assertEquals(NULL_INDEX, MAIL.forwardKey().lookupIn(table));

        table.remove(indices[1]);
        final int mail = MAIL.insertInto(table);
        assertEquals(indices[1], mail);
        assertEquals(mail << 1 | DIR_FROM_TARGET, MAIL.reverseKey().lookupIn(table));
        assertEquals(3, table.size());
    }

    @ParameterizedTest
    @ValueSource(ints = {0, -1, 16_000_001, Integer.MAX_VALUE, Integer.MIN_VALUE})
    void shouldRejectCapacityOutOfBounds(final int capacity)
    {
        assertThrows(IllegalArgumentException.class, () -> new FlowTable(capacity, SEED));
    }

    @Test
    void shouldAcceptTheSmallestCapacity()
    {
        final FlowTable table = newTable(1, SEED);
        assertEquals(1, table.capacity());
        final int recordIndex = WEB.insertInto(table);
        assertEquals(0, recordIndex);
        assertEquals(NULL_INDEX, MAIL.insertInto(table));
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3, 5, 6, 7, 12, 64, 1000, 3072, 3073, 100_000, 1_500_000, 8_388_608, 16_000_000})
    void shouldSizeTheIndexAsAPowerOfTwoWithLoadAtMostThreeQuarters(final int capacity)
    {
        final int slots = FlowTable.slotCount(capacity);
        assertEquals(1, Integer.bitCount(slots), "power of two: " + slots);
        assertTrue(slots >= 16);
        assertTrue(2L * capacity * 4 <= 3L * slots, "load factor above 0.75 at capacity " + capacity);
        // and not twice bigger than needed
        assertTrue(slots == 16 || 2L * capacity * 4 > 3L * (slots / 2), "oversized index at capacity " + capacity);
        assertEquals((long)slots * FlowTable.SLOT_LENGTH + (long)capacity * FlowRecord.LENGTH,
            FlowTable.footprintBytes(capacity));
    }

    @Test
    void shouldFitTheP1500PlanIn256MiB()
    {
        final long bytes = FlowTable.footprintBytes(P1500_CAPACITY);
        System.out.printf("FlowTable.footprintBytes(%d) = %d bytes = %.1f MiB (index %d slots = %d MiB)%n",
            P1500_CAPACITY, bytes, bytes / (double)MIB, FlowTable.slotCount(P1500_CAPACITY),
            (long)FlowTable.slotCount(P1500_CAPACITY) * FlowTable.SLOT_LENGTH / MIB);
        assertTrue(bytes <= 256 * MIB, "p1500 flow table needs " + bytes + " bytes");
    }

    @Test
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldAllocateFillAndCloseAP1500Table()
    {
        final long startNs = System.nanoTime();
        final FlowTable table = new FlowTable(P1500_CAPACITY, SEED);
        final long allocatedNs = System.nanoTime();
        try
        {
            for (int i = 0; i < P1500_CAPACITY; i++)
            {
                final int recordIndex = p1500Connection(i).insertInto(table);
                if (recordIndex < 0)
                {
                    fail("insert #" + i + " returned " + recordIndex);
                }
            }
            final long filledNs = System.nanoTime();
            assertEquals(P1500_CAPACITY, table.size());
            assertEquals(NULL_INDEX, p1500Connection(P1500_CAPACITY).insertInto(table));

            final SplittableRandom random = new SplittableRandom(SEED);
            for (int n = 0; n < 100_000; n++)
            {
                final TestConnection connection = p1500Connection(random.nextInt(P1500_CAPACITY));
                final int forward = connection.forwardKey().lookupIn(table);
                assertEquals(DIR_FROM_CLIENT, forward & 1, connection.toString());
                assertEquals(forward >> 1 << 1 | DIR_FROM_TARGET, connection.reverseKey().lookupIn(table));
                assertTrue(connection.matches(record.wrap(table, forward >> 1)));
                // absent: a client port that no connection uses
                assertEquals(NULL_INDEX, connection.withField(1, 1).forwardKey().lookupIn(table));
            }
            final long checkedNs = System.nanoTime();
            System.out.printf("p1500 FlowTable: allocate %d ms, fill %d connections %d ms, 200k lookups %d ms%n",
                TimeUnit.NANOSECONDS.toMillis(allocatedNs - startNs), P1500_CAPACITY,
                TimeUnit.NANOSECONDS.toMillis(filledNs - allocatedNs),
                TimeUnit.NANOSECONDS.toMillis(checkedNs - filledNs));
        }
        finally
        {
            table.close();
        }
    }

    /** @return connection {@code i} of the p1500 fill; distinct keys for every i in 0 .. 16M. */
    private static TestConnection p1500Connection(final int i)
    {
        return new TestConnection(
            0x0A00_0000 + i, 1024 + (i & 0x3FFF), 0xC633_6401, 443,
            0xAC10_0000 + (i >>> 16), 8443, 0xAC10_FFFE, i & 0xFFFF);
    }

    /**
     * Connections whose four keys all have their home slot at the end or the start of a 16-slot index, found with
     * the table's own hash, so that every probe run wraps around and backward-shift deletion has to move entries
     * across the wrap. All insertion and removal orders are tried, then random churn.
     */
    @ParameterizedTest
    @ValueSource(longs = {1L, 2L, 0xDEAD_BEEFL, -7L})
    void shouldKeepEveryKeyFindableInAProbeRunThatWrapsAroundTheIndex(final long hashSeed) throws Exception
    {
        final int capacity = 3;
        final FlowTable table = newTable(capacity, hashSeed);
        final int slotMask = FlowTable.slotCount(capacity) - 1;
        final HashProbe probe = new HashProbe(table);
        final SplittableRandom random = new SplittableRandom(hashSeed);

        // homes in the last two slots and the first: entries homed at 0 end up behind entries homed at 14 and 15
        final List<TestConnection> pool = new ArrayList<>();
        final Set<TestKey> seen = new HashSet<>();
        while (pool.size() < 8)
        {
            final TestConnection candidate = new TestConnection(random.nextInt(), random.nextInt(65536),
                random.nextInt(), random.nextInt(65536), random.nextInt(), random.nextInt(65536), random.nextInt(),
                random.nextInt(65536));
            final int forwardHome = probe.home(candidate.forwardKey());
            final int reverseHome = probe.home(candidate.reverseKey());
            if (nearTheWrap(forwardHome, slotMask) && nearTheWrap(reverseHome, slotMask) &&
                seen.add(candidate.forwardKey()) && seen.add(candidate.reverseKey()))
            {
                pool.add(candidate);
            }
        }

        final int[][] orders = {{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}};
        for (final int[] insertOrder : orders)
        {
            for (final int[] removeOrder : orders)
            {
                final int[] recordOf = new int[3];
                for (final int c : insertOrder)
                {
                    recordOf[c] = pool.get(c).insertInto(table);
                    assertTrue(recordOf[c] >= 0);
                }
                for (int removed = 0; removed < 3; removed++)
                {
                    table.remove(recordOf[removeOrder[removed]]);
                    for (int k = 0; k < 3; k++)
                    {
                        final boolean present = indexOf(removeOrder, k) > removed;
                        final TestConnection connection = pool.get(k);
                        final String context = "seed " + hashSeed + " insert " + List.of(insertOrder[0],
                            insertOrder[1], insertOrder[2]) + " remove " + List.of(removeOrder[0], removeOrder[1],
                            removeOrder[2]) + " after " + (removed + 1) + " removals, connection " + k;
                        assertEquals(present ? recordOf[k] << 1 | DIR_FROM_CLIENT : NULL_INDEX,
                            connection.forwardKey().lookupIn(table), context);
                        assertEquals(present ? recordOf[k] << 1 | DIR_FROM_TARGET : NULL_INDEX,
                            connection.reverseKey().lookupIn(table), context);
                    }
                }
                assertEquals(0, table.size());
            }
        }

        // random churn over the pool: at most three of eight live at a time, all homed near the wrap
        final int[] recordOf = new int[pool.size()];
        java.util.Arrays.fill(recordOf, NULL_INDEX);
        for (int step = 0; step < 20_000; step++)
        {
            final int c = random.nextInt(pool.size());
            final TestConnection connection = pool.get(c);
            if (NULL_INDEX == recordOf[c])
            {
                final int result = connection.insertInto(table);
                assertTrue(result >= 0 || result == NULL_INDEX && table.size() == capacity,
                    "seed " + hashSeed + " step " + step + " insert returned " + result);
                recordOf[c] = result;
            }
            else
            {
                table.remove(recordOf[c]);
                recordOf[c] = NULL_INDEX;
            }
            for (int k = 0; k < pool.size(); k++)
            {
                final int expected = recordOf[k];
                assertEquals(NULL_INDEX == expected ? NULL_INDEX : expected << 1 | DIR_FROM_CLIENT,
                    pool.get(k).forwardKey().lookupIn(table), "seed " + hashSeed + " step " + step);
                assertEquals(NULL_INDEX == expected ? NULL_INDEX : expected << 1 | DIR_FROM_TARGET,
                    pool.get(k).reverseKey().lookupIn(table), "seed " + hashSeed + " step " + step);
            }
        }
    }

    private static boolean nearTheWrap(final int home, final int slotMask)
    {
        return home == slotMask - 1 || home == slotMask || home == 0;
    }

    private static int indexOf(final int[] values, final int value)
    {
        for (int i = 0; i < values.length; i++)
        {
            if (values[i] == value)
            {
                return i;
            }
        }
        throw new IllegalArgumentException(String.valueOf(value));
    }

    private static void assertUnchanged(final FlowTable table, final int web, final int mail)
    {
        assertEquals(2, table.size());
        assertEquals(web << 1 | DIR_FROM_CLIENT, WEB.forwardKey().lookupIn(table));
        assertEquals(web << 1 | DIR_FROM_TARGET, WEB.reverseKey().lookupIn(table));
        assertEquals(mail << 1 | DIR_FROM_CLIENT, MAIL.forwardKey().lookupIn(table));
        assertEquals(mail << 1 | DIR_FROM_TARGET, MAIL.reverseKey().lookupIn(table));
        assertNotEquals(web, mail);
        assertTrue(table.isInUse(web));
        assertTrue(table.isInUse(mail));
        assertTrue(WEB.matches(new FlowRecord().wrap(table, web)));
        assertTrue(MAIL.matches(new FlowRecord().wrap(table, mail)));
    }

    /** The table's private home-slot function, reached by reflection so tests can build colliding keys. */
    private static final class HashProbe
    {
        private final FlowTable table;
        private final Method addresses;
        private final Method ports;
        private final Method home;

        HashProbe(final FlowTable table) throws ReflectiveOperationException
        {
            this.table = table;
            this.addresses = FlowTable.class.getDeclaredMethod("addresses", int.class, int.class);
            this.ports = FlowTable.class.getDeclaredMethod("ports", int.class, int.class);
            this.home = FlowTable.class.getDeclaredMethod("home", long.class, int.class);
            addresses.setAccessible(true);
            ports.setAccessible(true);
            home.setAccessible(true);
        }

        int home(final TestKey key) throws ReflectiveOperationException
        {
            final long a = (long)addresses.invoke(null, key.srcIp(), key.dstIp());
            final int p = (int)ports.invoke(null, key.srcPort(), key.dstPort());
            return (int)home.invoke(table, a, p);
        }
    }
}
