package io.tandem.control.sync;

import io.tandem.control.sync.SyncFixtures.Recorder;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;

import static io.tandem.control.sync.SyncFixtures.HIGH;
import static io.tandem.control.sync.SyncFixtures.KEY;
import static io.tandem.control.sync.SyncFixtures.LOW;
import static io.tandem.control.sync.SyncFixtures.OTHER_KEY;
import static io.tandem.control.sync.SyncFixtures.STRANGER;
import static io.tandem.control.sync.SyncFixtures.await;
import static io.tandem.control.sync.SyncFixtures.bytes;
import static io.tandem.control.sync.SyncFixtures.context;
import static io.tandem.control.sync.SyncFixtures.freePort;
import static io.tandem.control.sync.SyncFixtures.sha256;
import static io.tandem.control.sync.SyncFrameDescriptor.SEQUENCE_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_HEARTBEAT;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_OFFSET;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Two real channels (or a channel and a hand-driven peer) over TCP on loopback: 127.0.0.1 connects, 127.0.0.2
 * listens, 127.0.0.3 is a stranger. Needs no root.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class SyncChannelTest
{
    private final List<AutoCloseable> resources = new ArrayList<>();
    private final List<SyncChannel> channels = new ArrayList<>();
    private final List<Throwable> errors = new CopyOnWriteArrayList<>();
    private final List<Recorder> recorders = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception
    {
        for (int i = resources.size() - 1; i >= 0; i--)
        {
            resources.get(i).close();
        }
        for (final SyncChannel channel : channels)
        {
            assertFalse(channel.thread().isAlive(), "the channel thread ends on close");
        }
        for (final Recorder recorder : recorders)
        {
            assertEquals(List.of(), recorder.violations, "callback contract");
        }
        assertEquals(List.of(), errors, "no unexpected exceptions");
    }

    private Recorder recorder()
    {
        final Recorder recorder = new Recorder();
        recorders.add(recorder);
        return recorder;
    }

    private SyncChannel open(final SyncChannel.Context context)
    {
        final SyncChannel channel = new SyncChannel(context);
        channels.add(channel);
        resources.add(channel);
        return channel;
    }

    private <T extends AutoCloseable> T track(final T resource)
    {
        resources.add(resource);
        return resource;
    }

    /** Sends text when a session comes up, from the callback: what a user's bulk resync does. */
    private static void sendOnUp(final Recorder recorder, final AtomicReference<SyncChannel> channel,
        final Supplier<String> text)
    {
        recorder.onUp = name ->
        {
            for (int i = 0; i < 1_000 && null == channel.get(); i++)
            {
                Thread.onSpinWait();
            }
            if (!channel.get().send(1, bytes(text.get())))
            {
                recorder.violations.add("send in onSessionUp refused");
            }
        };
    }

    @Test
    void shouldDeliverMessagesOfManySizesInOrderAndIntactInBothDirections() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);
        assertTrue(low.isConnector());
        assertFalse(high.isConnector());
        assertEquals("node-127.0.0.2", low.peerName());
        assertEquals("node-127.0.0.1", high.peerName());
        assertEquals("node-127.0.0.1", highRecorder.events.getFirst().text());

        final int[] sizes = { 0, 1, 2, 63, 64, 65, 1_000, 65_536, 100_003, 1 << 20, 4 << 20, low.maxPayloadLength() };
        final List<String> sentByLow = sendAll(low, sizes, new Random(42));
        final int[] reversed = new int[sizes.length];
        for (int i = 0; i < sizes.length; i++)
        {
            reversed[i] = sizes[sizes.length - 1 - i];
        }
        final List<String> sentByHigh = sendAll(high, reversed, new Random(43));

        await("all messages delivered", 30_000,
            () -> highRecorder.messages.size() == sizes.length && lowRecorder.messages.size() == sizes.length);
        assertEquals(sentByLow, digests(highRecorder), "low to high, in order and intact");
        assertEquals(sentByHigh, digests(lowRecorder), "high to low, in order and intact");

        for (final SyncChannel channel : List.of(low, high))
        {
            final SyncCounters counters = channel.counters();
            assertEquals(1, counters.sessionsEstablished());
            assertEquals(0, counters.totalSessionLosses());
            assertEquals(sizes.length, counters.messagesSent());
            assertEquals(sizes.length, counters.messagesReceived());
            assertTrue(counters.framesSent() >= sizes.length + 2, "HELLO, AUTH and the messages");
            assertTrue(counters.bytesSent() > (9L << 20) + 2L * sizes.length * SyncChannel.FRAME_OVERHEAD);
            assertEquals(0, counters.badFrames().values().stream().mapToLong(Long::longValue).sum());
            assertEquals(0, counters.authFailures());
        }
        assertEquals(0, low.queuedBytes());
    }

    /** Sends every size through a different {@code send} overload; returns "type/length/sha256" per message. */
    private static List<String> sendAll(final SyncChannel channel, final int[] sizes, final Random random)
    {
        final List<String> digests = new ArrayList<>();
        for (int i = 0; i < sizes.length; i++)
        {
            final byte[] payload = new byte[sizes[i]];
            random.nextBytes(payload);
            final int type = 1 + (i * 37) % SyncChannel.MAX_USER_TYPE;
            final boolean sent = switch (i % 4)
            {
                case 0 -> channel.send(type, payload);
                case 1 ->
                {
                    final byte[] padded = new byte[payload.length + 7];
                    System.arraycopy(payload, 0, padded, 3, payload.length);
                    yield channel.send(type, padded, 3, payload.length);
                }
                case 2 ->
                {
                    final ByteBuffer direct = ByteBuffer.allocateDirect(payload.length + 5);
                    direct.position(5);
                    direct.put(payload).position(5);
                    final boolean result = channel.send(type, direct);
                    assertEquals(5, direct.position(), "send does not move the buffer's position");
                    yield result;
                }
                default ->
                {
                    final UnsafeBuffer buffer = new UnsafeBuffer(new byte[payload.length + 9]);
                    buffer.putBytes(9, payload);
                    yield channel.send(type, buffer, 9, payload.length);
                }
            };
            assertTrue(sent, "message " + i + " of " + sizes[i] + " bytes queued");
            digests.add(type + "/" + sizes[i] + "/" + sha256(ByteBuffer.wrap(payload)));
        }
        return digests;
    }

    private static List<String> digests(final Recorder recorder)
    {
        final List<String> digests = new ArrayList<>();
        for (final SyncFixtures.Message message : recorder.messages)
        {
            digests.add(message.type() + "/" + message.payload().length + "/" +
                sha256(ByteBuffer.wrap(message.payload())));
        }
        return digests;
    }

    @ParameterizedTest(name = "other side has another key: {0}")
    @ValueSource(booleans = { true, false })
    void shouldNotEstablishASessionWhenTheKeysDiffer(final boolean otherSideHasAKey) throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high =
            open(context(HIGH, LOW, port, otherSideHasAKey ? OTHER_KEY : null, highRecorder, errors));

        await("auth failures on both sides, retried", 10_000, () ->
            low.counters().authFailures() >= 2 && high.counters().authFailures() >= 2);
        assertFalse(low.send(1, bytes("must not go anywhere")));
        assertFalse(high.send(1, bytes("must not go anywhere")));
        for (final SyncChannel channel : List.of(low, high))
        {
            final SyncCounters counters = channel.counters();
            assertEquals(0, counters.sessionsEstablished());
            assertEquals(1, counters.sendsRejected());
            assertTrue(counters.handshakeFailures() >= counters.authFailures());
            assertFalse(channel.isConnected());
            assertNull(channel.peerName());
            assertTrue(channel.lastFailure().contains("another shared key"), channel.lastFailure());
        }
        assertEquals(List.of(), lowRecorder.events);
        assertEquals(List.of(), highRecorder.events);
        assertEquals(List.of(), lowRecorder.messages);
        assertEquals(List.of(), highRecorder.messages);
    }

    @Test
    void shouldRefuseAndCountConnectionsFromAStranger() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors));
        highRecorder.awaitUps(1, 5_000);

        try (Socket stranger = new Socket())
        {
            stranger.bind(new InetSocketAddress(InetAddress.getByName(STRANGER), 0));
            stranger.setSoTimeout(3_000);
            int read;
            try
            {
                stranger.connect(new InetSocketAddress(InetAddress.getByName(HIGH), port), 2_000);
                read = stranger.getInputStream().read();
            }
            catch (final SocketException reset)
            {
                // the reset may beat connect() back to the caller
                read = -2;
            }
            assertTrue(read < 0, "closed at once, nothing sent to the stranger: " + read);
        }
        // a stranger that knows the key and speaks the protocol is refused all the same
        assertThrows(IOException.class, () ->
        {
            try (RawPeer stranger = new RawPeer(STRANGER, HIGH, port, KEY, "stranger"))
            {
                stranger.handshake();
            }
        });
        await("both strangers counted", 2_000, () -> 2 == high.counters().refusedPeers());

        assertEquals(1, high.counters().sessionsEstablished());
        assertEquals(0, high.counters().totalSessionLosses(), "the peer's session goes on");
        assertEquals(0, high.counters().handshakeFailures());
        assertTrue(high.send(3, bytes("still here")));
        await("message after the strangers", 5_000, () -> lowRecorder.texts().contains("still here"));
    }

    @Test
    void shouldRejectFramesReplayedFromAnEarlierSessionOrWithinASession() throws Exception
    {
        final int acceptorPort = freePort();
        int proxyPort = freePort();
        while (proxyPort == acceptorPort)
        {
            proxyPort = freePort();
        }
        final AtomicReference<byte[]> captured = new AtomicReference<>();
        final AtomicBoolean replayed = new AtomicBoolean();
        final AtomicBoolean duplicated = new AtomicBoolean();
        final TamperingProxy proxy = track(new TamperingProxy(HIGH, proxyPort, LOW, HIGH, acceptorPort,
            (connection, frame) ->
            {
                final int type = frame[TYPE_OFFSET] & 0xFF;
                final long sequence = ByteBuffer.wrap(frame).getLong(SEQUENCE_OFFSET);
                if (0 == connection && SyncFrameDescriptor.isUserType(type))
                {
                    captured.compareAndSet(null, frame.clone());
                }
                else if (1 == connection && null != captured.get() &&
                    sequence == ByteBuffer.wrap(captured.get()).getLong(SEQUENCE_OFFSET) && !replayed.getAndSet(true))
                {
                    // the first session's message, untouched, at the same place in the second session's stream
                    return List.of(captured.get());
                }
                else if (2 == connection && SyncFrameDescriptor.isUserType(type) && !duplicated.getAndSet(true))
                {
                    return List.of(frame, frame);
                }
                return List.of(frame);
            }));

        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final AtomicReference<SyncChannel> lowRef = new AtomicReference<>();
        final AtomicInteger session = new AtomicInteger();
        sendOnUp(lowRecorder, lowRef, () -> "message of session " + session.incrementAndGet());
        final SyncChannel high = open(context(HIGH, LOW, acceptorPort, KEY, highRecorder, errors));
        lowRef.set(open(context(LOW, HIGH, proxyPort, KEY, lowRecorder, errors)));

        await("first session's message", 5_000, () -> highRecorder.texts().contains("message of session 1"));
        proxy.cutAll();
        await("fourth session's message", 15_000, () -> highRecorder.texts().contains("message of session 4"));

        final SyncCounters counters = high.counters();
        assertTrue(replayed.get() && duplicated.get());
        assertEquals(1, counters.badFrames(FrameError.BAD_MAC), "the replayed frame of session 1");
        assertEquals(1, counters.badFrames(FrameError.BAD_SEQUENCE), "the duplicated frame of session 3");
        assertEquals(2, counters.sessionLosses(SessionLoss.BAD_FRAME));
        assertEquals(4, counters.sessionsEstablished());
        final List<String> texts = new ArrayList<>(highRecorder.texts());
        // session 2's own message may or may not precede the replayed frame; session 1's is never delivered twice
        texts.remove("message of session 2");
        assertEquals(List.of("message of session 1", "message of session 3", "message of session 4"), texts);
        assertEquals(4, proxy.connections());
        assertTrue(highRecorder.downReasons().get(1).startsWith("BAD_FRAME: BAD_MAC"), highRecorder.events.toString());
        assertTrue(highRecorder.downReasons().get(2).startsWith("BAD_FRAME: BAD_SEQUENCE"),
            highRecorder.events.toString());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "length byte,      3, BAD_CHECKSUM",
        "sequence byte,   15, BAD_CHECKSUM",
        "payload byte,    25, BAD_MAC",
        "last MAC byte,   -1, BAD_MAC",
    })
    void shouldEndTheSessionOnACorruptedByteAndStartANewOne(
        final String name, final int offset, final FrameError expected) throws Exception
    {
        final int acceptorPort = freePort();
        int proxyPort = freePort();
        while (proxyPort == acceptorPort)
        {
            proxyPort = freePort();
        }
        final AtomicBoolean corrupted = new AtomicBoolean();
        track(new TamperingProxy(HIGH, proxyPort, LOW, HIGH, acceptorPort, (connection, frame) ->
        {
            if (0 == connection && SyncFrameDescriptor.isUserType(frame[TYPE_OFFSET] & 0xFF) &&
                !corrupted.getAndSet(true))
            {
                final byte[] changed = frame.clone();
                changed[offset >= 0 ? offset : frame.length + offset] ^= 0x10;
                return List.of(changed);
            }
            return List.of(frame);
        }));

        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final AtomicReference<SyncChannel> lowRef = new AtomicReference<>();
        final AtomicInteger session = new AtomicInteger();
        sendOnUp(lowRecorder, lowRef, () -> "message of session " + session.incrementAndGet());
        final SyncChannel high = open(context(HIGH, LOW, acceptorPort, KEY, highRecorder, errors));
        lowRef.set(open(context(LOW, HIGH, proxyPort, KEY, lowRecorder, errors)));

        await("second session's message", 10_000, () -> highRecorder.texts().contains("message of session 2"));
        assertEquals(List.of("message of session 2"), highRecorder.texts(), "the corrupted message never arrives");
        assertEquals(2, highRecorder.ups());
        assertEquals(1, highRecorder.downs());
        assertTrue(highRecorder.downReasons().getFirst().startsWith("BAD_FRAME: " + expected),
            highRecorder.downReasons().toString());
        lowRecorder.awaitUps(2, 5_000);
        assertEquals(1, lowRecorder.downs(), "the sender learns of the reset");
        assertEquals(1, high.counters().badFrames(expected));
        assertEquals(1, high.counters().sessionLosses(SessionLoss.BAD_FRAME));
    }

    @ParameterizedTest(name = "restart the connecting node: {0}")
    @ValueSource(booleans = { true, false })
    void shouldTellTheSurvivorOfAPeerRestartAndResumeWithTheNewPeer(final boolean restartConnector) throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);

        final SyncChannel leaving = restartConnector ? low : high;
        final SyncChannel survivor = restartConnector ? high : low;
        final Recorder leavingRecorder = restartConnector ? lowRecorder : highRecorder;
        final Recorder survivorRecorder = restartConnector ? highRecorder : lowRecorder;
        leaving.close();
        assertFalse(leaving.thread().isAlive());
        assertEquals(List.of("CLOSED: channel closed"), leavingRecorder.downReasons());
        survivorRecorder.awaitDowns(1, 3_000);
        assertEquals("PEER_CLOSED: the peer said goodbye: channel closed",
            survivorRecorder.downReasons().getFirst());
        assertFalse(survivor.isConnected());
        assertFalse(survivor.send(1, bytes("into the gap")));
        Thread.sleep(150);

        final Recorder freshRecorder = recorder();
        final SyncChannel fresh = restartConnector ?
            open(context(LOW, HIGH, port, KEY, freshRecorder, errors)) :
            open(context(HIGH, LOW, port, KEY, freshRecorder, errors));
        survivorRecorder.awaitUps(2, 5_000);
        freshRecorder.awaitUps(1, 5_000);
        assertTrue(survivor.send(2, bytes("to the new peer")));
        assertTrue(fresh.send(2, bytes("from the new peer")));
        await("messages both ways in the new session", 5_000, () ->
            freshRecorder.texts().equals(List.of("to the new peer")) &&
            survivorRecorder.texts().equals(List.of("from the new peer")));
        assertEquals(2, survivorRecorder.messages.getFirst().session(), "delivered in the survivor's 2nd session");

        final SyncCounters counters = survivor.counters();
        assertEquals(2, counters.sessionsEstablished());
        assertEquals(1, counters.sessionLosses(SessionLoss.PEER_CLOSED));
        if (!restartConnector)
        {
            assertTrue(counters.connectFailures() >= 1, "the connector retried while nobody listened");
        }
    }

    @Test
    void shouldDeclareASilentPeerDeadAfterDeadAfterMs() throws Exception
    {
        final int port = freePort();
        final Recorder highRecorder = recorder();
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors).deadAfterMs(400));
        try (RawPeer peer = RawPeer.connect(LOW, HIGH, port, KEY, "raw-peer"))
        {
            assertEquals("node-127.0.0.2", peer.handshake());
            highRecorder.awaitUps(1, 2_000);
            assertEquals("raw-peer", high.peerName());
            // the channel's heartbeats are well-formed frames of its session
            assertEquals(TYPE_HEARTBEAT, peer.read().type());
            assertEquals(0, peer.read().payload().length);

            // the peer completed the handshake and then says nothing, as a frozen VM would
            highRecorder.awaitDowns(1, 3_000);
            final long aliveMs = TimeUnit.NANOSECONDS.toMillis(
                highRecorder.events.get(1).atNs() - highRecorder.events.get(0).atNs());
            assertTrue(aliveMs >= 350 && aliveMs < 400 + 1_500, "declared dead after " + aliveMs + " ms");
            assertTrue(highRecorder.downReasons().getFirst().startsWith("PEER_DEAD: nothing received for "),
                highRecorder.downReasons().toString());
            assertEquals(1, high.counters().sessionLosses(SessionLoss.PEER_DEAD));
            assertTrue(high.counters().heartbeatsMissed() >= 2, "missed: " + high.counters().heartbeatsMissed());

            // and the dead session's connection is reset: after its last heartbeats, the stream ends
            boolean ended = false;
            for (int i = 0; i < 100 && !ended; i++)
            {
                try
                {
                    peer.read();
                }
                catch (final IOException ex)
                {
                    ended = true;
                }
            }
            assertTrue(ended);
        }
    }

    @Test
    void shouldDeclareAFrozenPeerDeadAndRecoverWhenItThaws() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors).deadAfterMs(300));
        open(context(HIGH, LOW, port, KEY, highRecorder, errors).deadAfterMs(300));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);

        final CountDownLatch thaw = new CountDownLatch(1);
        highRecorder.holdInOnMessage = thaw;
        try
        {
            assertTrue(low.send(1, bytes("freeze")));
            lowRecorder.awaitDowns(1, 3_000);
            assertTrue(lowRecorder.downReasons().getFirst().startsWith("PEER_DEAD"), lowRecorder.events.toString());
        }
        finally
        {
            highRecorder.holdInOnMessage = null;
            thaw.countDown();
        }
        lowRecorder.awaitUps(2, 10_000);
        highRecorder.awaitUps(2, 10_000);
        assertTrue(low.send(1, bytes("thawed")));
        await("message after the thaw", 5_000, () -> highRecorder.texts().contains("thawed"));
    }

    @Test
    void shouldReplaceTheSessionWhenThePeerAuthenticatesANewConnection() throws Exception
    {
        final int port = freePort();
        final Recorder highRecorder = recorder();
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors).deadAfterMs(10_000));
        try (RawPeer first = RawPeer.connect(LOW, HIGH, port, KEY, "first"))
        {
            first.handshake();
            highRecorder.awaitUps(1, 2_000);
            first.send(4, bytes("one"));
            await("first message", 2_000, () -> highRecorder.texts().equals(List.of("one")));

            // the peer restarted without this node noticing: the old session stays until the new one authenticates
            final RawPeer second = track(RawPeer.connect(LOW, HIGH, port, KEY, "second"));
            second.handshake();
            highRecorder.awaitUps(2, 2_000);
            assertEquals(List.of("REPLACED: a new authenticated connection from the peer replaced it"),
                highRecorder.downReasons());
            assertEquals("second", high.peerName());
            second.send(4, bytes("two"));
            await("second message", 2_000, () -> highRecorder.texts().equals(List.of("one", "two")));
            assertEquals(1, high.counters().sessionLosses(SessionLoss.REPLACED));
        }
    }

    @Test
    void shouldEndTheSessionWhenTheHandlerThrowsAndStartANewOne() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncHandler throwing = new SyncHandler()
        {
            public void onSessionUp(final String peerName)
            {
                highRecorder.onSessionUp(peerName);
            }

            public void onMessage(final int type, final ByteBuffer payload)
            {
                highRecorder.onMessage(type, payload);
                if (StandardCharsets.UTF_8.decode(payload.duplicate().rewind()).toString().equals("boom"))
                {
                    throw new IllegalStateException("cannot apply");
                }
            }

            public void onSessionDown(final String reason)
            {
                highRecorder.onSessionDown(reason);
            }
        };
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, throwing, errors));
        highRecorder.awaitUps(1, 5_000);
        lowRecorder.awaitUps(1, 5_000);
        assertTrue(low.send(1, bytes("boom")));
        highRecorder.awaitUps(2, 5_000);
        lowRecorder.awaitUps(2, 5_000);
        assertTrue(highRecorder.downReasons().getFirst().startsWith("HANDLER_ERROR: onMessage threw"),
            highRecorder.downReasons().toString());
        assertEquals(1, high.counters().handlerErrors());
        assertEquals(1, errors.size());
        assertTrue(errors.getFirst() instanceof IllegalStateException);
        errors.clear();
        assertTrue(low.send(1, bytes("after")));
        await("message in the new session", 5_000, () -> highRecorder.texts().contains("after"));
    }

    @Test
    void shouldRefuseToQueueBeyondTheBoundAndResetTheSessionWhenThePeerDoesNotRead() throws Exception
    {
        final int port = freePort();
        final long bound = 1024 * 1024;
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors)
            .maxFrameLength(256 * 1024).outboundQueueBytes(bound).deadAfterMs(20_000));
        open(context(HIGH, LOW, port, KEY, highRecorder, errors).maxFrameLength(256 * 1024).deadAfterMs(20_000));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);

        final CountDownLatch thaw = new CountDownLatch(1);
        highRecorder.holdInOnMessage = thaw;
        final byte[] batch = new byte[64 * 1024];
        int accepted = 0;
        long maxQueued = 0;
        try
        {
            final long deadlineNs = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
            boolean refused = false;
            for (int i = 0; i < 100_000 && !refused && System.nanoTime() < deadlineNs; i++)
            {
                if (low.send(1, batch))
                {
                    accepted++;
                }
                else
                {
                    refused = true;
                }
                maxQueued = Math.max(maxQueued, low.queuedBytes());
            }
            assertTrue(refused, "send refused once the queue is full; accepted " + accepted);
            assertEquals(1, low.counters().queueOverflows());
            assertTrue(maxQueued <= bound, "queued at most the bound: " + maxQueued);
            assertFalse(low.isConnected(), "a session with a gap is not connected");
            assertFalse(low.send(1, batch), "nothing more is accepted into a session with a gap");
            lowRecorder.awaitDowns(1, 3_000);
            assertTrue(lowRecorder.downReasons().getFirst().startsWith("QUEUE_OVERFLOW: outbound queue full"),
                lowRecorder.downReasons().toString());
            assertEquals(1, low.counters().sessionLosses(SessionLoss.QUEUE_OVERFLOW));
            assertEquals(0, low.queuedBytes(), "the dead session's queue is gone");
        }
        finally
        {
            highRecorder.holdInOnMessage = null;
            thaw.countDown();
        }
        lowRecorder.awaitUps(2, 10_000);
        highRecorder.awaitUps(2, 10_000);
        assertTrue(low.send(2, bytes("resync after the overflow")));
        await("message in the new session", 5_000, () -> highRecorder.texts().contains("resync after the overflow"));
        assertTrue(accepted > 1, "some batches went through first: " + accepted);
    }

    @Test
    void shouldRetryToListenWhileThePortIsTaken() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel high;
        try (ServerSocket squatter = new ServerSocket())
        {
            squatter.bind(new InetSocketAddress(InetAddress.getByName(HIGH), port));
            high = open(context(HIGH, LOW, port, KEY, highRecorder, errors));
            await("bind retried", 5_000, () -> high.counters().listenFailures() >= 2);
            assertTrue(high.lastFailure().startsWith("cannot listen on 127.0.0.2:" + port), high.lastFailure());
        }
        open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        highRecorder.awaitUps(1, 5_000);
        lowRecorder.awaitUps(1, 5_000);
    }

    @Test
    void shouldSleepBetweenHeartbeatsWhenIdle() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        final SyncChannel high = open(context(HIGH, LOW, port, KEY, highRecorder, errors));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);
        final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        final long lowCpuNs = threads.getThreadCpuTime(low.thread().threadId());
        final long highCpuNs = threads.getThreadCpuTime(high.thread().threadId());
        final long framesBefore = high.counters().framesReceived();
        Thread.sleep(1_000);
        final long lowUsedMs = (threads.getThreadCpuTime(low.thread().threadId()) - lowCpuNs) / 1_000_000;
        final long highUsedMs = (threads.getThreadCpuTime(high.thread().threadId()) - highCpuNs) / 1_000_000;
        // a spinning thread would use about 1000 ms here; heartbeats every 50 ms cost well under 1 ms each
        assertTrue(lowUsedMs < 250 && highUsedMs < 250, "CPU in 1 s idle: " + lowUsedMs + ", " + highUsedMs + " ms");
        final long heartbeats = high.counters().framesReceived() - framesBefore;
        assertTrue(heartbeats >= 10 && heartbeats <= 25, "heartbeats in 1 s at 50 ms: " + heartbeats);
        assertTrue(high.counters().heartbeatsMissed() <= 3, "missed: " + high.counters().heartbeatsMissed());
    }

    @Test
    void shouldCloseFromACallbackAndStillEndTheSession() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final AtomicReference<SyncChannel> highRef = new AtomicReference<>();
        final SyncHandler closing = new SyncHandler()
        {
            public void onSessionUp(final String peerName)
            {
                highRecorder.onSessionUp(peerName);
            }

            public void onMessage(final int type, final ByteBuffer payload)
            {
                highRecorder.onMessage(type, payload);
                highRef.get().close();
            }

            public void onSessionDown(final String reason)
            {
                highRecorder.onSessionDown(reason);
            }
        };
        final SyncChannel low = open(context(LOW, HIGH, port, KEY, lowRecorder, errors));
        highRef.set(open(context(HIGH, LOW, port, KEY, closing, errors)));
        lowRecorder.awaitUps(1, 5_000);
        highRecorder.awaitUps(1, 5_000);
        assertTrue(low.send(1, bytes("stop")));
        // queued, or refused if the close has already arrived; either way the stopped channel does not deliver it
        low.send(1, bytes("never delivered: the channel stops after the callback"));
        highRecorder.awaitDowns(1, 5_000);
        highRef.get().thread().join(5_000);
        assertFalse(highRef.get().thread().isAlive());
        assertEquals(List.of("CLOSED: channel closed"), highRecorder.downReasons());
        assertEquals(List.of("stop"), highRecorder.texts());
        lowRecorder.awaitDowns(1, 5_000);
        assertTrue(lowRecorder.downReasons().getFirst().startsWith("PEER_CLOSED"), lowRecorder.events.toString());
    }

    @Test
    void shouldRunWithoutAKeyWhenNeitherSideHasOne() throws Exception
    {
        final int port = freePort();
        final Recorder lowRecorder = recorder();
        final Recorder highRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, port, null, lowRecorder, errors));
        open(context(HIGH, LOW, port, null, highRecorder, errors));
        lowRecorder.awaitUps(1, 5_000);
        assertTrue(low.send(127, bytes("unauthenticated but checked")));
        await("message", 5_000, () -> highRecorder.texts().equals(List.of("unauthenticated but checked")));
        assertEquals(127, highRecorder.messages.getFirst().type());
    }

    @Test
    void shouldRefuseSendsWithoutASessionAndRetryTheConnection() throws Exception
    {
        final Recorder lowRecorder = recorder();
        final SyncChannel low = open(context(LOW, HIGH, freePort(), KEY, lowRecorder, errors));
        assertFalse(low.isConnected());
        assertFalse(low.send(1, bytes("nobody there")));
        assertEquals(1, low.counters().sendsRejected());
        assertEquals(0, low.queuedBytes());
        assertEquals(0, low.outboundQueueFreeBytes());
        await("connection attempts retried", 5_000, () -> low.counters().connectFailures() >= 3);
        assertTrue(low.lastFailure().startsWith("cannot connect to"), low.lastFailure());

        assertThrows(IllegalArgumentException.class, () -> low.send(0, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> low.send(128, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> low.send(-1, new byte[1]));
        assertThrows(IllegalArgumentException.class, () -> low.send(1, new byte[low.maxPayloadLength() + 1]));
        assertThrows(IndexOutOfBoundsException.class, () -> low.send(1, new byte[4], 2, 3));
        assertEquals(List.of(), lowRecorder.events);
    }

    @Test
    void shouldCheckSettingsAndFillDefaults()
    {
        final Supplier<SyncChannel.Context> base =
            () -> new SyncChannel.Context().localAddress(LOW).peerAddress(HIGH).handler(new Recorder());
        final SyncChannel.Context defaults = base.get().conclude();
        assertEquals(SyncChannel.DEFAULT_PORT, defaults.port());
        assertEquals(100, defaults.heartbeatIntervalMs());
        assertEquals(500, defaults.deadAfterMs());
        assertEquals(8 * 1024 * 1024, defaults.maxFrameLength());
        assertEquals(64L * 1024 * 1024, defaults.outboundQueueBytes());
        assertEquals(LOW, defaults.nodeName());
        assertNull(defaults.key());

        final List<Supplier<SyncChannel.Context>> bad = List.of(
            () -> base.get().peerAddress(LOW),
            () -> base.get().peerAddress(null),
            () -> base.get().localAddress("127.0.0"),
            () -> base.get().localAddress("127.0.0.256"),
            () -> base.get().localAddress("127.0.0.+1"),
            () -> base.get().localAddress("localhost"),
            () -> base.get().key(new byte[SyncChannel.MIN_KEY_LENGTH - 1]),
            () -> base.get().heartbeatIntervalMs(100).deadAfterMs(150),
            () -> base.get().heartbeatIntervalMs(0),
            () -> base.get().outboundQueueBytes(1_000),
            () -> base.get().maxFrameLength(100),
            () -> base.get().port(0),
            () -> base.get().port(65_536),
            () -> base.get().nodeName(""),
            () -> base.get().nodeName("x".repeat(65)),
            () -> base.get().reconnectInitialBackoffMs(100).reconnectMaxBackoffMs(50),
            () -> base.get().handler(null));
        for (int i = 0; i < bad.size(); i++)
        {
            final SyncChannel.Context context = bad.get(i).get();
            try
            {
                context.conclude();
                fail("setting " + i + " must be refused");
            }
            catch (final IllegalArgumentException expected)
            {
                // refused, as it should be
            }
        }
    }
}
