package io.tandem.control.sync;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import java.util.zip.CRC32C;

import static io.tandem.control.sync.SyncFrameDescriptor.CHECKSUM_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.FRAME_OVERHEAD;
import static io.tandem.control.sync.SyncFrameDescriptor.HEADER_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_HEARTBEAT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The frame codec and the handshake's cryptography on their own, without sockets. */
class SyncFrameCodecTest
{
    private static final int MAX_FRAME_LENGTH = 1024 * 1024;
    private static final byte[] ROOT = Handshake.rootKey(SyncFixtures.KEY);
    private static final byte[] NAME_C = "node-c".getBytes(StandardCharsets.UTF_8);
    private static final byte[] NAME_A = "node-a".getBytes(StandardCharsets.UTF_8);

    private static byte[] nonce(final int seed)
    {
        final byte[] nonce = new byte[Handshake.NONCE_LENGTH];
        new Random(seed).nextBytes(nonce);
        return nonce;
    }

    private static FrameEncoder encoder(final byte[] key, final long sequence)
    {
        final FrameEncoder encoder = new FrameEncoder();
        encoder.reset(key, sequence);
        return encoder;
    }

    private static FrameDecoder decoder(final byte[] key, final long sequence)
    {
        final FrameDecoder decoder = new FrameDecoder();
        decoder.reset(key, sequence, MAX_FRAME_LENGTH);
        return decoder;
    }

    private static byte[] connectorKey(final byte[] nonceC, final byte[] nonceA)
    {
        return Handshake.directionKey(ROOT, Handshake.ROLE_CONNECTOR, nonceC, nonceA);
    }

    @Test
    void shouldRoundTripFramesWrittenInPiecesThroughASmallBuffer()
    {
        final byte[] key = connectorKey(nonce(1), nonce(2));
        final FrameEncoder encoder = encoder(key, 2);
        final FrameDecoder decoder = decoder(key, 2);
        final Random random = new Random(7);
        final ByteBuffer stream = ByteBuffer.allocate(4 * 1024 * 1024);
        final int[] sizes = { 0, 1, 31, 32, 33, 100, 4096, 65_536, 300_000, MAX_FRAME_LENGTH - FRAME_OVERHEAD };
        final byte[][] payloads = new byte[sizes.length][];
        final ByteBuffer piece = ByteBuffer.allocate(97);
        for (int i = 0; i < sizes.length; i++)
        {
            payloads[i] = new byte[sizes[i]];
            random.nextBytes(payloads[i]);
            encoder.begin(1 + i, payloads[i], 0, sizes[i]);
            boolean complete = false;
            for (int rounds = 0; !complete && rounds < 100_000; rounds++)
            {
                complete = encoder.encode(piece);
                piece.flip();
                stream.put(piece);
                piece.clear();
            }
            assertTrue(complete, "frame " + i + " complete");
            assertFalse(encoder.inProgress());
        }
        assertEquals(2 + sizes.length, encoder.sequence());

        stream.flip();
        for (int i = 0; i < sizes.length; i++)
        {
            // every prefix short of the whole frame is incomplete and consumes nothing
            final int start = stream.position();
            final int limit = stream.limit();
            stream.limit(start + FRAME_OVERHEAD + sizes[i] - 1);
            assertEquals(FrameDecoder.FRAME_INCOMPLETE, decoder.decode(stream));
            assertEquals(start, stream.position());
            stream.limit(limit);

            assertEquals(FrameDecoder.FRAME_OK, decoder.decode(stream), "frame " + i);
            assertEquals(1 + i, decoder.type());
            assertEquals(2 + i, decoder.sequence());
            final byte[] payload = Arrays.copyOfRange(stream.array(), decoder.payloadOffset(),
                decoder.payloadOffset() + decoder.payloadLength());
            assertArrayEquals(payloads[i], payload, "payload " + i);
        }
        assertFalse(stream.hasRemaining());
    }

    @Test
    void shouldRejectAFrameReplayedFromAnotherSession()
    {
        final byte[] firstSessionKey = connectorKey(nonce(1), nonce(2));
        final byte[] secondSessionKey = connectorKey(nonce(3), nonce(4));
        final byte[] captured = encoder(firstSessionKey, 2).encodeFrame(5, "flow insert".getBytes());

        // same position in the stream of the next session: the sequence number matches, the MAC does not
        final FrameDecoder decoder = decoder(secondSessionKey, 2);
        assertEquals(FrameDecoder.FRAME_ERROR, decoder.decode(ByteBuffer.wrap(captured)));
        assertEquals(FrameError.BAD_MAC, decoder.error());

        // the same session's decoder takes it: the MAC is the only thing that tells the two apart
        assertEquals(FrameDecoder.FRAME_OK, decoder(firstSessionKey, 2).decode(ByteBuffer.wrap(captured)));
    }

    @Test
    void shouldRejectAFrameReplayedOrReorderedWithinASession()
    {
        final byte[] key = connectorKey(nonce(1), nonce(2));
        final FrameEncoder encoder = encoder(key, 2);
        final byte[] first = encoder.encodeFrame(5, "one".getBytes());
        final byte[] second = encoder.encodeFrame(5, "two".getBytes());
        final byte[] third = encoder.encodeFrame(5, "three".getBytes());

        final FrameDecoder decoder = decoder(key, 2);
        assertEquals(FrameDecoder.FRAME_OK, decoder.decode(ByteBuffer.wrap(first)));
        assertEquals(FrameDecoder.FRAME_ERROR, decoder.decode(ByteBuffer.wrap(first)), "replayed");
        assertEquals(FrameError.BAD_SEQUENCE, decoder.error());

        final FrameDecoder skipping = decoder(key, 2);
        assertEquals(FrameDecoder.FRAME_OK, skipping.decode(ByteBuffer.wrap(first)));
        assertEquals(FrameDecoder.FRAME_ERROR, skipping.decode(ByteBuffer.wrap(third)), "reordered");
        assertEquals(FrameError.BAD_SEQUENCE, skipping.error());
        assertEquals(3, skipping.expectedSequence(), "a rejected frame does not advance the sequence");
        assertEquals(FrameDecoder.FRAME_OK, skipping.decode(ByteBuffer.wrap(second)));
    }

    @Test
    void shouldRejectAFrameReflectedToItsSender()
    {
        final byte[] nonceC = nonce(1);
        final byte[] nonceA = nonce(2);
        final byte[] sentByConnector = encoder(connectorKey(nonceC, nonceA), 2).encodeFrame(5, new byte[10]);
        final FrameDecoder connectorReceives =
            decoder(Handshake.directionKey(ROOT, Handshake.ROLE_ACCEPTOR, nonceC, nonceA), 2);
        assertEquals(FrameDecoder.FRAME_ERROR, connectorReceives.decode(ByteBuffer.wrap(sentByConnector)));
        assertEquals(FrameError.BAD_MAC, connectorReceives.error());
    }

    @Test
    void shouldRejectEverySingleBitFlip()
    {
        final byte[] key = connectorKey(nonce(1), nonce(2));
        final byte[] frame = encoder(key, 2).encodeFrame(9, "a flow record of some length".getBytes());
        for (int bit = 0; bit < frame.length * 8; bit++)
        {
            final byte[] corrupted = frame.clone();
            corrupted[bit / 8] ^= (byte)(1 << (bit % 8));
            final FrameDecoder decoder = decoder(key, 2);
            assertEquals(FrameDecoder.FRAME_ERROR, decoder.decode(ByteBuffer.wrap(corrupted)), "bit " + bit);
            final FrameError expected = bit / 8 < HEADER_LENGTH ? FrameError.BAD_CHECKSUM : FrameError.BAD_MAC;
            assertEquals(expected, decoder.error(), "bit " + bit);
        }
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource({
        "short length,   51,  1,   1, 0, BAD_LENGTH",
        "long length,    2000000, 1, 1, 0, BAD_LENGTH",
        "type zero,      52,  1,   0, 0, BAD_TYPE",
        "type 128+4,     52,  1, 132, 0, BAD_TYPE",
        "version 2,      52,  2,   1, 0, BAD_VERSION",
        "flags,          52,  1,   1, 1, BAD_FLAGS",
    })
    void shouldRejectAHeaderWithAValidChecksumButBadFields(
        final String name, final int length, final int version, final int type, final int flags,
        final FrameError expected)
    {
        final ByteBuffer frame = ByteBuffer.allocate(HEADER_LENGTH + 64);
        frame.putInt(0, length).put(4, (byte)version).put(5, (byte)type).putShort(6, (short)flags).putLong(8, 2);
        final CRC32C crc = new CRC32C();
        crc.update(frame.array(), 0, CHECKSUM_OFFSET);
        frame.putInt(CHECKSUM_OFFSET, (int)crc.getValue());
        final FrameDecoder decoder = decoder(new byte[32], 2);
        assertEquals(FrameDecoder.FRAME_ERROR, decoder.decode(frame), name);
        assertEquals(expected, decoder.error(), name);
        assertNotNull(decoder.errorDetail());
    }

    @Test
    void shouldRejectAFrameLongerThanTheLimitBeforeItsPayloadArrives()
    {
        final byte[] key = connectorKey(nonce(1), nonce(2));
        final byte[] frame = encoder(key, 0).encodeFrame(TYPE_HEARTBEAT, new byte[300]);
        final FrameDecoder decoder = new FrameDecoder();
        decoder.reset(key, 0, SyncFrameDescriptor.HANDSHAKE_MAX_FRAME_LENGTH);
        assertEquals(FrameDecoder.FRAME_ERROR, decoder.decode(ByteBuffer.wrap(frame, 0, HEADER_LENGTH)));
        assertEquals(FrameError.BAD_LENGTH, decoder.error());
    }

    @Test
    void shouldBindProofsToKeyRoleNoncesAndNames()
    {
        final byte[] nonceC = nonce(1);
        final byte[] nonceA = nonce(2);
        final byte[] proof = Handshake.proof(ROOT, Handshake.ROLE_CONNECTOR, nonceC, nonceA, NAME_C, NAME_A);
        assertEquals(Handshake.KEY_LENGTH, proof.length);
        assertArrayEquals(proof, Handshake.proof(ROOT, Handshake.ROLE_CONNECTOR, nonceC, nonceA, NAME_C, NAME_A));
        final byte[][] others = {
            Handshake.proof(Handshake.rootKey(SyncFixtures.OTHER_KEY), Handshake.ROLE_CONNECTOR, nonceC, nonceA,
                NAME_C, NAME_A),
            Handshake.proof(Handshake.rootKey(null), Handshake.ROLE_CONNECTOR, nonceC, nonceA, NAME_C, NAME_A),
            Handshake.proof(ROOT, Handshake.ROLE_ACCEPTOR, nonceC, nonceA, NAME_C, NAME_A),
            Handshake.proof(ROOT, Handshake.ROLE_CONNECTOR, nonceA, nonceC, NAME_C, NAME_A),
            Handshake.proof(ROOT, Handshake.ROLE_CONNECTOR, nonceC, nonceA, NAME_A, NAME_C),
        };
        for (final byte[] other : others)
        {
            assertFalse(Handshake.constantTimeEquals(proof, other));
        }
        assertFalse(Arrays.equals(Handshake.helloKey(ROOT), Handshake.helloKey(Handshake.rootKey(null))));
    }

    @Test
    void shouldParseAHelloAndRejectMalformedOnes()
    {
        final byte[] nonce = nonce(5);
        final byte[] hello = Handshake.encodeHello(Handshake.ROLE_ACCEPTOR, nonce, NAME_A);
        final Handshake.Hello parsed = Handshake.parseHello(ByteBuffer.wrap(hello));
        assertNotNull(parsed);
        assertEquals(SyncFrameDescriptor.VERSION, parsed.version());
        assertEquals(Handshake.ROLE_ACCEPTOR, parsed.role());
        assertArrayEquals(nonce, parsed.nonce());
        assertEquals("node-a", parsed.nameText());

        assertNull(Handshake.parseHello(ByteBuffer.wrap(Arrays.copyOf(hello, hello.length - 1))), "truncated");
        assertNull(Handshake.parseHello(ByteBuffer.wrap(Arrays.copyOf(hello, hello.length + 1))), "trailing byte");
        final byte[] badRole = hello.clone();
        badRole[1] = 7;
        assertNull(Handshake.parseHello(ByteBuffer.wrap(badRole)), "role");
        assertNull(Handshake.parseHello(ByteBuffer.wrap(Handshake.encodeHello(0, nonce, new byte[0]))), "no name");
    }
}
