package io.tandem.dataplane.port;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * A port backed by two off-heap rings of fixed-size slots, for golden-packet tests, fuzzing and benchmarks: the
 * test {@link #inject injects} frames, the worker receives them, and the test {@link #drainTransmitted drains}
 * what the worker sent. Like the AF_PACKET ring, received frames are writable in place and transmitted frames are
 * copied into a slot, so the worker's path is the same; in steady state nothing is allocated.
 * <p>
 * Not thread-safe: the injecting thread must be the worker's thread (or hand over with its own synchronisation).
 */
public final class InMemoryPort implements PacketPort
{
    private final int slotLength;
    private final int slots;
    private final int slotMask;
    private final UnsafeBuffer rx;
    private final int[] rxLengths;
    private final int[] rxFlags;
    private final UnsafeBuffer tx;
    private final int[] txLengths;
    private long rxHead;
    private long rxTail;
    private long txHead;
    private long txTail;
    private int flushes;

    /**
     * @param slots      frames each ring holds, a power of two.
     * @param slotLength largest frame in bytes.
     */
    public InMemoryPort(final int slots, final int slotLength)
    {
        if (Integer.bitCount(slots) != 1 || slotLength < 1)
        {
            throw new IllegalArgumentException("slots must be a power of two and slotLength positive");
        }
        this.slots = slots;
        this.slotMask = slots - 1;
        this.slotLength = slotLength;
        this.rx = new UnsafeBuffer(ByteBuffer.allocateDirect(slots * slotLength));
        this.tx = new UnsafeBuffer(ByteBuffer.allocateDirect(slots * slotLength));
        this.rxLengths = new int[slots];
        this.rxFlags = new int[slots];
        this.txLengths = new int[slots];
    }

    /**
     * Queues a frame to be received.
     *
     * @param frame  bytes of the frame.
     * @param offset of the frame in {@code frame}.
     * @param length of the frame.
     * @param flags  frame flags, e.g. {@link #FRAME_CHECKSUM_VERIFIED}.
     * @return false when the receive ring is full or the frame is longer than a slot.
     */
    public boolean inject(final DirectBuffer frame, final int offset, final int length, final int flags)
    {
        if (rxTail - rxHead == slots || length > slotLength || length < 0)
        {
            return false;
        }
        final int slot = (int)rxTail & slotMask;
        rx.putBytes(slot * slotLength, frame, offset, length);
        rxLengths[slot] = length;
        rxFlags[slot] = flags;
        rxTail++;
        return true;
    }

    /** Queues a frame to be received, with no flags. Allocates; for tests. */
    public boolean inject(final byte[] frame)
    {
        return inject(new UnsafeBuffer(frame), 0, frame.length, 0);
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        int count = 0;
        while (count < limit && rxHead < rxTail)
        {
            final int slot = (int)rxHead & slotMask;
            rxHead++;
            count++;
            handler.onFrame(rx, slot * slotLength, rxLengths[slot], rxFlags[slot]);
        }
        return count;
    }

    @Override
    public boolean transmit(final DirectBuffer buffer, final int offset, final int length)
    {
        if (txTail - txHead == slots || length > slotLength)
        {
            return false;
        }
        final int slot = (int)txTail & slotMask;
        tx.putBytes(slot * slotLength, buffer, offset, length);
        txLengths[slot] = length;
        txTail++;
        return true;
    }

    @Override
    public void flush()
    {
        flushes++;
    }

    /** @return frames waiting to be received. */
    public int pendingReceive()
    {
        return (int)(rxTail - rxHead);
    }

    /** @return frames transmitted and not yet drained. */
    public int pendingTransmit()
    {
        return (int)(txTail - txHead);
    }

    /** @return how often the worker flushed. */
    public int flushes()
    {
        return flushes;
    }

    /** Discards transmitted frames without copying them out (allocation-free, for benchmarks). */
    public void discardTransmitted()
    {
        txHead = txTail;
    }

    /** @return copies of the transmitted frames, oldest first, and forgets them. Allocates; for tests. */
    public List<byte[]> drainTransmitted()
    {
        final List<byte[]> frames = new ArrayList<>();
        while (txHead < txTail)
        {
            final int slot = (int)txHead & slotMask;
            final byte[] frame = new byte[txLengths[slot]];
            tx.getBytes(slot * slotLength, frame);
            frames.add(frame);
            txHead++;
        }
        return frames;
    }

    @Override
    public void close()
    {
    }
}
