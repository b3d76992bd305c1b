package io.tandem.dataplane.packet;

import org.agrona.MutableDirectBuffer;
import org.agrona.UnsafeApi;

/**
 * Base of the header flyweights: a buffer and the offset of the header in it. Subclasses read and write fields
 * in network byte order with accessors named after the field, without get/set prefixes.
 * <p>
 * Field accessors do not bounds-check in production: whoever wraps a flyweight over a frame must first have checked
 * that the frame holds the header (the worker's parser does, before it reads a field). Every access is checked by
 * {@code assert} against the buffer's capacity, so tests and fuzzing, which run with {@code -ea}, catch a parser
 * that reads or writes past a frame. This is the Aeron approach to bounds checks on the hot path; one check per frame
 * in the parser replaces one per field.
 * <p>
 * Not thread-safe; one instance per worker, wrapped anew for each frame. Wrapping never allocates.
 */
public abstract class HeaderFlyweight
{
    /** The buffer the header lives in. */
    protected MutableDirectBuffer buffer;
    /** Offset of the first byte of the header in {@link #buffer}. */
    protected int offset;
    private byte[] array;
    private long address;
    private int capacity;

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
        this.array = buffer.byteArray();
        this.address = buffer.addressOffset() + offset;
        this.capacity = buffer.capacity();
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

    private boolean inBounds(final int fieldOffset, final int length)
    {
        final int index = offset + fieldOffset;
        return index >= 0 && index <= capacity - length;
    }

    /** Reads an unsigned 16-bit big-endian field. */
    protected final int u16(final int fieldOffset)
    {
        assert inBounds(fieldOffset, 2) : fieldOffset;
        return UnsafeApi.getShortUnaligned(array, address + fieldOffset, true) & 0xFFFF;
    }

    /** Writes a 16-bit big-endian field. */
    protected final void u16(final int fieldOffset, final int value)
    {
        assert inBounds(fieldOffset, 2) : fieldOffset;
        UnsafeApi.putShortUnaligned(array, address + fieldOffset, (short)value, true);
    }

    /** Reads a 32-bit big-endian field. */
    protected final int i32(final int fieldOffset)
    {
        assert inBounds(fieldOffset, 4) : fieldOffset;
        return UnsafeApi.getIntUnaligned(array, address + fieldOffset, true);
    }

    /** Writes a 32-bit big-endian field. */
    protected final void i32(final int fieldOffset, final int value)
    {
        assert inBounds(fieldOffset, 4) : fieldOffset;
        UnsafeApi.putIntUnaligned(array, address + fieldOffset, value, true);
    }

    /** Reads an unsigned byte. */
    protected final int u8(final int fieldOffset)
    {
        assert inBounds(fieldOffset, 1) : fieldOffset;
        return UnsafeApi.getByte(array, address + fieldOffset) & 0xFF;
    }

    /** Writes a byte. */
    protected final void u8(final int fieldOffset, final int value)
    {
        assert inBounds(fieldOffset, 1) : fieldOffset;
        UnsafeApi.putByte(array, address + fieldOffset, (byte)value);
    }

    /** Reads a 48-bit MAC address into the low bits of a long. */
    protected final long mac48(final int fieldOffset)
    {
        return ((long)i32(fieldOffset) & 0xFFFF_FFFFL) << 16 | u16(fieldOffset + 4);
    }

    /** Writes the low 48 bits of {@code mac} as a MAC address. */
    protected final void mac48(final int fieldOffset, final long mac)
    {
        i32(fieldOffset, (int)(mac >>> 16));
        u16(fieldOffset + 4, (int)mac);
    }
}
