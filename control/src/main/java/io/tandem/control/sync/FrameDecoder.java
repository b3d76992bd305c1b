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
 * Reads and checks frames (see {@link SyncFrameDescriptor}) for one direction of one connection. The header is
 * checked as soon as it is there (checksum, version, flags, length, type, sequence), so a bad frame is rejected
 * before its payload arrives; the MAC is checked once the whole frame is there, before anything is handed on.
 * <p>
 * Not thread-safe: one decoder belongs to one connection on the channel's thread.
 */
final class FrameDecoder
{
    /** {@link #decode} found a whole, valid frame. */
    static final int FRAME_OK = 0;
    /** {@link #decode} needs {@link #requiredLength()} bytes from the frame's start; nothing was consumed. */
    static final int FRAME_INCOMPLETE = 1;
    /** {@link #decode} rejected the frame: see {@link #error()}; the connection must end. */
    static final int FRAME_ERROR = 2;

    private final Mac mac;
    private final CRC32C crc = new CRC32C();
    private final byte[] macScratch = new byte[MAC_LENGTH];
    private long expectedSequence;
    private int maxFrameLength;
    private int requiredLength;
    private int type;
    private long sequence;
    private int payloadOffset;
    private int payloadLength;
    private FrameError error;
    private String errorDetail;

    FrameDecoder()
    {
        mac = Handshake.newMac();
    }

    /**
     * Starts afresh with a key, the first expected sequence number and a length limit.
     *
     * @param key              32 bytes of HMAC-SHA256 key.
     * @param expectedSequence the sequence number the next frame must carry.
     * @param maxFrameLength   the longest acceptable frame, header and MAC included.
     */
    void reset(final byte[] key, final long expectedSequence, final int maxFrameLength)
    {
        try
        {
            mac.init(new SecretKeySpec(key, Handshake.HMAC_ALGORITHM));
        }
        catch (final InvalidKeyException ex)
        {
            throw new IllegalStateException(ex);
        }
        this.expectedSequence = expectedSequence;
        this.maxFrameLength = maxFrameLength;
        error = null;
        errorDetail = null;
    }

    /** @param maxFrameLength the longest acceptable frame from now on. */
    void maxFrameLength(final int maxFrameLength)
    {
        this.maxFrameLength = maxFrameLength;
    }

    /**
     * Decodes the frame that starts at {@code src}'s position.
     *
     * @param src bytes in read mode. On {@link #FRAME_OK} its position moves past the frame; otherwise it is unmoved.
     * @return {@link #FRAME_OK}, {@link #FRAME_INCOMPLETE} or {@link #FRAME_ERROR}.
     */
    int decode(final ByteBuffer src)
    {
        final int start = src.position();
        final int available = src.limit() - start;
        if (available < HEADER_LENGTH)
        {
            requiredLength = HEADER_LENGTH;
            return FRAME_INCOMPLETE;
        }

        crc.reset();
        for (int i = 0; i < CHECKSUM_OFFSET; i++)
        {
            crc.update(src.get(start + i));
        }
        if ((int)crc.getValue() != src.getInt(start + CHECKSUM_OFFSET))
        {
            return fail(FrameError.BAD_CHECKSUM, "header checksum mismatch");
        }
        final int version = src.get(start + VERSION_OFFSET) & 0xFF;
        if (VERSION != version)
        {
            return fail(FrameError.BAD_VERSION, "version " + version);
        }
        final int flags = src.getShort(start + FLAGS_OFFSET) & 0xFFFF;
        if (0 != flags)
        {
            return fail(FrameError.BAD_FLAGS, "flags " + flags);
        }
        final int frameLength = src.getInt(start + LENGTH_OFFSET);
        if (frameLength < FRAME_OVERHEAD || frameLength > maxFrameLength)
        {
            return fail(FrameError.BAD_LENGTH, "frame length " + frameLength + ", limit " + maxFrameLength);
        }
        final int frameType = src.get(start + TYPE_OFFSET) & 0xFF;
        if (!SyncFrameDescriptor.isKnownType(frameType))
        {
            return fail(FrameError.BAD_TYPE, "type " + frameType);
        }
        final long frameSequence = src.getLong(start + SEQUENCE_OFFSET);
        if (frameSequence != expectedSequence)
        {
            return fail(FrameError.BAD_SEQUENCE, "sequence " + frameSequence + ", expected " + expectedSequence);
        }
        if (available < frameLength)
        {
            requiredLength = frameLength;
            return FRAME_INCOMPLETE;
        }

        final int macOffset = start + frameLength - MAC_LENGTH;
        final int limit = src.limit();
        src.limit(macOffset);
        mac.update(src);
        src.limit(limit);
        src.position(start);
        try
        {
            mac.doFinal(macScratch, 0);
        }
        catch (final ShortBufferException ex)
        {
            throw new IllegalStateException(ex);
        }
        int difference = 0;
        for (int i = 0; i < MAC_LENGTH; i++)
        {
            difference |= macScratch[i] ^ src.get(macOffset + i);
        }
        if (0 != difference)
        {
            return fail(FrameError.BAD_MAC, "MAC mismatch at sequence " + frameSequence);
        }

        expectedSequence++;
        type = frameType;
        sequence = frameSequence;
        payloadOffset = start + HEADER_LENGTH;
        payloadLength = frameLength - FRAME_OVERHEAD;
        src.position(start + frameLength);
        return FRAME_OK;
    }

    private int fail(final FrameError error, final String detail)
    {
        this.error = error;
        errorDetail = detail;
        return FRAME_ERROR;
    }

    /** @return after {@link #FRAME_INCOMPLETE}: the bytes needed from the frame's start. */
    int requiredLength()
    {
        return requiredLength;
    }

    /** @return after {@link #FRAME_OK}: the frame's type. */
    int type()
    {
        return type;
    }

    /** @return after {@link #FRAME_OK}: the frame's sequence number. */
    long sequence()
    {
        return sequence;
    }

    /** @return after {@link #FRAME_OK}: the absolute index of the payload in the decoded buffer. */
    int payloadOffset()
    {
        return payloadOffset;
    }

    /** @return after {@link #FRAME_OK}: the payload's length. */
    int payloadLength()
    {
        return payloadLength;
    }

    /** @return the sequence number the next frame must carry. */
    long expectedSequence()
    {
        return expectedSequence;
    }

    /** @return after {@link #FRAME_ERROR}: what was wrong. */
    FrameError error()
    {
        return error;
    }

    /** @return after {@link #FRAME_ERROR}: a human-readable detail. */
    String errorDetail()
    {
        return errorDetail;
    }
}
