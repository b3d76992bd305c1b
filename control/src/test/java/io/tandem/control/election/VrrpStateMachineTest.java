package io.tandem.control.election;

import io.tandem.dataplane.packet.Bytes;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every transition of RFC 5798 6.4 on a clock the test turns by hand: startup, Master_Down_Timer, Adver_Timer,
 * preemption on and off, priority 0 in both states, the equal-priority tie-break, learning the master's interval,
 * shutdown, and demotion.
 */
class VrrpStateMachineTest
{
    private static final long MS = 1_000_000L;
    private static final long T0 = 1_000 * MS;
    private static final int LOCAL = Bytes.parseIpv4("198.18.51.2");
    private static final int LOWER = Bytes.parseIpv4("198.18.51.1");
    private static final int HIGHER = Bytes.parseIpv4("198.18.51.3");
    /** Priority 100 at 10 cs: Skew_Time = 156 × 10 / 256 cs = 60.9375 ms. */
    private static final long SKEW_100 = 60_937_500L;
    /** 3 × 100 ms + Skew_Time. */
    private static final long MASTER_DOWN_100 = 300 * MS + SKEW_100;

    private final List<String> events = new ArrayList<>();
    private final VrrpStateMachine.Actions actions = new VrrpStateMachine.Actions()
    {
        @Override
        public void sendAdvertisement(final int priority)
        {
            events.add("send " + priority);
        }

        @Override
        public void onRoleChange(final VrrpRole role, final String reason)
        {
            events.add(role + ": " + reason);
        }

        @Override
        public void onRivalYields(final int sourceAddress)
        {
            events.add("rival " + Bytes.ipv4ToString(sourceAddress));
        }
    };

    private VrrpStateMachine machine(final int priority, final boolean preempt)
    {
        return new VrrpStateMachine(priority, preempt, 10, LOCAL, actions);
    }

    private List<String> take()
    {
        final List<String> taken = List.copyOf(events);
        events.clear();
        return taken;
    }

    /** Starts at T0 and lets Master_Down_Timer fire. */
    private VrrpStateMachine master(final int priority, final boolean preempt)
    {
        final VrrpStateMachine machine = machine(priority, preempt);
        machine.start(T0);
        machine.poll(machine.deadlineNs());
        assertEquals(VrrpRole.MASTER, machine.role());
        events.clear();
        return machine;
    }

    @Test
    void shouldComputeSkewAndMasterDownIntervalAsTheRfc()
    {
        assertEquals(SKEW_100, VrrpStateMachine.skewTimeNs(100, 10));
        assertEquals(MASTER_DOWN_100, VrrpStateMachine.masterDownIntervalNs(100, 10));
        assertEquals(781_250L, VrrpStateMachine.skewTimeNs(254, 10), "2 × 10 / 256 cs");
        assertEquals(99_609_375L, VrrpStateMachine.skewTimeNs(1, 10), "255 × 10 / 256 cs");
        assertEquals(3_000 * MS + 609_375_000L, VrrpStateMachine.masterDownIntervalNs(100, 100), "1 s interval");
        assertTrue(VrrpStateMachine.masterDownIntervalNs(200, 10) < VrrpStateMachine.masterDownIntervalNs(100, 10),
            "the higher priority backup takes over first");
    }

    @Test
    void shouldStartAsBackupAndTakeOverWhenNoMasterAdvertises()
    {
        final VrrpStateMachine machine = machine(100, false);
        assertEquals(VrrpRole.INITIALIZE, machine.role());
        assertEquals(VrrpStateMachine.NO_DEADLINE, machine.deadlineNs());
        machine.start(T0);
        assertEquals(List.of("BACKUP: startup"), take());
        assertEquals(T0 + MASTER_DOWN_100, machine.deadlineNs());

        machine.poll(T0 + MASTER_DOWN_100 - 1);
        assertEquals(VrrpRole.BACKUP, machine.role());
        assertTrue(take().isEmpty(), "nothing before the deadline");

        machine.poll(T0 + MASTER_DOWN_100);
        assertEquals(List.of("send 100",
            "MASTER: no advertisement within Master_Down_Interval (360.9 ms)"), take());
        assertEquals(T0 + MASTER_DOWN_100 + 100 * MS, machine.deadlineNs(), "Adver_Timer");
        machine.start(T0 + MASTER_DOWN_100);
        assertTrue(take().isEmpty(), "start is only for INITIALIZE");
    }

    @Test
    void shouldAdvertiseEveryIntervalAsMaster()
    {
        final VrrpStateMachine machine = master(100, false);
        for (int i = 0; i < 5; i++)
        {
            final long deadline = machine.deadlineNs();
            machine.poll(deadline - 1);
            assertTrue(events.isEmpty());
            final long late = deadline + i * MS;
            machine.poll(late);
            assertEquals(List.of("send 100"), take());
            assertEquals(late + 100 * MS, machine.deadlineNs(), "an interval after the (late) poll, no catching up");
        }
    }

    @Test
    void shouldFollowAnyMasterWithPreemptionOff()
    {
        final VrrpStateMachine machine = machine(100, false);
        machine.start(T0);
        take();
        for (int i = 1; i <= 10; i++)
        {
            machine.onAdvertisement(T0 + i * 100 * MS, LOWER, 50, 10);
            machine.poll(T0 + i * 100 * MS);
        }
        assertEquals(VrrpRole.BACKUP, machine.role(), "a lower-priority master stays master: preemption is off");
        assertEquals(T0 + 1_000 * MS + MASTER_DOWN_100, machine.deadlineNs(), "each advertisement resets the timer");
        assertTrue(take().isEmpty());
    }

    @Test
    void shouldPreemptALowerPriorityMasterWithPreemptionOn()
    {
        final VrrpStateMachine machine = machine(100, true);
        machine.start(T0);
        take();
        machine.onAdvertisement(T0 + 100 * MS, LOWER, 99, 10);
        machine.onAdvertisement(T0 + 200 * MS, LOWER, 99, 10);
        assertEquals(T0 + MASTER_DOWN_100, machine.deadlineNs(), "lower priority: discarded, the timer runs on");
        machine.poll(T0 + MASTER_DOWN_100);
        assertEquals(VrrpRole.MASTER, machine.role());
        take();

        machine.onAdvertisement(T0 + MASTER_DOWN_100 + 10 * MS, LOWER, 99, 10);
        assertEquals(VrrpRole.MASTER, machine.role(), "the master keeps its role against a lower priority");
        assertEquals(List.of("send 100", "rival 198.18.51.1"), take(), "and advertises at once, so the other yields");
    }

    @Test
    void shouldNotPreemptAnEqualOrHigherPriorityMaster()
    {
        final VrrpStateMachine machine = machine(100, true);
        machine.start(T0);
        machine.onAdvertisement(T0 + 300 * MS, LOWER, 100, 10);
        machine.onAdvertisement(T0 + 600 * MS, HIGHER, 101, 10);
        machine.poll(T0 + 600 * MS + MASTER_DOWN_100 - 1);
        assertEquals(VrrpRole.BACKUP, machine.role());
        assertEquals(T0 + 600 * MS + MASTER_DOWN_100, machine.deadlineNs());
    }

    @Test
    void shouldTakeOverAfterSkewTimeWhenTheMasterSendsPriorityZero()
    {
        final VrrpStateMachine machine = machine(100, false);
        machine.start(T0);
        machine.onAdvertisement(T0 + 100 * MS, LOWER, 200, 10);
        take();
        machine.onAdvertisement(T0 + 150 * MS, LOWER, 0, 10);
        assertEquals(T0 + 150 * MS + SKEW_100, machine.deadlineNs(), "Master_Down_Timer = Skew_Time");
        machine.poll(T0 + 150 * MS + SKEW_100);
        assertEquals(List.of("send 100", "MASTER: the master 198.18.51.1 left (priority 0) (60.9 ms)"), take());
    }

    @Test
    void shouldYieldToAHigherPriorityAndLearnItsInterval()
    {
        final VrrpStateMachine machine = master(100, false);
        final long now = machine.deadlineNs() - 50 * MS;
        machine.onAdvertisement(now, HIGHER, 150, 25);
        assertEquals(List.of("BACKUP: advertisement from 198.18.51.3 with priority 150 > 100"), take(),
            "no advertisement of ours any more");
        assertEquals(25, machine.masterAdvertIntervalCs());
        final long masterDown = 750 * MS + VrrpStateMachine.skewTimeNs(100, 25);
        assertEquals(masterDown, machine.masterDownIntervalNs());
        assertEquals(now + masterDown, machine.deadlineNs(), "Master_Down_Interval of the master's interval");
        machine.poll(now + masterDown - 1);
        assertEquals(VrrpRole.BACKUP, machine.role());
    }

    @Test
    void shouldBreakAnEqualPriorityTieByTheHigherPrimaryAddress()
    {
        final VrrpStateMachine keeps = master(100, false);
        keeps.onAdvertisement(keeps.deadlineNs() - MS, LOWER, 100, 10);
        assertEquals(VrrpRole.MASTER, keeps.role(), "198.18.51.1 < 198.18.51.2: we stay master");
        assertEquals(List.of("send 100", "rival 198.18.51.1"), take(),
            "a split healed: advertise at once so the other yields now, and re-announce");

        keeps.onAdvertisement(keeps.deadlineNs() - MS, HIGHER, 100, 10);
        assertEquals(List.of("BACKUP: advertisement from 198.18.51.3 with equal priority 100 and a higher address " +
            "than 198.18.51.2"), take());
    }

    @Test
    void shouldAnswerAnotherMastersPriorityZeroAtOnce()
    {
        final VrrpStateMachine machine = master(100, false);
        final long now = machine.deadlineNs() - 40 * MS;
        machine.onAdvertisement(now, HIGHER, 0, 10);
        assertEquals(List.of("send 100"), take());
        assertEquals(VrrpRole.MASTER, machine.role());
        assertEquals(now + 100 * MS, machine.deadlineNs(), "Adver_Timer reset");
    }

    @Test
    void shouldLearnTheMastersIntervalAsBackup()
    {
        final VrrpStateMachine machine = machine(200, false);
        machine.start(T0);
        assertEquals(10, machine.masterAdvertIntervalCs(), "own interval until a master is heard");
        machine.onAdvertisement(T0 + 10 * MS, LOWER, 150, 50);
        assertEquals(50, machine.masterAdvertIntervalCs());
        final long masterDown = 1_500 * MS + VrrpStateMachine.skewTimeNs(200, 50);
        assertEquals(T0 + 10 * MS + masterDown, machine.deadlineNs());
        machine.poll(T0 + 10 * MS + MASTER_DOWN_100);
        assertEquals(VrrpRole.BACKUP, machine.role(), "our own Master_Down_Interval is not the one that counts");
        machine.poll(T0 + 10 * MS + masterDown);
        assertEquals(VrrpRole.MASTER, machine.role());
        assertEquals(T0 + 10 * MS + masterDown + 100 * MS, machine.deadlineNs(), "and advertises at its own");
        machine.onAdvertisement(T0 + 5_000 * MS, LOWER, 150, 0);
        assertEquals(VrrpRole.MASTER, machine.role());
    }

    @Test
    void shouldSendPriorityZeroOnShutdownAsMasterOnly()
    {
        final VrrpStateMachine master = master(100, false);
        master.shutdown(T0 + 2_000 * MS);
        assertEquals(List.of("send 0", "INITIALIZE: shutdown (sent priority 0)"), take());
        assertEquals(VrrpStateMachine.NO_DEADLINE, master.deadlineNs());
        master.onAdvertisement(T0 + 2_100 * MS, HIGHER, 0, 10);
        master.poll(T0 + 10_000 * MS);
        master.shutdown(T0 + 10_000 * MS);
        assertTrue(take().isEmpty(), "INITIALIZE ignores everything");

        master.start(T0 + 20_000 * MS);
        assertEquals(List.of("BACKUP: startup"), take(), "and may start again");
        master.shutdown(T0 + 20_001 * MS);
        assertEquals(List.of("INITIALIZE: shutdown"), take(), "a backup has nothing to announce");
    }

    @Test
    void shouldStepDownWhenDemotedAndTakeOverAgainOnlyAfterUndemotion()
    {
        final VrrpStateMachine machine = master(100, false);
        final long demotedAt = machine.deadlineNs() - 10 * MS;
        machine.demote(demotedAt, true);
        assertEquals(List.of("send 0", "BACKUP: demoted (sent priority 0)"), take());
        assertTrue(machine.isDemoted());
        assertEquals(VrrpStateMachine.NO_DEADLINE, machine.deadlineNs());
        machine.demote(demotedAt, true);
        machine.poll(demotedAt + 60_000 * MS);
        assertEquals(VrrpRole.BACKUP, machine.role(), "nobody advertises, and still no takeover");
        assertTrue(take().isEmpty());

        final long undemotedAt = demotedAt + 60_000 * MS;
        machine.demote(undemotedAt, false);
        assertEquals(undemotedAt + MASTER_DOWN_100, machine.deadlineNs(), "an ordinary backup again");
        machine.poll(undemotedAt + MASTER_DOWN_100);
        assertEquals(VrrpRole.MASTER, machine.role());
        assertEquals("send 100", take().get(0));
    }

    @Test
    void shouldFollowTheMasterWhileDemotedAndNeverTakeOver()
    {
        final VrrpStateMachine machine = machine(200, false);
        machine.demote(T0, true);
        machine.start(T0);
        assertEquals(List.of("BACKUP: startup (demoted)"), take());
        machine.onAdvertisement(T0 + 100 * MS, LOWER, 100, 20);
        assertEquals(20, machine.masterAdvertIntervalCs(), "a lower-priority master is followed...");
        machine.onAdvertisement(T0 + 200 * MS, LOWER, 0, 20);
        machine.poll(T0 + 10_000 * MS);
        assertEquals(VrrpRole.BACKUP, machine.role(), "...not even when it leaves");
        assertTrue(take().isEmpty());
        machine.demote(T0 + 10_000 * MS, false);
        machine.poll(T0 + 10_000 * MS + machine.masterDownIntervalNs());
        assertEquals(VrrpRole.MASTER, machine.role());
    }

    @Test
    void shouldRefuseSettingsOutOfRange()
    {
        assertThrows(IllegalArgumentException.class, () -> new VrrpStateMachine(0, false, 10, LOCAL, actions));
        assertThrows(IllegalArgumentException.class, () -> new VrrpStateMachine(255, false, 10, LOCAL, actions));
        assertThrows(IllegalArgumentException.class, () -> new VrrpStateMachine(100, false, 0, LOCAL, actions));
        assertThrows(IllegalArgumentException.class, () -> new VrrpStateMachine(100, false, 4096, LOCAL, actions));
        assertThrows(IllegalArgumentException.class, () -> new VrrpStateMachine(100, false, 10, LOCAL, null));
    }
}
