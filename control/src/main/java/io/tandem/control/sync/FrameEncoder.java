package io.tandem.control.sync;

import javax.crypto.Mac;
import javax.crypto.ShortBufferException;
import javax.crypto.spec.SecretKeySpec;
import java.nio.ByteBuffer;
import java.security.InvalidKeyException;
import java.util.zip.CRC32C;

import static io.tandem.control.sync.SyncFrameDescriptor.CHECKSUM_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.FLAGS_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.FRAME_OVERHEAD;
import static io.tandem.control.sync.SyncFrameDescriptor.HEADER_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.LENGTH_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.MAC_LENGTH;
import static io.tandem.control.sync.SyncFrameDescriptor.SEQUENCE_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.TYPE_OFFSET;
import static io.tandem.control.sync.SyncFrameDescriptor.VERSION;
import static io.tandem.control.sync.SyncFrameDescriptor.VERSION_OFFSET;

/**
 * Writes frames (see {@link SyncFrameDescriptor}) for one direction of one connection: numbers them and MACs them
 * with the direction's key. A frame is written in pieces as room appears in the destination buffer, so a payload of
 * several MiB passes through a small socket write buffer without a second copy of it.
 * <p>
 * Not thread-safe: one encoder belongs to one connection on the channel's thread. The encoder keeps a reference to
 * the payload array of the frame in progress until the frame is complete; the caller must not change it before.
 */
final class FrameEncoder
{
    private static final int STAGE_IDLE = 0;
    private static final int STAGE_HEADER = 1;
    private static final int STAGE_PAYLOAD = 2;
    private static final int STAGE_MAC = 3;

    private final Mac mac;
    private final CRC32C crc = new CRC32C();
    private final byte[] header = new byte[HEADER_LENGTH];
    private final ByteBuffer headerBuffer = ByteBuffer.wrap(header);
    private final byte[] macScratch = new byte[MAC_LENGTH];
    private long sequence;
    private int stage = STAGE_IDLE;
    private byte[] payload;
    private int payloadPosition;
    private int payloadEnd;

    FrameEncoder()
    {
        mac = Handshake.newMac();
    }

    /**
     * Starts afresh with a key and a first sequence number; drops a frame in progress.
     *
     * @param key      32 bytes of HMAC-SHA256 key.
     * @param sequence the sequence number of the next frame.
     */
    void reset(final byte[] key, final long sequence)
    {
        try
        {
            mac.init(new SecretKeySpec(key, Handshake.HMAC_ALGORITHM));
        }
        catch (final InvalidKeyException ex)
        {
            throw new IllegalStateException(ex);
        }
        this.sequence = sequence;
        stage = STAGE_IDLE;
        payload = null;
    }

    /** @return the sequence number the next frame will carry. */
    long sequence()
    {
        return sequence;
    }

    /** @return whether a frame was begun and not yet written whole. */
    boolean inProgress()
    {
        return STAGE_IDLE != stage;
    }

    /**
     * Begins a frame; {@link #encode(ByteBuffer)} writes it. Takes the next sequence number.
     *
     * @param type    the frame type, 1..255.
     * @param payload the payload's array, kept by reference until the frame is complete.
     * @param offset  where the payload starts in the array.
     * @param length  the payload's length; the frame must fit an int.
     * @throws IllegalStateException when a frame is in progress.
     */
    void begin(final int type, final byte[] payload, final int offset, final int length)
    {
        if (STAGE_IDLE != stage)
        {
            throw new IllegalStateException("a frame is in progress");
        }
        headerBuffer.putInt(LENGTH_OFFSET, FRAME_OVERHEAD + length);
        headerBuffer.put(VERSION_OFFSET, (byte)VERSION);
        headerBuffer.put(TYPE_OFFSET, (byte)type);
        headerBuffer.putShort(FLAGS_OFFSET, (short)0);
        headerBuffer.putLong(SEQUENCE_OFFSET, sequence);
        crc.reset();
        crc.update(header, 0, CHECKSUM_OFFSET);
        headerBuffer.putInt(CHECKSUM_OFFSET, (int)crc.getValue());
        mac.update(header);
        sequence++;
        this.payload = payload;
        payloadPosition = offset;
        payloadEnd = offset + length;
        stage = STAGE_HEADER;
    }

    /**
     * Writes as much of the frame in progress as fits into {@code dst}: the header and the MAC only whole, the
     * payload in any pieces.
     *
     * @param dst a buffer in write mode; its position advances.
     * @return true when the frame is now complete, false when {@code dst} needs room first.
     */
    boolean encode(final ByteBuffer dst)
    {
        if (STAGE_HEADER == stage)
        {
            if (dst.remaining() < HEADER_LENGTH)
            {
                return false;
            }
            dst.put(header);
            stage = STAGE_PAYLOAD;
        }
        if (STAGE_PAYLOAD == stage)
        {
            final int length = Math.min(dst.remaining(), payloadEnd - payloadPosition);
            if (length > 0)
            {
                dst.put(payload, payloadPosition, length);
                mac.update(payload, payloadPosition, length);
                payloadPosition += length;
            }
            if (payloadPosition < payloadEnd)
            {
                return false;
            }
            stage = STAGE_MAC;
        }
        if (STAGE_MAC == stage)
        {
            if (dst.remaining() < MAC_LENGTH)
            {
                return false;
            }
            try
            {
                mac.doFinal(macScratch, 0);
            }
            catch (final ShortBufferException ex)
            {
                throw new IllegalStateException(ex);
            }
            dst.put(macScratch);
            stage = STAGE_IDLE;
            payload = null;
        }
        return true;
    }

    /**
     * Encodes a whole frame into a new array: for handshakes written by tests and for codec tests.
     *
     * @param type    the frame type.
     * @param payload the payload.
     * @return the frame's bytes.
     */
    byte[] encodeFrame(final int type, final byte[] payload)
    {
        final ByteBuffer frame = ByteBuffer.allocate(FRAME_OVERHEAD + payload.length);
        begin(type, payload, 0, payload.length);
        if (!encode(frame))
        {
            throw new IllegalStateException("a whole frame must fit");
        }
        return frame.array();
    }
}
