package io.tandem.dataplane.flow;

import io.tandem.dataplane.flow.TestConnection.TestKey;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static io.tandem.dataplane.flow.FlowTable.DIR_FROM_CLIENT;
import static io.tandem.dataplane.flow.FlowTable.DIR_FROM_TARGET;
import static io.tandem.dataplane.flow.FlowTable.DUPLICATE;
import static io.tandem.dataplane.flow.FlowTable.NULL_INDEX;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Model-based test of {@link FlowTable}: random sequences of inserts (fresh tuples, deliberate duplicates of either
 * key, tuples one field away from a live one, connections whose two keys are equal), lookups of present and absent
 * keys in both directions, removals of live and free records, fills past capacity and remove-alls are applied both
 * to a table and to a plain map from key to {@code recordIndex << 1 | direction}. Every result is compared with the
 * model's, and the whole state is compared periodically.
 * <p>
 * Small capacities give dense probe runs that wrap around the end of the index (capacity 3 has 16 slots for 6 keys),
 * so backward-shift deletion is exercised on clusters that straddle the wrap. The hash seed of each table comes
 * from the run's seed, so a failure reproduces from the seed in its message: besides fixed seeds, each capacity has
 * a run with a fresh seed, which {@code -Dtandem.test.seed=<seed>} replaces.
 */
class FlowTableModelTest
{
    /** System property that sets the seed of the runs that otherwise take a fresh one, to repeat a failure. */
    static final String SEED_PROPERTY = "tandem.test.seed";
    private static final long BASE_SEED = 0x5EED_F10E_7AB1EL;
    private static final int[] SMALL_CAPACITIES = {1, 2, 3, 7, 64, 1000};
    private static final int FIXED_SEEDS_PER_CAPACITY = 4;
    private static final int MEDIUM_CAPACITY = 100_000;
    private static final int MEDIUM_OPERATIONS = 1_500_000;
    private static final int GHOST_KEYS = 64;
    private static final int TRACE_LENGTH = 24;

    /** Addresses and ports drawn from these often, so that keys one field apart and chance duplicates are common. */
    private static final int[] ADDRESS_POOL = {0, 1, -1, Integer.MIN_VALUE, 0x0A00_0001, 0xC0A8_0001, 0x7FFF_FFFF};
    private static final int[] PORT_POOL = {0, 1, 80, 443, 32767, 32768, 65534, 65535};

    private enum Op
    {
        INSERT_FRESH(24),
        INSERT_DUPLICATE_FORWARD(4),
        INSERT_DUPLICATE_REVERSE(4),
        INSERT_ONE_FIELD_DIFFERS(10),
        INSERT_SWAPPED_KEY(3),
        INSERT_SAME_KEYS_BOTH_WAYS(1),
        LOOKUP_LIVE(18),
        LOOKUP_ONE_FIELD_DIFFERS(8),
        LOOKUP_SWAPPED(3),
        LOOKUP_RANDOM(3),
        LOOKUP_GHOST(5),
        REMOVE_LIVE(20),
        REMOVE_FREE(1),
        FILL(0),
        REMOVE_ALL(0);

        final int weight;

        Op(final int weight)
        {
            this.weight = weight;
        }
    }

    private static final Op[] WEIGHTED_OPS = Arrays.stream(Op.values())
        .flatMap(op -> Stream.generate(() -> op).limit(op.weight))
        .toArray(Op[]::new);

    static Stream<Arguments> runs()
    {
        final List<Arguments> runs = new ArrayList<>();
        final Long wantedSeed = Long.getLong(SEED_PROPERTY);
        final long freshSeed = System.nanoTime() * 0x9E37_79B9_7F4A_7C15L;
        for (final int capacity : SMALL_CAPACITIES)
        {
            final int operations = capacity <= 7 ? 30_000 : capacity <= 64 ? 40_000 : 100_000;
            for (int i = 0; i < FIXED_SEEDS_PER_CAPACITY; i++)
            {
                runs.add(Arguments.of(capacity, BASE_SEED + 1_000L * capacity + i, operations));
            }
            // one seed that differs on every run, to find what the fixed ones miss; it is in the test's name
            runs.add(Arguments.of(capacity, null != wantedSeed ? wantedSeed : freshSeed + capacity, operations));
        }
        runs.add(Arguments.of(MEDIUM_CAPACITY, BASE_SEED, MEDIUM_OPERATIONS));
        runs.add(Arguments.of(MEDIUM_CAPACITY, null != wantedSeed ? wantedSeed : freshSeed, MEDIUM_OPERATIONS));
        return runs.stream();
    }

    @ParameterizedTest(name = "capacity={0} seed={1} operations={2}")
    @MethodSource("runs")
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldMatchModel(final int capacity, final long seed, final int operations)
    {
        final Run run = new Run(capacity, seed);
        try
        {
            run.execute(operations);
        }
        catch (final Throwable t)
        {
            final String message = "FlowTable diverged from the model: capacity=" + capacity + " seed=" + seed +
                "L operations=" + operations + " failed at operation #" + run.opNumber + "\nlast operations:\n" +
                run.trace() + "rerun with -D" + SEED_PROPERTY + "=" + seed;
            System.err.println(message);
            throw new AssertionError(message, t);
        }
        finally
        {
            run.table.close();
        }
    }

    /** One random run: the table, the model, and the driver that applies the same operations to both. */
    private static final class Run
    {
        final int capacity;
        final SplittableRandom random;
        final FlowTable table;
        final FlowRecord record = new FlowRecord();

        /** Model: every live key to {@code recordIndex << 1 | direction}. */
        final Map<TestKey, Integer> keys = new HashMap<>();
        /** Model: every live record to its connection. */
        final Map<Integer, TestConnection> live = new HashMap<>();
        /** Live record indices for picking one at random; {@code position[i]} is i's place in it, or -1. */
        final int[] liveList;
        final int[] position;
        int liveCount;

        /** Keys removed recently: the likeliest to be wrongly found. */
        final ArrayDeque<TestKey> ghosts = new ArrayDeque<>();
        final ArrayDeque<Step> trace = new ArrayDeque<>();
        final int fullCheckInterval;
        final double bulkOpProbability;
        int opNumber;

        Run(final int capacity, final long seed)
        {
            this.capacity = capacity;
            this.random = new SplittableRandom(seed);
            this.table = new FlowTable(capacity, random.nextLong());
            this.liveList = new int[capacity];
            this.position = new int[capacity];
            Arrays.fill(position, -1);
            this.fullCheckInterval = capacity <= 64 ? 1 : capacity <= 1000 ? 100 : 250_000;
            // fills and remove-alls cost O(capacity): keep their total work near a few times the operation count
            this.bulkOpProbability = Math.min(0.01, 1.0 / capacity);
        }

        void execute(final int operations)
        {
            for (opNumber = 0; opNumber < operations; opNumber++)
            {
                final Op op;
                if (random.nextDouble() < bulkOpProbability)
                {
                    op = random.nextBoolean() ? Op.FILL : Op.REMOVE_ALL;
                }
                else
                {
                    op = WEIGHTED_OPS[random.nextInt(WEIGHTED_OPS.length)];
                }
                apply(op);
                assertEquals(liveCount, table.size(), "size");
                if (opNumber % fullCheckInterval == 0 || op == Op.FILL || op == Op.REMOVE_ALL)
                {
                    checkFullState();
                }
            }
            checkFullState();
            removeAll();
            checkFullState();
            assertEquals(0, table.size());
        }

        void apply(final Op op)
        {
            switch (op)
            {
                case INSERT_FRESH -> insert(op, randomConnection());
                case INSERT_DUPLICATE_FORWARD -> insert(op, randomConnection().withForwardKey(liveOrRandomKey()));
                case INSERT_DUPLICATE_REVERSE -> insert(op, randomConnection().withReverseKey(liveOrRandomKey()));
                case INSERT_ONE_FIELD_DIFFERS -> insert(op, oneFieldAway(liveOrRandomConnection()));
                case INSERT_SWAPPED_KEY ->
                {
                    final TestConnection base = randomConnection();
                    final TestKey swapped = liveOrRandomKey().swapped();
                    insert(op, random.nextBoolean() ? base.withForwardKey(swapped) : base.withReverseKey(swapped));
                }
                case INSERT_SAME_KEYS_BOTH_WAYS ->
                {
                    final TestKey key = random.nextBoolean() ? liveOrRandomKey() : randomKey();
                    insert(op, randomConnection().withForwardKey(key).withReverseKey(key));
                }
                case LOOKUP_LIVE -> lookup(op, liveOrRandomKey());
                case LOOKUP_ONE_FIELD_DIFFERS -> lookup(op, oneFieldAway(liveOrRandomKey()));
                case LOOKUP_SWAPPED -> lookup(op, liveOrRandomKey().swapped());
                case LOOKUP_RANDOM -> lookup(op, randomKey());
                case LOOKUP_GHOST -> lookup(op, ghosts.isEmpty() ? randomKey() : randomGhost());
                case REMOVE_LIVE ->
                {
                    if (liveCount > 0)
                    {
                        remove(op, liveList[random.nextInt(liveCount)]);
                    }
                }
                case REMOVE_FREE -> removeFree();
                case FILL -> fill();
                case REMOVE_ALL -> removeAll();
            }
        }

        void insert(final Op op, final TestConnection connection)
        {
            final TestKey forward = connection.forwardKey();
            final TestKey reverse = connection.reverseKey();
            final int expected;
            if (liveCount == capacity)
            {
                expected = NULL_INDEX;
            }
            else if (forward.equals(reverse) || keys.containsKey(forward) || keys.containsKey(reverse))
            {
                expected = DUPLICATE;
            }
            else
            {
                expected = Integer.MAX_VALUE; // a free record index
            }

            final int result = connection.insertInto(table);
            note(op, connection, result);
            if (Integer.MAX_VALUE != expected)
            {
                assertEquals(expected, result, "insert result");
                // a refused insert leaves both keys as they were
                assertEquals(keys.getOrDefault(forward, NULL_INDEX).intValue(), forward.lookupIn(table), "forward");
                assertEquals(keys.getOrDefault(reverse, NULL_INDEX).intValue(), reverse.lookupIn(table), "reverse");
                return;
            }
            assertTrue(result >= 0 && result < capacity, "insert returned " + result);
            assertEquals(-1, position[result], "insert returned a live record " + result);
            assertTrue(table.isInUse(result), "inserted record not in use");
            record.wrap(table, result);
            assertTrue(connection.matches(record), "tuple read back from the record");
            assertEquals(FlowRecord.FLAG_IN_USE, record.flags(), "flags of a new record");

            keys.put(forward, result << 1 | DIR_FROM_CLIENT);
            keys.put(reverse, result << 1 | DIR_FROM_TARGET);
            live.put(result, connection);
            position[result] = liveCount;
            liveList[liveCount++] = result;
            assertEquals(result << 1 | DIR_FROM_CLIENT, forward.lookupIn(table), "forward key after insert");
            assertEquals(result << 1 | DIR_FROM_TARGET, reverse.lookupIn(table), "reverse key after insert");
        }

        void lookup(final Op op, final TestKey key)
        {
            final int result = key.lookupIn(table);
            note(op, key, result);
            assertEquals(keys.getOrDefault(key, NULL_INDEX).intValue(), result, "lookup");
        }

        void remove(final Op op, final int recordIndex)
        {
            final TestConnection connection = live.remove(recordIndex);
            note(op, connection, recordIndex);
            table.remove(recordIndex);
            keys.remove(connection.forwardKey());
            keys.remove(connection.reverseKey());
            final int at = position[recordIndex];
            final int last = liveList[--liveCount];
            liveList[at] = last;
            position[last] = at;
            position[recordIndex] = -1;
            addGhost(connection.forwardKey());
            addGhost(connection.reverseKey());

            assertFalse(table.isInUse(recordIndex), "removed record still in use");
            assertEquals(NULL_INDEX, connection.forwardKey().lookupIn(table), "forward key after remove");
            assertEquals(NULL_INDEX, connection.reverseKey().lookupIn(table), "reverse key after remove");
        }

        void removeFree()
        {
            if (liveCount == capacity)
            {
                return;
            }
            int recordIndex = random.nextInt(capacity);
            while (position[recordIndex] != -1)
            {
                recordIndex = recordIndex + 1 == capacity ? 0 : recordIndex + 1;
            }
            final int free = recordIndex;
            note(Op.REMOVE_FREE, null, free);
            assertThrows(IllegalStateException.class, () -> table.remove(free));
        }

        void fill()
        {
            note(Op.FILL, null, liveCount);
            int attempts = 0;
            while (liveCount < capacity)
            {
                insert(Op.INSERT_FRESH, randomConnection());
                if (++attempts > 100 * capacity + 1000)
                {
                    fail("could not fill the table");
                }
            }
            insert(Op.INSERT_FRESH, randomConnection());
            insert(Op.INSERT_ONE_FIELD_DIFFERS, oneFieldAway(liveOrRandomConnection()));
        }

        void removeAll()
        {
            note(Op.REMOVE_ALL, null, liveCount);
            while (liveCount > 0)
            {
                remove(Op.REMOVE_ALL, liveList[random.nextInt(liveCount)]);
            }
        }

        void checkFullState()
        {
            assertEquals(liveCount, table.size(), "size");
            assertEquals(2 * liveCount, keys.size(), "model keys");
            for (final Map.Entry<TestKey, Integer> entry : keys.entrySet())
            {
                assertEquals(entry.getValue().intValue(), entry.getKey().lookupIn(table), "live key " + entry.getKey());
            }
            for (final TestKey ghost : ghosts)
            {
                assertEquals(keys.getOrDefault(ghost, NULL_INDEX).intValue(), ghost.lookupIn(table), "removed key");
            }
            final int step = capacity <= 1000 ? 1 : 97;
            for (int i = 0; i < capacity; i += step)
            {
                assertEquals(position[i] != -1, table.isInUse(i), "in use: record " + i);
            }
            for (final Map.Entry<Integer, TestConnection> entry : live.entrySet())
            {
                assertTrue(entry.getValue().matches(record.wrap(table, entry.getKey())), "tuple of a live record");
            }
        }

        TestConnection randomConnection()
        {
            return new TestConnection(
                address(), port(), address(), port(), address(), port(), address(), port());
        }

        TestKey randomKey()
        {
            return new TestKey(address(), address(), port(), port());
        }

        TestConnection liveOrRandomConnection()
        {
            return liveCount == 0 ? randomConnection() : live.get(liveList[random.nextInt(liveCount)]);
        }

        /** @return a key of a live connection in either direction, or a random key when there is none. */
        TestKey liveOrRandomKey()
        {
            return liveCount == 0 ? randomKey() :
                live.get(liveList[random.nextInt(liveCount)]).key(random.nextInt(2));
        }

        TestConnection oneFieldAway(final TestConnection connection)
        {
            final int field = random.nextInt(TestConnection.FIELD_COUNT);
            final int old = connection.field(field);
            int value;
            do
            {
                value = nearby(old, TestConnection.isPort(field));
            }
            while (value == old);
            return connection.withField(field, value);
        }

        TestKey oneFieldAway(final TestKey key)
        {
            final int field = random.nextInt(4);
            final boolean isPort = field >= 2;
            final int old = switch (field)
            {
                case 0 -> key.srcIp();
                case 1 -> key.dstIp();
                case 2 -> key.srcPort();
                default -> key.dstPort();
            };
            int value;
            do
            {
                value = nearby(old, isPort);
            }
            while (value == old);
            return switch (field)
            {
                case 0 -> new TestKey(value, key.dstIp(), key.srcPort(), key.dstPort());
                case 1 -> new TestKey(key.srcIp(), value, key.srcPort(), key.dstPort());
                case 2 -> new TestKey(key.srcIp(), key.dstIp(), value, key.dstPort());
                default -> new TestKey(key.srcIp(), key.dstIp(), key.srcPort(), value);
            };
        }

        /** @return a value one bit, one unit or a pool entry away from {@code old}. */
        int nearby(final int old, final boolean isPort)
        {
            return switch (random.nextInt(3))
            {
                case 0 -> isPort ? old ^ (1 << random.nextInt(16)) : old ^ (1 << random.nextInt(32));
                case 1 -> (old + (random.nextBoolean() ? 1 : -1)) & (isPort ? 0xFFFF : -1);
                default -> isPort ? port() : address();
            };
        }

        int address()
        {
            return random.nextInt(4) == 0 ? ADDRESS_POOL[random.nextInt(ADDRESS_POOL.length)] : random.nextInt();
        }

        int port()
        {
            return random.nextInt(4) == 0 ? PORT_POOL[random.nextInt(PORT_POOL.length)] : random.nextInt(65536);
        }

        TestKey randomGhost()
        {
            int skip = random.nextInt(ghosts.size());
            for (final TestKey ghost : ghosts)
            {
                if (skip-- == 0)
                {
                    return ghost;
                }
            }
            throw new IllegalStateException();
        }

        void addGhost(final TestKey key)
        {
            if (ghosts.size() == GHOST_KEYS)
            {
                ghosts.removeFirst();
            }
            ghosts.addLast(key);
        }

        void note(final Op op, final Object argument, final int result)
        {
            if (trace.size() == TRACE_LENGTH)
            {
                trace.removeFirst();
            }
            trace.addLast(new Step(opNumber, op, argument, result, table.size()));
        }

        String trace()
        {
            final StringBuilder text = new StringBuilder();
            for (final Step step : trace)
            {
                text.append(step.opNumber).append(' ').append(step.op).append(' ').append(step.argument)
                    .append(" -> ").append(step.result).append(" (size ").append(step.size).append(")\n");
            }
            return text.toString();
        }
    }

    /** One traced operation; formatted only when a run fails. */
    private record Step(int opNumber, Op op, Object argument, int result, int size)
    {
    }
}
