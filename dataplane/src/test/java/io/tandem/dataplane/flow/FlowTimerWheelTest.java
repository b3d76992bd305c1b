package io.tandem.dataplane.flow;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Tests of {@link FlowTimerWheel} with an injected time value (nothing sleeps): exact deadlines, deadlines pushed
 * later by a plain store, deadlines more than a turn ahead, cancel and earlier rescheduling, handlers that remove
 * records, the per-poll limit, and a random run checked against a model of which records must have fired.
 */
class FlowTimerWheelTest
{
    private static final long MS = 1_000_000L;
    private static final long TICK_NS = 10 * MS;
    /** Not a multiple of the tick, so that tick boundaries and deadlines do not line up by accident. */
    private static final long START_NS = 1_000_000_000L + 3 * MS + 17;
    private static final int NO_LIMIT = Integer.MAX_VALUE;

    private final List<FlowTable> tables = new ArrayList<>();
    private final Expiries expiries = new Expiries();
    private FlowTable table;
    private int connections;

    @AfterEach
    void closeTables()
    {
        tables.forEach(FlowTable::close);
    }

    private FlowTimerWheel newWheel(final int capacity, final int slots, final long startNs)
    {
        table = new FlowTable(capacity, 42);
        tables.add(table);
        return new FlowTimerWheel(table, TICK_NS, slots, startNs);
    }

    /** @return a new record in the table whose {@code expiresNs} is set; not scheduled. */
    private int newRecord(final long expiresNs)
    {
        final int n = connections++;
        final int recordIndex = table.insert(0x0A00_0000 + n, 1024 + (n & 0x7FFF), 0xC633_6401, 443,
            0xAC10_0000 + n, 8080, 0xAC10_FFFE, 1 + (n & 0x7FFF));
        assertTrue(recordIndex >= 0, "insert returned " + recordIndex);
        expiresNs(recordIndex, expiresNs);
        return recordIndex;
    }

    private int scheduledRecord(final FlowTimerWheel wheel, final long expiresNs)
    {
        final int recordIndex = newRecord(expiresNs);
        wheel.schedule(recordIndex, expiresNs);
        return recordIndex;
    }

    /** A plain store, as the data path does when payload restarts an idle timer. */
    private void expiresNs(final int recordIndex, final long expiresNs)
    {
        table.records().putLong(table.recordOffset(recordIndex) + FlowRecord.EXPIRES_NS_OFFSET, expiresNs);
    }

    /** Polls at {@code nowNs} with no limit and returns the records that fired. */
    private List<Integer> pollAt(final FlowTimerWheel wheel, final long nowNs)
    {
        expiries.clear();
        final int expired = wheel.poll(nowNs, expiries, NO_LIMIT);
        assertEquals(expiries.records.size(), expired, "poll's count");
        for (final long firedNs : expiries.times)
        {
            assertEquals(nowNs, firedNs, "handler's nowNs");
        }
        return List.copyOf(expiries.records);
    }

    /**
     * Polls every {@code stepNs} from {@code fromNs} while the time is before {@code deadlineNs}, asserting that
     * nothing fires; then polls at the deadline and asserts that exactly {@code recordIndex} fires.
     */
    private void assertFiresExactlyAt(
        final FlowTimerWheel wheel, final int recordIndex, final long fromNs, final long deadlineNs, final long stepNs)
    {
        for (long nowNs = fromNs; nowNs < deadlineNs; nowNs += stepNs)
        {
            final List<Integer> fired = pollAt(wheel, nowNs);
            if (!fired.isEmpty())
            {
                fail("fired " + fired + " at " + nowNs + ", " + (deadlineNs - nowNs) + " ns before the deadline");
            }
        }
        assertEquals(List.of(), pollAt(wheel, deadlineNs - 1));
        assertEquals(List.of(recordIndex), pollAt(wheel, deadlineNs));
        assertEquals(List.of(), pollAt(wheel, deadlineNs + 1), "fired twice");
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4096})
    void shouldExpireAtTheExactDeadline(final int slots)
    {
        final FlowTimerWheel wheel = newWheel(16, slots, START_NS);
        final long midTick = START_NS + 35 * MS;
        final long onTickBoundary = (START_NS / TICK_NS + 6) * TICK_NS;
        final int a = scheduledRecord(wheel, midTick);
        final int b = scheduledRecord(wheel, onTickBoundary);
        final int c = scheduledRecord(wheel, onTickBoundary + 1);

        assertEquals(List.of(), pollAt(wheel, START_NS));
        assertEquals(List.of(), pollAt(wheel, midTick - 1));
        assertEquals(List.of(a), pollAt(wheel, midTick));
        assertEquals(List.of(), pollAt(wheel, midTick + 1));
        assertEquals(List.of(), pollAt(wheel, onTickBoundary - 1));
        assertEquals(List.of(b), pollAt(wheel, onTickBoundary));
        assertEquals(List.of(c), pollAt(wheel, onTickBoundary + 1));
        assertEquals(List.of(), pollAt(wheel, onTickBoundary + 100 * TICK_NS));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4096})
    void shouldExpireWhenPollsAreSparse(final int slots)
    {
        final FlowTimerWheel wheel = newWheel(16, slots, START_NS);
        final int a = scheduledRecord(wheel, START_NS + 15 * MS);
        final int b = scheduledRecord(wheel, START_NS + 55 * MS);
        final int c = scheduledRecord(wheel, START_NS + 75 * MS);

        // one poll long after all three, skipping many ticks
        assertEquals(Set.of(a, b, c), Set.copyOf(pollAt(wheel, START_NS + 70 * TICK_NS)));
        assertEquals(List.of(), pollAt(wheel, START_NS + 200 * TICK_NS));
    }

    @Test
    void shouldExpireARecordScheduledInThePastOnTheNextPoll()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        assertEquals(List.of(), pollAt(wheel, START_NS + 50 * MS));
        final int late = scheduledRecord(wheel, START_NS);
        final int lateByTurns = scheduledRecord(wheel, START_NS - 100 * TICK_NS);

        assertEquals(Set.of(late, lateByTurns), Set.copyOf(pollAt(wheel, START_NS + 50 * MS)));
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 4096})
    void shouldNotFireAtTheOldDeadlineWhenPushedLaterByAPlainStore(final int slots)
    {
        final FlowTimerWheel wheel = newWheel(16, slots, START_NS);
        final long turnNs = slots * TICK_NS;
        final long oldDeadline = START_NS + 30 * MS;
        final int sameTick = scheduledRecord(wheel, oldDeadline);
        final int nextTicks = scheduledRecord(wheel, oldDeadline);
        final int turnsLater = scheduledRecord(wheel, oldDeadline);
        expiresNs(sameTick, oldDeadline + 4 * MS);
        expiresNs(nextTicks, oldDeadline + 25 * MS);
        expiresNs(turnsLater, oldDeadline + 2 * turnNs + 15 * MS);

        assertEquals(List.of(), pollAt(wheel, oldDeadline));
        assertEquals(List.of(sameTick), pollAt(wheel, oldDeadline + 4 * MS));
        assertEquals(List.of(), pollAt(wheel, oldDeadline + 25 * MS - 1));
        assertEquals(List.of(nextTicks), pollAt(wheel, oldDeadline + 25 * MS));
        assertFiresExactlyAt(wheel, turnsLater, oldDeadline + 25 * MS, oldDeadline + 2 * turnNs + 15 * MS,
            slots <= 8 ? MS : 3 * MS + 1);
    }

    @Test
    void shouldFollowARecordPushedLaterAgainAndAgain()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        long deadline = START_NS + 20 * MS;
        final int recordIndex = scheduledRecord(wheel, deadline);
        // the data path extends the idle timer each time it is nearly due; the wheel moves the record along
        for (long nowNs = START_NS; nowNs < START_NS + 3_000 * MS; nowNs += 3 * MS)
        {
            if (deadline - nowNs < 5 * MS)
            {
                deadline += 47 * MS;
                expiresNs(recordIndex, deadline);
            }
            assertEquals(List.of(), pollAt(wheel, nowNs), "at " + nowNs);
        }
        assertFiresExactlyAt(wheel, recordIndex, START_NS + 3_000 * MS, deadline, MS);
    }

    @ParameterizedTest
    @ValueSource(ints = {8, 64})
    void shouldFireDeadlinesMoreThanOneTurnAheadOnTimeNotEarly(final int slots)
    {
        final FlowTimerWheel wheel = newWheel(16, slots, START_NS);
        final long turnNs = slots * TICK_NS;
        final long[] deadlines = {
            START_NS + turnNs, // the current slot, one turn on
            START_NS + turnNs + 7 * MS,
            START_NS + 2 * turnNs - 3 * MS,
            START_NS + 5 * turnNs + 41 * MS,
        };
        final int[] records = new int[deadlines.length];
        for (int i = 0; i < deadlines.length; i++)
        {
            records[i] = scheduledRecord(wheel, deadlines[i]);
        }

        long fromNs = START_NS;
        for (int i = 0; i < deadlines.length; i++)
        {
            assertFiresExactlyAt(wheel, records[i], fromNs, deadlines[i], MS + 7);
            fromNs = deadlines[i] + 1;
        }
    }

    @Test
    void shouldNotFireEarlyAfterAJumpOfManyTurns()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        final long deadline = START_NS + 17 * 8 * TICK_NS + 3 * MS;
        final int recordIndex = scheduledRecord(wheel, deadline);

        assertEquals(List.of(), pollAt(wheel, deadline - 1));
        assertEquals(List.of(recordIndex), pollAt(wheel, deadline));
    }

    @Test
    void shouldNotFireACancelledRecord()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        final long deadline = START_NS + 20 * MS;
        final int first = scheduledRecord(wheel, deadline);
        final int middle = scheduledRecord(wheel, deadline);
        final int last = scheduledRecord(wheel, deadline);
        final int alone = scheduledRecord(wheel, deadline + 30 * MS);
        final int neverScheduled = newRecord(deadline);

        wheel.cancel(middle);
        wheel.cancel(middle);
        wheel.cancel(alone);
        wheel.cancel(neverScheduled);

        assertEquals(Set.of(first, last), Set.copyOf(pollAt(wheel, deadline + 100 * TICK_NS)));

        // the head and the tail of a slot's list too
        final int a = scheduledRecord(wheel, deadline + 200 * TICK_NS);
        final int b = scheduledRecord(wheel, deadline + 200 * TICK_NS);
        final int c = scheduledRecord(wheel, deadline + 200 * TICK_NS);
        wheel.cancel(a);
        wheel.cancel(c);
        assertEquals(List.of(b), pollAt(wheel, deadline + 300 * TICK_NS));
        wheel.cancel(b);
        assertEquals(List.of(), pollAt(wheel, deadline + 400 * TICK_NS));
    }

    @Test
    void shouldFireEarlierAfterReschedulingToAnEarlierDeadline()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        final long late = START_NS + 500 * MS;
        final long early = START_NS + 50 * MS;
        final int recordIndex = scheduledRecord(wheel, late);
        final int neighbour = scheduledRecord(wheel, late);

        expiresNs(recordIndex, early);
        wheel.schedule(recordIndex, early);

        assertFiresExactlyAt(wheel, recordIndex, START_NS, early, MS);
        assertFiresExactlyAt(wheel, neighbour, early + 1, late, MS);
    }

    @Test
    void shouldRescheduleLaterWithScheduleToo()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        final int recordIndex = scheduledRecord(wheel, START_NS + 30 * MS);
        final long later = START_NS + 230 * MS;
        expiresNs(recordIndex, later);
        wheel.schedule(recordIndex, later);

        assertFiresExactlyAt(wheel, recordIndex, START_NS, later, MS);
    }

    @Test
    void shouldLetTheHandlerRemoveTheRecordWithoutDisturbingTheRestOfTheSlot()
    {
        final FlowTimerWheel wheel = newWheel(32, 8, START_NS);
        final long deadline = START_NS + 20 * MS;
        final List<Integer> due = new ArrayList<>();
        final List<Integer> pushed = new ArrayList<>();
        for (int i = 0; i < 12; i++)
        {
            final int recordIndex = scheduledRecord(wheel, deadline);
            if (i % 3 == 1)
            {
                expiresNs(recordIndex, deadline + 8 * TICK_NS + 1); // same slot, one turn later
                pushed.add(recordIndex);
            }
            else
            {
                due.add(recordIndex);
            }
        }

        final List<Integer> fired = new ArrayList<>();
        final List<Integer> replacements = new ArrayList<>();
        final FlowTimerWheel.ExpiryHandler removeAndReplace = (recordIndex, nowNs) ->
        {
            fired.add(recordIndex);
            table.remove(recordIndex);
            // a new connection takes the freed record at once, and is scheduled far away
            final int replacement = scheduledRecord(wheel, nowNs + 1_000 * TICK_NS);
            replacements.add(replacement);
        };
        assertEquals(due.size(), wheel.poll(deadline, removeAndReplace, NO_LIMIT));

        assertEquals(Set.copyOf(due), Set.copyOf(fired));
        assertEquals(due.size(), fired.size());
        assertEquals(12, table.size());
        assertEquals(Set.copyOf(pushed), Set.copyOf(pollAt(wheel, deadline + 8 * TICK_NS + 1)));
        assertEquals(Set.copyOf(replacements), Set.copyOf(pollAt(wheel, deadline + 1_000 * TICK_NS)));
    }

    @Test
    void shouldLetTheHandlerRescheduleTheRecord()
    {
        final FlowTimerWheel wheel = newWheel(16, 8, START_NS);
        final long deadline = START_NS + 20 * MS;
        final int a = scheduledRecord(wheel, deadline);
        final int b = scheduledRecord(wheel, deadline);
        final int c = scheduledRecord(wheel, deadline);
        final List<Integer> fired = new ArrayList<>();
        final FlowTimerWheel.ExpiryHandler again = (recordIndex, nowNs) ->
        {
            fired.add(recordIndex);
            // into the slot being walked, one turn on
            expiresNs(recordIndex, nowNs + 8 * TICK_NS);
            wheel.schedule(recordIndex, nowNs + 8 * TICK_NS);
        };

        assertEquals(3, wheel.poll(deadline, again, NO_LIMIT));
        assertEquals(Set.of(a, b, c), Set.copyOf(fired));
        assertEquals(List.of(), pollAt(wheel, deadline + 8 * TICK_NS - 1));
        assertEquals(Set.of(a, b, c), Set.copyOf(pollAt(wheel, deadline + 8 * TICK_NS)));
    }

    @Test
    void shouldBoundExpiriesPerPollByTheLimitAndFireTheRestOnTheNextPoll()
    {
        final FlowTimerWheel wheel = newWheel(64, 8, START_NS);
        final long deadline = START_NS + 20 * MS;
        final Set<Integer> all = new HashSet<>();
        for (int i = 0; i < 10; i++)
        {
            all.add(scheduledRecord(wheel, deadline));
        }

        final Set<Integer> fired = new HashSet<>();
        final FlowTimerWheel.ExpiryHandler collect = (recordIndex, nowNs) -> assertTrue(fired.add(recordIndex));
        assertEquals(0, wheel.poll(deadline, collect, 0));
        assertEquals(3, wheel.poll(deadline, collect, 3));
        assertEquals(3, wheel.poll(deadline, collect, 3));
        assertEquals(3, wheel.poll(deadline + MS, collect, 3));
        assertEquals(1, wheel.poll(deadline + MS, collect, 3));
        assertEquals(0, wheel.poll(deadline + MS, collect, 3));
        assertEquals(all, fired);
    }

    @Test
    void shouldResumeACatchUpOverManyTicksWhereTheLimitStoppedIt()
    {
        final FlowTimerWheel wheel = newWheel(64, 8, START_NS);
        final Set<Integer> all = new HashSet<>();
        for (int i = 0; i < 40; i++)
        {
            // spread over 20 ticks, two and a half turns
            all.add(scheduledRecord(wheel, START_NS + (i / 2) * TICK_NS + i * 100));
        }
        final int notYet = scheduledRecord(wheel, START_NS + 400 * TICK_NS);

        final Set<Integer> fired = new HashSet<>();
        final FlowTimerWheel.ExpiryHandler collect = (recordIndex, nowNs) -> assertTrue(fired.add(recordIndex));
        final long nowNs = START_NS + 300 * TICK_NS;
        for (int poll = 0; poll < 10; poll++)
        {
            assertEquals(4, wheel.poll(nowNs, collect, 4), "poll " + poll);
        }
        assertEquals(0, wheel.poll(nowNs, collect, 4));
        assertEquals(all, fired);
        assertFalse(fired.contains(notYet));
        assertEquals(List.of(notYet), pollAt(wheel, START_NS + 400 * TICK_NS));
    }

    @Test
    void shouldWorkAcrossZeroAndNegativeTimes()
    {
        // System.nanoTime() may be negative: its origin is arbitrary
        final long startNs = -55 * MS - 3;
        final FlowTimerWheel wheel = newWheel(16, 8, startNs);
        final int beforeZero = scheduledRecord(wheel, -32 * MS);
        final int justBeforeZero = scheduledRecord(wheel, -4 * MS);
        final int justAfterZero = scheduledRecord(wheel, 4 * MS);
        final int later = scheduledRecord(wheel, 123 * MS);

        assertFiresExactlyAt(wheel, beforeZero, startNs, -32 * MS, MS);
        assertFiresExactlyAt(wheel, justBeforeZero, -32 * MS + 1, -4 * MS, MS);
        assertFiresExactlyAt(wheel, justAfterZero, -4 * MS + 1, 4 * MS, MS);
        assertFiresExactlyAt(wheel, later, 4 * MS + 1, 123 * MS, MS);
    }

    @Test
    void shouldRejectSlotCountsThatAreNotAPowerOfTwoAndNonPositiveTicks()
    {
        final FlowTable flowTable = new FlowTable(4, 1);
        tables.add(flowTable);
        for (final int slots : new int[]{0, 3, 6, 100, -8, Integer.MIN_VALUE})
        {
            assertThrows(IllegalArgumentException.class, () -> new FlowTimerWheel(flowTable, TICK_NS, slots, 0),
                "slots " + slots);
        }
        assertThrows(IllegalArgumentException.class, () -> new FlowTimerWheel(flowTable, 0, 8, 0));
        assertThrows(IllegalArgumentException.class, () -> new FlowTimerWheel(flowTable, -TICK_NS, 8, 0));
        assertEquals(TICK_NS, new FlowTimerWheel(flowTable, TICK_NS, 1, 0).tickNs());
    }

    static Stream<Arguments> randomRuns()
    {
        final List<Arguments> runs = new ArrayList<>();
        final Long wantedSeed = Long.getLong(FlowTableModelTest.SEED_PROPERTY);
        final long freshSeed = System.nanoTime() * 0xBF58_476D_1CE4_E5B9L;
        for (final int slots : new int[]{8, 64, 4096})
        {
            for (int i = 0; i < 3; i++)
            {
                runs.add(Arguments.of(slots, 0x7133_E12EL + 100L * slots + i));
            }
            runs.add(Arguments.of(slots, null != wantedSeed ? wantedSeed : freshSeed + slots));
        }
        return runs.stream();
    }

    /**
     * Thousands of records with random deadlines (some in the past, some several turns ahead), pushed later by
     * plain stores, rescheduled earlier, cancelled, removed; time advances in random steps, mostly under a tick,
     * sometimes by many turns; polls use random limits and are repeated until they stop early. The model knows every
     * record's deadline. Checked: a record fires only when scheduled and at or after its deadline, once; after the
     * polls at a time, no scheduled record's deadline is at or before that time, so each fires at the first poll at
     * or after its deadline, which is within one tick when polls come at least once a tick. Each slot count also has
     * a run with a fresh seed, which {@code -Dtandem.test.seed=<seed>} replaces to repeat a failure.
     */
    @ParameterizedTest(name = "slots={0} seed={1}")
    @MethodSource("randomRuns")
    @Timeout(value = 60, unit = TimeUnit.SECONDS, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldMatchAModelOfWhatMustHaveFired(final int slots, final long seed)
    {
        final RandomRun run = new RandomRun(slots, seed);
        try
        {
            run.execute(15_000);
        }
        catch (final Throwable t)
        {
            final String message = "FlowTimerWheel diverged from the model: slots=" + slots + " seed=" + seed +
                "L at step " + run.step + ", nowNs " + run.nowNs + "; rerun with -D" + FlowTableModelTest.SEED_PROPERTY +
                "=" + seed;
            System.err.println(message);
            throw new AssertionError(message, t);
        }
        finally
        {
            run.table.close();
        }
    }

    /** The wheel, its table and a model of every record's state, driven by one seed. */
    private static final class RandomRun implements FlowTimerWheel.ExpiryHandler
    {
        static final int CAPACITY = 4_000;

        final SplittableRandom random;
        final FlowTable table;
        final FlowTimerWheel wheel;
        final long turnNs;
        final boolean[] inTable = new boolean[CAPACITY];
        final boolean[] scheduled = new boolean[CAPACITY];
        final long[] expiresNs = new long[CAPACITY];
        int connections;
        int step;
        long nowNs;
        long previousPollNs;
        long stepNs;
        long fired;
        long maxLatenessNs;

        RandomRun(final int slots, final long seed)
        {
            random = new SplittableRandom(seed);
            table = new FlowTable(CAPACITY, random.nextLong());
            turnNs = slots * TICK_NS;
            // sometimes start before zero so that the run crosses it
            nowNs = random.nextBoolean() ? random.nextLong(1L << 50) : -random.nextLong(20 * turnNs);
            previousPollNs = nowNs;
            wheel = new FlowTimerWheel(table, TICK_NS, slots, nowNs);
        }

        void execute(final int steps)
        {
            for (step = 0; step < steps; step++)
            {
                advanceTime();
                final int actions = random.nextInt(6);
                for (int i = 0; i < actions; i++)
                {
                    act();
                }
                pollUntilDrained();
                checkNothingOverdue();
            }
            stepNs = 10 * turnNs;
            nowNs += stepNs;
            pollUntilDrained();
            checkNothingOverdue();
            assertTrue(fired > steps / 2, "the run fired only " + fired);
        }

        void advanceTime()
        {
            final int kind = random.nextInt(100);
            if (kind < 70)
            {
                stepNs = random.nextLong(TICK_NS + 1);
            }
            else if (kind < 90)
            {
                stepNs = random.nextLong(TICK_NS / 10);
            }
            else if (kind < 98)
            {
                stepNs = TICK_NS + random.nextLong(4 * TICK_NS);
            }
            else
            {
                stepNs = random.nextLong(3 * turnNs);
            }
            nowNs += stepNs;
        }

        void act()
        {
            final int kind = random.nextInt(100);
            if (kind < 40)
            {
                scheduleNew();
            }
            else if (kind < 65)
            {
                final int recordIndex = randomScheduled();
                if (recordIndex >= 0)
                {
                    // the data path pushes the deadline later with a plain store
                    setExpires(recordIndex, expiresNs[recordIndex] + random.nextLong(2 * turnNs));
                }
            }
            else if (kind < 75)
            {
                final int recordIndex = randomScheduled();
                if (recordIndex >= 0)
                {
                    final long earlier = expiresNs[recordIndex] - random.nextLong(turnNs);
                    setExpires(recordIndex, earlier);
                    wheel.schedule(recordIndex, earlier);
                }
            }
            else if (kind < 85)
            {
                final int recordIndex = randomScheduled();
                if (recordIndex >= 0)
                {
                    wheel.cancel(recordIndex);
                    scheduled[recordIndex] = false;
                    if (random.nextBoolean())
                    {
                        removeFromTable(recordIndex);
                    }
                }
            }
            else
            {
                // schedule again a record that is in the table but not in the wheel
                final int recordIndex = randomInTable(false);
                if (recordIndex >= 0)
                {
                    final long deadline = nowNs - TICK_NS + random.nextLong(3 * turnNs);
                    setExpires(recordIndex, deadline);
                    wheel.schedule(recordIndex, deadline);
                    scheduled[recordIndex] = true;
                }
            }
        }

        void scheduleNew()
        {
            if (table.size() == CAPACITY)
            {
                return;
            }
            final int n = connections++;
            final int recordIndex = table.insert(n, 1 + (n & 0x7FFF), 0x0A0A_0A0A, 80, ~n, 8080, 0x0B0B_0B0B,
                1 + (n & 0x7FFF));
            assertTrue(recordIndex >= 0 && !inTable[recordIndex], "insert returned " + recordIndex);
            inTable[recordIndex] = true;
            // mostly ahead, a few already due, some several turns ahead
            final long deadline = random.nextInt(10) == 0 ?
                nowNs - random.nextLong(5 * TICK_NS) : nowNs + random.nextLong(random.nextBoolean() ? turnNs : 4 * turnNs);
            setExpires(recordIndex, deadline);
            wheel.schedule(recordIndex, deadline);
            scheduled[recordIndex] = true;
        }

        void pollUntilDrained()
        {
            final int limit = switch (random.nextInt(4))
            {
                case 0 -> 1;
                case 1 -> 1 + random.nextInt(8);
                default -> NO_LIMIT;
            };
            int polls = 0;
            int expired;
            do
            {
                expired = wheel.poll(nowNs, this, limit);
                assertTrue(expired <= limit, "poll expired " + expired + " with limit " + limit);
                if (++polls > CAPACITY + 2)
                {
                    fail("polls do not drain");
                }
            }
            while (expired == limit);
            previousPollNs = nowNs;
        }

        @Override
        public void onExpired(final int recordIndex, final long pollNs)
        {
            assertEquals(nowNs, pollNs, "nowNs handed to the handler");
            assertTrue(inTable[recordIndex], "fired a record not in the table: " + recordIndex);
            assertTrue(scheduled[recordIndex], "fired a record not scheduled (cancelled, or fired twice): " +
                recordIndex);
            final long deadline = expiresNs[recordIndex];
            assertTrue(deadline <= pollNs, "fired " + (deadline - pollNs) + " ns early: " + recordIndex);
            if (deadline > previousPollNs && stepNs <= TICK_NS)
            {
                // polled at least once a tick: no later than one tick after the deadline
                assertTrue(pollNs - deadline <= TICK_NS, "fired " + (pollNs - deadline) + " ns late");
                maxLatenessNs = Math.max(maxLatenessNs, pollNs - deadline);
            }
            scheduled[recordIndex] = false;
            fired++;

            final int kind = random.nextInt(10);
            if (kind < 5)
            {
                removeFromTable(recordIndex);
            }
            else if (kind < 8)
            {
                final long deadline2 = pollNs + 1 + random.nextLong(2 * turnNs);
                setExpires(recordIndex, deadline2);
                wheel.schedule(recordIndex, deadline2);
                scheduled[recordIndex] = true;
            }
            else if (kind < 9 && table.size() < CAPACITY)
            {
                removeFromTable(recordIndex);
                // a new connection at once, scheduled ahead; likely in the freed record
                final int n = connections++;
                final int newIndex = table.insert(n, 1 + (n & 0x7FFF), 0x0A0A_0A0A, 80, ~n, 8080, 0x0B0B_0B0B,
                    1 + (n & 0x7FFF));
                inTable[newIndex] = true;
                final long deadline3 = pollNs + 1 + random.nextLong(turnNs);
                setExpires(newIndex, deadline3);
                wheel.schedule(newIndex, deadline3);
                scheduled[newIndex] = true;
            }
            // else: left in the table, out of the wheel
        }

        void checkNothingOverdue()
        {
            for (int i = 0; i < CAPACITY; i++)
            {
                if (scheduled[i] && expiresNs[i] <= nowNs)
                {
                    fail("record " + i + " is " + (nowNs - expiresNs[i]) + " ns overdue and did not fire");
                }
            }
        }

        void setExpires(final int recordIndex, final long deadline)
        {
            expiresNs[recordIndex] = deadline;
            table.records().putLong(table.recordOffset(recordIndex) + FlowRecord.EXPIRES_NS_OFFSET, deadline);
        }

        void removeFromTable(final int recordIndex)
        {
            table.remove(recordIndex);
            inTable[recordIndex] = false;
        }

        int randomScheduled()
        {
            int recordIndex = random.nextInt(CAPACITY);
            for (int i = 0; i < CAPACITY; i++)
            {
                if (scheduled[recordIndex])
                {
                    return recordIndex;
                }
                recordIndex = recordIndex + 1 == CAPACITY ? 0 : recordIndex + 1;
            }
            return -1;
        }

        int randomInTable(final boolean wantScheduled)
        {
            int recordIndex = random.nextInt(CAPACITY);
            for (int i = 0; i < CAPACITY; i++)
            {
                if (inTable[recordIndex] && scheduled[recordIndex] == wantScheduled)
                {
                    return recordIndex;
                }
                recordIndex = recordIndex + 1 == CAPACITY ? 0 : recordIndex + 1;
            }
            return -1;
        }
    }

    /** Records what the wheel hands over. */
    private static final class Expiries implements FlowTimerWheel.ExpiryHandler
    {
        final List<Integer> records = new ArrayList<>();
        final List<Long> times = new ArrayList<>();

        @Override
        public void onExpired(final int recordIndex, final long nowNs)
        {
            records.add(recordIndex);
            times.add(nowNs);
        }

        void clear()
        {
            records.clear();
            times.clear();
        }
    }
}
