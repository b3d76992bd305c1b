package io.tandem.dataplane.flow;

import org.agrona.UnsafeApi;

import java.lang.foreign.MemorySegment;

/**
 * Native-order access to a region of off-heap memory whose offsets the data plane computes itself: the flow table's
 * index and records. Unlike Agrona's {@code UnsafeBuffer}, every access is bounds-checked only by {@code assert}, so
 * the tests (which run with {@code -ea}) check every offset while the forwarding path pays nothing for it.
 * <p>
 * Packet bytes never go through this class: they come from the wire, and their buffers keep Agrona's bounds checks
 * on in production as a second line of defence behind the parser's own length checks.
 * <p>
 * Not thread-safe; the memory belongs to the segment it was created over and must outlive this object.
 */
public final class RawMemory
{
    private final long address;
    private final int capacity;

    /**
     * @param segment the memory, at most 2 GiB.
     */
    public RawMemory(final MemorySegment segment)
    {
        if (segment.byteSize() > Integer.MAX_VALUE)
        {
            throw new IllegalArgumentException("region larger than 2 GiB: " + segment.byteSize());
        }
        this.address = segment.address();
        this.capacity = (int)segment.byteSize();
    }

    /** @return size of the region in bytes. */
    public int capacity()
    {
        return capacity;
    }

    private boolean inBounds(final int offset, final int length)
    {
        return offset >= 0 && offset <= capacity - length;
    }

    /** @return the byte at {@code offset}. */
    public byte getByte(final int offset)
    {
        assert inBounds(offset, 1) : offset;
        return UnsafeApi.getByte(address + offset);
    }

    /** Stores a byte at {@code offset}. */
    public void putByte(final int offset, final byte value)
    {
        assert inBounds(offset, 1) : offset;
        UnsafeApi.putByte(address + offset, value);
    }

    /** @return the short at {@code offset}, native order. */
    public short getShort(final int offset)
    {
        assert inBounds(offset, 2) : offset;
        return UnsafeApi.getShort(address + offset);
    }

    /** Stores a short at {@code offset}, native order. */
    public void putShort(final int offset, final short value)
    {
        assert inBounds(offset, 2) : offset;
        UnsafeApi.putShort(address + offset, value);
    }

    /** @return the int at {@code offset}, native order. */
    public int getInt(final int offset)
    {
        assert inBounds(offset, 4) : offset;
        return UnsafeApi.getInt(address + offset);
    }

    /** Stores an int at {@code offset}, native order. */
    public void putInt(final int offset, final int value)
    {
        assert inBounds(offset, 4) : offset;
        UnsafeApi.putInt(address + offset, value);
    }

    /** @return the long at {@code offset}, native order. */
    public long getLong(final int offset)
    {
        assert inBounds(offset, 8) : offset;
        return UnsafeApi.getLong(address + offset);
    }

    /** Stores a long at {@code offset}, native order. */
    public void putLong(final int offset, final long value)
    {
        assert inBounds(offset, 8) : offset;
        UnsafeApi.putLong(address + offset, value);
    }

    /** Fills {@code length} bytes from {@code offset} with {@code value}. */
    public void setMemory(final int offset, final int length, final byte value)
    {
        assert length >= 0 && inBounds(offset, length) : offset + "+" + length;
        UnsafeApi.setMemory(address + offset, length, value);
    }
}
