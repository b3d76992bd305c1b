package io.tandem.dataplane.packet;

import org.agrona.MutableDirectBuffer;

/**
 * Base of the header flyweights: a buffer and the offset of the header in it. Subclasses read and write fields
 * in network byte order with accessors named after the field, without get/set prefixes.
 * <p>
 * Not thread-safe; one instance per worker, wrapped anew for each frame. Wrapping never allocates.
 */
public abstract class HeaderFlyweight
{
    /** The buffer the header lives in. */
    protected MutableDirectBuffer buffer;
    /** Offset of the first byte of the header in {@link #buffer}. */
    protected int offset;

    /**
     * Points this flyweight at a header.
     *
     * @param buffer holding the frame.
     * @param offset of the header's first byte in the buffer.
     * @return this for fluent use.
     */
    public HeaderFlyweight wrap(final MutableDirectBuffer buffer, final int offset)
    {
        this.buffer = buffer;
        this.offset = offset;
        return this;
    }

    /**
     * @return the buffer this flyweight is wrapped over.
     */
    public MutableDirectBuffer buffer()
    {
        return buffer;
    }

    /**
     * @return offset of the header in the buffer.
     */
    public int offset()
    {
        return offset;
    }

    /** Reads an unsigned 16-bit big-endian field. */
    protected final int u16(final int fieldOffset)
    {
        return Bytes.u16(buffer, offset + fieldOffset);
    }

    /** Writes a 16-bit big-endian field. */
    protected final void u16(final int fieldOffset, final int value)
    {
        Bytes.u16(buffer, offset + fieldOffset, value);
    }

    /** Reads a 32-bit big-endian field. */
    protected final int i32(final int fieldOffset)
    {
        return Bytes.i32(buffer, offset + fieldOffset);
    }

    /** Writes a 32-bit big-endian field. */
    protected final void i32(final int fieldOffset, final int value)
    {
        Bytes.i32(buffer, offset + fieldOffset, value);
    }

    /** Reads an unsigned byte. */
    protected final int u8(final int fieldOffset)
    {
        return buffer.getByte(offset + fieldOffset) & 0xFF;
    }

    /** Writes a byte. */
    protected final void u8(final int fieldOffset, final int value)
    {
        buffer.putByte(offset + fieldOffset, (byte)value);
    }
}
