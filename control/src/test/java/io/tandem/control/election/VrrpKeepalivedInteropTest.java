package io.tandem.control.election;

import io.tandem.control.election.VrrpFixtures.Change;
import io.tandem.control.election.VrrpFixtures.Pair;
import io.tandem.control.election.VrrpFixtures.Recorder;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tandem.control.election.VrrpFixtures.A_INTERFACE;
import static io.tandem.control.election.VrrpFixtures.VIRTUAL_ADDRESS;
import static io.tandem.control.election.VrrpFixtures.await;
import static io.tandem.control.election.VrrpFixtures.ms;
import static io.tandem.control.election.VrrpFixtures.tandemInB;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Tandem's speaker against keepalived v2.2.7 as the peer, VRRPv3 at 100 ms, multicast and unicast: each keeps the
 * other's mastership, takes over from the other when it leaves cleanly (priority 0, after Skew_Time) and when it
 * vanishes (after Master_Down_Interval), and keepalived's preemption setting is honoured. keepalived runs in side A
 * of a veth pair, Tandem in side B; every keepalived is killed (child and parent, by PID) and both namespaces removed
 * whatever happens.
 */
@Tag("root")
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class VrrpKeepalivedInteropTest
{
    private static final long ELECTION_MS = 5_000;
    private static final long STEADY_MS = 1_000;

    private static boolean keepalivedHoldsTheVip(final Pair pair)
    {
        return pair.a.ip("-4", "addr", "show", "dev", A_INTERFACE).contains(VIRTUAL_ADDRESS + "/24");
    }

    private static void report(final String what, final boolean unicast, final double ms)
    {
        System.out.printf("MEASURED %s (%s): %.1f ms%n", what, unicast ? "unicast" : "multicast", ms);
    }

    @SuppressWarnings("try") // closing the speaker inside its try is what the test is about
    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldKeepKeepalivedBackupAndHandItOverWithPriorityZeroOnClose(final boolean unicast) throws Exception
    {
        try (Pair pair = new Pair("vka"))
        {
            final Recorder tandem = new Recorder();
            try (VrrpSpeaker speaker = pair.speakerInB(tandemInB(unicast, 200), tandem))
            {
                speaker.start();
                tandem.await(VrrpRole.MASTER, 0, ELECTION_MS);
                try (KeepalivedProcess keepalived = KeepalivedProcess.start(pair.a, unicast, 100, true))
                {
                    Thread.sleep(STEADY_MS);
                    assertEquals(List.of("BACKUP"), keepalived.states(), keepalived.log());
                    assertFalse(keepalivedHoldsTheVip(pair));
                    assertEquals(VrrpRole.MASTER, speaker.role());
                    assertEquals(0, speaker.counters().droppedTotal(), speaker.counters().toString());

                    final long closeNs = System.nanoTime();
                    speaker.close();
                    final long masterNs = keepalived.awaitState("MASTER", 1, ELECTION_MS);
                    report("Tandem close -> keepalived MASTER (priority 0)", unicast, ms(closeNs, masterNs));
                    assertTrue(keepalived.log().contains("Backup received priority 0 advertisement"),
                        keepalived.log());
                    await("keepalived adds the VIP", ELECTION_MS, () -> keepalivedHoldsTheVip(pair));
                }
            }
        }
    }

    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldLetKeepalivedTakeOverAfterItsMasterDownIntervalWhenTandemVanishes(final boolean unicast)
        throws Exception
    {
        try (Pair pair = new Pair("vka"))
        {
            final Recorder tandem = new Recorder();
            try (VrrpSpeaker speaker = pair.speakerInB(tandemInB(unicast, 200), tandem))
            {
                // Tandem first: with preemption off it would follow a keepalived that happened to be master before it
                speaker.start();
                tandem.await(VrrpRole.MASTER, 0, ELECTION_MS);
                try (KeepalivedProcess keepalived = KeepalivedProcess.start(pair.a, unicast, 100, true))
                {
                    Thread.sleep(STEADY_MS);
                    assertEquals(List.of("BACKUP"), keepalived.states(), keepalived.log());

                    final long crashNs = System.nanoTime();
                    speaker.abandon();
                    final long masterNs = keepalived.awaitState("MASTER", 1, ELECTION_MS);
                    final double tookMs = ms(crashNs, masterNs);
                    report("Tandem vanishes -> keepalived MASTER (Master_Down_Interval 360.9 ms)", unicast, tookMs);
                    assertFalse(keepalived.log().contains("priority 0"), keepalived.log());
                    // the last advertisement left about one interval (plus jitter) before the crash at the most, so
                    // about 260 ms at the least; far above the 61 ms Skew_Time a priority 0 would have started
                    assertTrue(tookMs >= 150, "keepalived waited for its Master_Down_Interval: " + tookMs + " ms");
                }
            }
        }
    }

    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldStayBackupWhileKeepalivedAdvertisesAndTakeOverWhenItIsKilled(final boolean unicast) throws Exception
    {
        try (Pair pair = new Pair("vkb"))
        {
            final Recorder tandem = new Recorder();
            try (KeepalivedProcess keepalived = KeepalivedProcess.start(pair.a, unicast, 200, true);
                VrrpSpeaker speaker = pair.speakerInB(tandemInB(unicast, 100), tandem))
            {
                keepalived.awaitState("MASTER", 0, ELECTION_MS);
                speaker.start();
                Thread.sleep(STEADY_MS);
                assertEquals(List.of(VrrpRole.BACKUP), tandem.roles());
                final VrrpCounters counters = speaker.counters();
                assertTrue(counters.advertisementsAccepted() >= 8, counters.toString());
                assertEquals(0, counters.droppedTotal(), counters.toString());
                assertEquals(0, counters.advertisementsSent(), "a backup is silent");

                final int mark = tandem.size();
                final long killedNs = keepalived.kill();
                final Change takeover = tandem.await(VrrpRole.MASTER, mark, ELECTION_MS);
                final double tookMs = ms(killedNs, takeover.nanoTime());
                report("keepalived SIGKILL -> Tandem MASTER (Master_Down_Interval 360.9 ms)", unicast, tookMs);
                assertEquals("no advertisement within Master_Down_Interval (360.9 ms)", takeover.reason());
                // about 260..361 ms after the kill, as the kill comes 0..100 ms after keepalived's last advertisement
                assertTrue(tookMs >= 150 && tookMs < 3_000, tookMs + " ms");
            }
        }
    }

    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldTakeOverAfterSkewTimeWhenKeepalivedStopsCleanly(final boolean unicast) throws Exception
    {
        try (Pair pair = new Pair("vkb"))
        {
            final Recorder tandem = new Recorder();
            try (KeepalivedProcess keepalived = KeepalivedProcess.start(pair.a, unicast, 200, true);
                VrrpSpeaker speaker = pair.speakerInB(tandemInB(unicast, 100), tandem))
            {
                keepalived.awaitState("MASTER", 0, ELECTION_MS);
                speaker.start();
                await("Tandem hears keepalived", ELECTION_MS, () -> speaker.counters().advertisementsAccepted() >= 5);

                final int mark = tandem.size();
                final long stopNs = System.nanoTime();
                keepalived.terminate();
                final Change takeover = tandem.await(VrrpRole.MASTER, mark, ELECTION_MS);
                report("keepalived SIGTERM -> Tandem MASTER (priority 0, Skew_Time 60.9 ms)", unicast,
                    ms(stopNs, takeover.nanoTime()));
                assertEquals("the master 198.18.51.1 left (priority 0) (60.9 ms)", takeover.reason());
            }
        }
    }

    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldHonourKeepalivedsPreemptionSetting(final boolean unicast) throws Exception
    {
        try (Pair pair = new Pair("vkp"))
        {
            final Recorder tandem = new Recorder();
            try (VrrpSpeaker speaker = pair.speakerInB(tandemInB(unicast, 100), tandem))
            {
                speaker.start();
                tandem.await(VrrpRole.MASTER, 0, ELECTION_MS);
                try (KeepalivedProcess patient = KeepalivedProcess.start(pair.a, unicast, 200, false))
                {
                    Thread.sleep(STEADY_MS);
                    assertEquals(List.of("BACKUP"), patient.states(), "nopreempt: " + patient.log());
                    assertEquals(VrrpRole.MASTER, speaker.role());
                }
                // the killed keepalived was a silent backup: Tandem stayed master throughout
                assertEquals(List.of(VrrpRole.BACKUP, VrrpRole.MASTER), tandem.roles());

                final int mark = tandem.size();
                try (KeepalivedProcess eager = KeepalivedProcess.start(pair.a, unicast, 200, true))
                {
                    eager.awaitState("MASTER", 0, ELECTION_MS);
                    final Change yielded = tandem.await(VrrpRole.BACKUP, mark, ELECTION_MS);
                    assertEquals("advertisement from 198.18.51.1 with priority 200 > 100", yielded.reason());
                    Thread.sleep(STEADY_MS);
                    assertEquals(VrrpRole.BACKUP, speaker.role());
                    assertEquals("MASTER", eager.state());
                }
            }
        }
    }
}
