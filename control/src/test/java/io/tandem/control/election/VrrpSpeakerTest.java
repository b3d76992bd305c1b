package io.tandem.control.election;

import io.tandem.control.election.VrrpFixtures.Change;
import io.tandem.control.election.VrrpFixtures.Pair;
import io.tandem.control.election.VrrpFixtures.Recorder;
import io.tandem.dataplane.packet.Bytes;
import io.tandem.ffi.LibC;
import io.tandem.ffi.NativeException;
import io.tandem.ffi.RawIpSocket;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static io.tandem.control.election.VrrpFixtures.A_ADDRESS;
import static io.tandem.control.election.VrrpFixtures.A_INTERFACE;
import static io.tandem.control.election.VrrpFixtures.A_OTHER_ADDRESS;
import static io.tandem.control.election.VrrpFixtures.B_ADDRESS;
import static io.tandem.control.election.VrrpFixtures.ROUTER_ID;
import static io.tandem.control.election.VrrpFixtures.VIRTUAL_ADDRESS;
import static io.tandem.control.election.VrrpFixtures.await;
import static io.tandem.control.election.VrrpFixtures.tandemInA;
import static io.tandem.control.election.VrrpFixtures.tandemInB;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Two Tandem speakers on a veth pair between two namespaces, and one speaker against crafted packets: election by
 * priority and by address, the clean hand-over with priority 0, demotion, the HMAC trailer, and every drop reason
 * counted without touching the role.
 */
@Tag("root")
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class VrrpSpeakerTest
{
    private static final byte[] KEY = "tandem-pair-key-0123456789abcdef".getBytes(StandardCharsets.US_ASCII);
    private static final long ELECTION_MS = 3_000;

    @SuppressWarnings("try") // closing the speaker inside its try is what the test is about
    @ParameterizedTest(name = "unicast {0}")
    @ValueSource(booleans = {false, true})
    void shouldElectTheHigherPriorityAndHandOverWithPriorityZeroOnClose(final boolean unicast) throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder a = new Recorder();
            final Recorder b = new Recorder();
            try (VrrpSpeaker low = pair.speakerInB(tandemInB(unicast, 100), b);
                VrrpSpeaker high = pair.speakerInA(tandemInA(unicast, 200), a))
            {
                assertEquals(VrrpRole.INITIALIZE, high.role());
                high.start(); // from the test's thread: the socket already lives in A
                a.await(VrrpRole.MASTER, 0, ELECTION_MS);
                low.start();
                b.await(VrrpRole.BACKUP, 0, ELECTION_MS);
                await("B hears A", ELECTION_MS, () -> low.counters().advertisementsAccepted() >= 10);
                assertEquals(VrrpRole.BACKUP, low.role());
                assertEquals(List.of(VrrpRole.BACKUP), b.roles(), "B never took over");
                assertEquals(0, low.counters().droppedTotal(), low.counters().toString());
                assertTrue(high.counters().advertisementsSent() >= 10);
                assertEquals(0, high.counters().sendErrors());

                high.close();
                assertEquals(VrrpRole.INITIALIZE, high.role());
                assertEquals("shutdown (sent priority 0)", a.changes().getLast().reason());
                final Change takeover = b.await(VrrpRole.MASTER, 0, ELECTION_MS);
                assertTrue(takeover.reason().startsWith("the master 198.18.51.1 left (priority 0)"),
                    takeover.reason());
                assertEquals(3, high.counters().transitions(), "BACKUP, MASTER, INITIALIZE");
                assertNull(high.failure());
            }
            assertEquals(VrrpRole.INITIALIZE, b.changes().getLast().role());
        }
    }

    @Test
    void shouldBreakAnEqualPriorityTieBetweenTwoMastersByTheHigherAddress() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder a = new Recorder();
            final Recorder b = new Recorder();
            try (VrrpSpeaker lowerAddress = pair.speakerInA(tandemInA(false, 100), a);
                VrrpSpeaker higherAddress = pair.speakerInB(tandemInB(false, 100), b))
            {
                // a backup follows any master of equal priority (RFC 5798 6.4.2): the tie-break is for two masters,
                // so let both take over while they cannot hear each other
                pair.a.ip("link", "set", A_INTERFACE, "down");
                lowerAddress.start();
                higherAddress.start();
                a.await(VrrpRole.MASTER, 0, ELECTION_MS);
                b.await(VrrpRole.MASTER, 0, ELECTION_MS);

                pair.a.ip("link", "set", A_INTERFACE, "up");
                assertEquals("advertisement from 198.18.51.2 with equal priority 100 and a higher address than " +
                    "198.18.51.1", a.await(VrrpRole.BACKUP, 2, ELECTION_MS).reason());
                Thread.sleep(500);
                assertEquals(VrrpRole.MASTER, higherAddress.role());
                assertEquals(VrrpRole.BACKUP, lowerAddress.role());
                assertEquals(List.of(VrrpRole.BACKUP, VrrpRole.MASTER), b.roles(), "198.18.51.2 never yielded");
            }
        }
    }

    @Test
    void shouldStepDownWhenDemotedAndTakeOverAgainWhenUndemoted() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder a = new Recorder();
            final Recorder b = new Recorder();
            try (VrrpSpeaker high = pair.speakerInA(tandemInA(true, 200).withPreempt(true), a);
                VrrpSpeaker low = pair.speakerInB(tandemInB(true, 100), b))
            {
                high.start();
                a.await(VrrpRole.MASTER, 0, ELECTION_MS);
                low.start();
                b.await(VrrpRole.BACKUP, 0, ELECTION_MS);
                await("B hears A", ELECTION_MS, () -> low.counters().advertisementsAccepted() >= 3);

                final int markA = a.size();
                final int markB = b.size();
                high.setDemoted(true);
                assertTrue(high.isDemoted());
                assertEquals("demoted (sent priority 0)", a.await(VrrpRole.BACKUP, markA, ELECTION_MS).reason());
                final Change takeover = b.await(VrrpRole.MASTER, markB, ELECTION_MS);
                assertTrue(takeover.reason().contains("(priority 0)"), takeover.reason());
                Thread.sleep(1_000);
                assertEquals(VrrpRole.BACKUP, high.role(), "higher priority and preemption on, but demoted");
                assertEquals(VrrpRole.MASTER, low.role());

                final int markLow = b.size();
                high.setDemoted(false);
                a.await(VrrpRole.MASTER, markA + 1, ELECTION_MS);
                final Change yielded = b.await(VrrpRole.BACKUP, markLow, ELECTION_MS);
                assertEquals("advertisement from 198.18.51.1 with priority 200 > 100", yielded.reason());
            }
        }
    }

    @Test
    void shouldCountSendErrorsWhileTheLinkIsDownAndSpeakAgainWhenItIsUp() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder a = new Recorder();
            final Recorder b = new Recorder();
            try (VrrpSpeaker high = pair.speakerInA(tandemInA(false, 200), a);
                VrrpSpeaker low = pair.speakerInB(tandemInB(false, 100), b))
            {
                high.start();
                low.start();
                a.await(VrrpRole.MASTER, 0, ELECTION_MS);
                await("B hears A", ELECTION_MS, () -> low.counters().advertisementsAccepted() >= 3);

                final int down = b.size();
                pair.a.ip("link", "set", A_INTERFACE, "down");
                b.await(VrrpRole.MASTER, down, ELECTION_MS);
                await("A counts ENETDOWN", ELECTION_MS, () -> high.counters().sendErrors() >= 3);
                assertEquals(VrrpRole.MASTER, high.role(), "A cannot know");

                final int up = b.size();
                pair.a.ip("link", "set", A_INTERFACE, "up");
                assertEquals("advertisement from 198.18.51.1 with priority 200 > 100",
                    b.await(VrrpRole.BACKUP, up, ELECTION_MS).reason(), "A's socket and membership outlive the flap");
                assertEquals(VrrpRole.MASTER, high.role());
                assertNull(high.failure());
            }
        }
    }

    @Test
    void shouldElectWithAKeyAndRefuseAnotherKey() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder a = new Recorder();
            final Recorder b = new Recorder();
            try (VrrpSpeaker high = pair.speakerInA(tandemInA(false, 200).withKey(KEY), a);
                VrrpSpeaker low = pair.speakerInB(tandemInB(false, 100).withKey(KEY), b))
            {
                high.start();
                a.await(VrrpRole.MASTER, 0, ELECTION_MS);
                low.start();
                await("B accepts signed advertisements", ELECTION_MS,
                    () -> low.counters().advertisementsAccepted() >= 5);
                assertEquals(List.of(VrrpRole.BACKUP), b.roles());
                assertEquals(0, low.counters().dropped(VrrpDropReason.AUTH_FAILURE));
            }

            final byte[] otherKey = KEY.clone();
            otherKey[0] ^= 1;
            final Recorder c = new Recorder();
            final Recorder d = new Recorder();
            try (VrrpSpeaker high = pair.speakerInA(tandemInA(false, 200).withKey(KEY), c);
                VrrpSpeaker low = pair.speakerInB(tandemInB(false, 100).withKey(otherKey), d))
            {
                high.start();
                low.start();
                c.await(VrrpRole.MASTER, 0, ELECTION_MS);
                d.await(VrrpRole.MASTER, 0, ELECTION_MS);
                await("B drops A's advertisements", ELECTION_MS,
                    () -> low.counters().dropped(VrrpDropReason.AUTH_FAILURE) >= 5 &&
                        high.counters().dropped(VrrpDropReason.AUTH_FAILURE) >= 5);
                assertEquals(0, low.counters().advertisementsAccepted());
                assertEquals(VrrpRole.MASTER, low.role(), "with the wrong key A does not count");
            }
        }
    }

    @Test
    void shouldCountEveryForeignAdvertisementAndKeepItsRole() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            pair.a.ip("addr", "add", A_OTHER_ADDRESS + "/24", "dev", A_INTERFACE);
            final Recorder b = new Recorder();
            try (VrrpSpeaker speaker = pair.speakerInB(tandemInB(true, 100), b);
                Crafter fromPeer = new Crafter(pair, A_ADDRESS, 255);
                Crafter ttl64 = new Crafter(pair, A_ADDRESS, 64);
                Crafter fromOther = new Crafter(pair, A_OTHER_ADDRESS, 255))
            {
                speaker.start();
                b.await(VrrpRole.MASTER, 0, ELECTION_MS);
                final long transitions = speaker.counters().transitions();
                final VrrpAdvertisement better = new VrrpAdvertisement(ROUTER_ID, 254, 10,
                    List.of(Bytes.parseIpv4(VIRTUAL_ADDRESS)));
                final byte[] good = fromPeer.encode(better, null);

                for (int i = 0; i < 3; i++)
                {
                    fromPeer.send(new VrrpAdvertisement(ROUTER_ID + 1, 254, 10, better.addresses())
                        .encode(fromPeer.source, fromPeer.destination, null));
                    ttl64.send(good);
                    fromOther.send(fromOther.encode(better, null));
                    final byte[] badChecksum = good.clone();
                    badChecksum[7] ^= 0x01;
                    fromPeer.send(badChecksum);
                    final byte[] version2 = good.clone();
                    version2[0] = 0x21;
                    fromPeer.send(version2);
                    fromPeer.send(new byte[] {0x31, 0x33, (byte)0xFE});
                }
                await("every crafted packet counted", ELECTION_MS, () -> speaker.counters().droppedTotal() >= 18);
                final VrrpCounters counters = speaker.counters();
                assertEquals(3, counters.dropped(VrrpDropReason.WRONG_ROUTER_ID), counters.toString());
                assertEquals(3, counters.dropped(VrrpDropReason.BAD_TTL), counters.toString());
                assertEquals(3, counters.dropped(VrrpDropReason.NOT_FROM_PEER), counters.toString());
                assertEquals(3, counters.dropped(VrrpDropReason.BAD_CHECKSUM), counters.toString());
                assertEquals(3, counters.dropped(VrrpDropReason.BAD_VERSION_OR_TYPE), counters.toString());
                assertEquals(3, counters.dropped(VrrpDropReason.TOO_SHORT), counters.toString());
                assertEquals(0, counters.dropped(VrrpDropReason.AUTH_FAILURE));
                assertEquals(18, counters.packetsReceived());
                assertEquals(0, counters.advertisementsAccepted());
                assertEquals(VrrpRole.MASTER, speaker.role(), "none of them counts, though each says priority 254");
                assertEquals(transitions, counters.transitions());

                final int mark = b.size();
                fromPeer.send(good);
                assertEquals("advertisement from 198.18.51.1 with priority 254 > 100",
                    b.await(VrrpRole.BACKUP, mark, ELECTION_MS).reason(), "the same advertisement, well formed");
                assertEquals(1, speaker.counters().advertisementsAccepted());
            }
        }
    }

    @Test
    void shouldDropUnsignedAdvertisementsWhenItHasAKey() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final Recorder b = new Recorder();
            try (VrrpSpeaker speaker = pair.speakerInB(tandemInB(true, 100).withKey(KEY), b);
                Crafter fromPeer = new Crafter(pair, A_ADDRESS, 255))
            {
                speaker.start();
                b.await(VrrpRole.MASTER, 0, ELECTION_MS);
                final VrrpAdvertisement better = new VrrpAdvertisement(ROUTER_ID, 254, 10,
                    List.of(Bytes.parseIpv4(VIRTUAL_ADDRESS)));
                final byte[] otherKey = KEY.clone();
                otherKey[5] ^= 0x40;
                fromPeer.send(fromPeer.encode(better, null));
                fromPeer.send(fromPeer.encode(better, otherKey));
                await("both dropped", ELECTION_MS,
                    () -> speaker.counters().dropped(VrrpDropReason.AUTH_FAILURE) == 2);
                assertEquals(VrrpRole.MASTER, speaker.role());

                final int mark = b.size();
                fromPeer.send(fromPeer.encode(better, KEY));
                b.await(VrrpRole.BACKUP, mark, ELECTION_MS);
            }
        }
    }

    @Test
    void shouldReportAMissingInterfaceAndAnAddressItDoesNotHave() throws Exception
    {
        try (Pair pair = new Pair("vsp"))
        {
            final NativeException noInterface = assertThrows(NativeException.class, () -> pair.b.call(() ->
                new VrrpSpeaker(VrrpConfig.of("tvrnone", B_ADDRESS, null, 1, 100), (role, reason) -> { })));
            assertTrue(noInterface.getMessage().contains("tvrnone"), noInterface.getMessage());
            final NativeException notLocal = assertThrows(NativeException.class, () -> pair.b.call(() ->
                new VrrpSpeaker(VrrpConfig.of(VrrpFixtures.B_INTERFACE, A_OTHER_ADDRESS, A_ADDRESS, 1, 100),
                    (role, reason) -> { })));
            assertTrue(notLocal.getMessage().contains("bind(198.18.51.3)"), notLocal.getMessage());
            final VrrpSpeaker neverStarted = pair.speakerInB(tandemInB(false, 100), (role, reason) -> { });
            neverStarted.close();
            neverStarted.close();
            assertThrows(IllegalStateException.class, neverStarted::start);
        }
    }

    /** Sends hand-made VRRP payloads from side A to B's address through a raw socket of its own. */
    private static final class Crafter implements AutoCloseable
    {
        final int source;
        final int destination = Bytes.parseIpv4(B_ADDRESS);
        private final RawIpSocket socket;
        private final Arena arena = Arena.ofShared();
        private final MemorySegment errno = LibC.allocateErrnoSegment(arena);

        Crafter(final Pair pair, final String sourceAddress, final int ttl) throws Exception
        {
            source = Bytes.parseIpv4(sourceAddress);
            socket = pair.a.call(() ->
            {
                final RawIpSocket opened = RawIpSocket.open(A_INTERFACE, VrrpAdvertisement.IP_PROTOCOL, source, ttl);
                opened.bindLocal(source);
                return opened;
            });
        }

        byte[] encode(final VrrpAdvertisement advertisement, final byte[] key)
        {
            return advertisement.encode(source, destination, key);
        }

        void send(final byte[] payload)
        {
            final long sent = socket.send(errno, destination, arena.allocateFrom(JAVA_BYTE, payload));
            assertEquals(payload.length, sent, "sendto");
        }

        @Override
        public void close()
        {
            socket.close();
            arena.close();
        }
    }
}
