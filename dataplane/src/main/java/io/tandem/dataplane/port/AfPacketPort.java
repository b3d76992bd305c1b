package io.tandem.dataplane.port;

import io.tandem.ffi.Errno;
import io.tandem.ffi.LibC;
import io.tandem.ffi.PacketRing;
import io.tandem.ffi.PacketRingContext;
import io.tandem.ffi.PacketSocket;
import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static io.tandem.ffi.PacketRing.BLOCK_NUM_PKTS_OFFSET;
import static io.tandem.ffi.PacketRing.BLOCK_OFFSET_TO_FIRST_PKT_OFFSET;
import static io.tandem.ffi.PacketRing.BLOCK_STATUS_OFFSET;
import static io.tandem.ffi.PacketRing.TP2_LEN_OFFSET;
import static io.tandem.ffi.PacketRing.TP2_MAC_OFFSET;
import static io.tandem.ffi.PacketRing.TP2_SNAPLEN_OFFSET;
import static io.tandem.ffi.PacketRing.TP2_STATUS_OFFSET;
import static io.tandem.ffi.PacketRing.TP3_LEN_OFFSET;
import static io.tandem.ffi.PacketRing.TP3_MAC_OFFSET;
import static io.tandem.ffi.PacketRing.TP3_NEXT_OFFSET_OFFSET;
import static io.tandem.ffi.PacketRing.TP3_SNAPLEN_OFFSET;
import static io.tandem.ffi.PacketRing.TP3_STATUS_OFFSET;
import static io.tandem.ffi.PacketRing.TP_STATUS_COPY;
import static io.tandem.ffi.PacketRing.TP_STATUS_CSUMNOTREADY;
import static io.tandem.ffi.PacketRing.TP_STATUS_CSUM_VALID;
import static io.tandem.ffi.PacketRing.TP_STATUS_KERNEL;
import static io.tandem.ffi.PacketRing.TP_STATUS_SENDING;
import static io.tandem.ffi.PacketRing.TP_STATUS_SEND_REQUEST;
import static io.tandem.ffi.PacketRing.TP_STATUS_USER;
import static io.tandem.ffi.PacketRing.TP_STATUS_WRONG_FORMAT;
import static io.tandem.ffi.PacketRing.TX_DATA_OFFSET;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A {@link PacketPort} on a Linux interface through two AF_PACKET rings: frames arrive in an RX ring (every
 * EtherType, before tc and nftables ingress, this host's own transmissions not included), TPACKET_V2 or TPACKET_V3 as
 * {@link PacketRingContext#rxVersion()} says, and leave through a TPACKET_V2 TX ring that bypasses the qdisc layer
 * and is kicked once per {@link #flush()}.
 * <pre>
 *   RX ring V2, one UnsafeBuffer over all of it        TX ring, fixed slots
 *   +--------------------------------------------+      +------------------------------------+
 *   | slot 0: tpacket2_hdr | sll | frame (@66)   |      | slot 0: tpacket2_hdr | frame (@32) |
 *   | slot 1: ...    slots go user → kernel      |      | slot 1: ...                        |
 *   | ...            one at a time, in order     |      | ...     slots reused in order      |
 *   +--------------------------------------------+      +------------------------------------+
 *   RX ring V3, one UnsafeBuffer over all of it
 *   +--------------------------------------------+
 *   | block 0: desc | hdr frame | hdr frame | .. |
 *   | block 1: desc | hdr frame | ..             |
 *   | ...      blocks go user → kernel in order  |
 *   +--------------------------------------------+
 * </pre>
 * {@link #receive} hands each frame to the handler in place (the buffer is the whole ring, the offset that of the
 * frame's Ethernet header). On a V2 ring it takes the slots the kernel marked {@code TP_STATUS_USER} in order and
 * gives each back as soon as its handler returned (or threw). On a V3 ring it walks the block the kernel handed
 * over, frame by frame, and gives the block back as soon as its last frame is handled; it stops at the limit
 * mid-block and resumes there. Frames the ring holds only in part ({@code tp_snaplen < tp_len}, or
 * TP_STATUS_COPY: on V2 a frame longer than a slot, such as a GSO super-frame; on V3 one longer than a block) are
 * counted as truncated ({@link #framesTruncated()}) and not handed over.
 * The handler may rewrite its frame in place (up to {@code length} bytes from {@code offset}) and must touch nothing
 * else of the buffer: the rest is other frames and the kernel's headers.
 * {@link #transmit} copies a frame into the next free slot; {@link #flush()} makes the kernel send what was queued.
 * <p>
 * Measured on veth between namespaces (2 vCPUs, shared): 350 000–500 000 frames/s one way through both rings on one
 * thread, 64 or 1514 bytes alike, none lost, V2 and V3 within the noise of each other (the sending side bounds it).
 * What differs is latency at a low rate: from the peer's kick until {@code receive()} returns a lone frame to a
 * worker idling in {@link PortIdleStrategy}, V2 took 30–400 µs (medians of 190–300 over several runs of 21
 * frames, no more than a bare poll(2) took to wake: 55–300 µs, depending on how idle the VM was), V3 0.35–2.3 ms
 * (medians of 0.59–1.7 ms, as the frame falls in the period of the 2 ms block timer), waiting for its block. The
 * FFM downcalls (poll, sendto) allocate while still interpreted, so the path is allocation-free once the JIT has
 * compiled them, with either ring.
 * <p>
 * Not thread-safe: one worker owns a port and calls {@link #receive}, {@link #transmit}, {@link #flush()} and
 * {@link #awaitReceive} on its thread; those allocate nothing and never block (but {@code awaitReceive}, which blocks
 * for at most its timeout). Counters are plain fields, exact on the worker's thread and approximate elsewhere; the
 * kernel's statistics ({@link #kernelDrops()} and friends) may be read from one other thread at a time. Construct it
 * on a thread inside the interface's network namespace.
 */
public final class AfPacketPort implements PacketPort
{
    private final PacketSocket rxSocket;
    private final PacketSocket txSocket;
    private final UnsafeBuffer rx;
    private final UnsafeBuffer tx;
    private final boolean rxV2;
    private final int rxBlockSize;
    private final int rxBlockCount;
    private final int rxSlotSize;
    private final int rxSlotCount;
    private final int txFrameSize;
    private final int txFrameCount;
    private final int txMaxFrameLength;

    private final Arena arena;
    private final MemorySegment errno;
    private final MemorySegment pollFd;
    private final MemorySegment socketError;
    private final MemorySegment socketErrorLength;
    private final MemorySegment statisticsErrno;
    private final MemorySegment statistics;
    private final MemorySegment statisticsLength;

    // V2: the next slot to look at
    private int rxSlot;
    private int rxSlotOffset;
    // V3: the block being walked, and where in it
    private int rxBlock;
    private int rxBlockOffset;
    private boolean rxBlockHeld;
    private int rxFramesLeft;
    private int rxFrameOffset;

    private int txFrame;
    private int txQueued;

    private long framesReceived;
    private long bytesReceived;
    private long framesTruncated;
    private long blocksReleased;
    private long framesTransmitted;
    private long bytesTransmitted;
    private long txFull;
    private long txOversize;
    private long txRejected;
    private long txKicks;
    private long txKickErrors;
    private long pollCalls;
    private long pollErrors;

    private long kernelPackets;
    private long kernelDrops;
    private long kernelFreezes;
    private boolean closed;

    /**
     * Opens a port with the default rings ({@link PacketRingContext}), no fanout.
     *
     * @param interfaceName e.g. {@code eth1}.
     */
    public AfPacketPort(final String interfaceName)
    {
        this(interfaceName, new PacketRingContext());
    }

    /**
     * Opens a port: its RX socket (in the context's fanout group, if any) and its TX socket, both bound to
     * {@code interfaceName}. Call on a thread inside the interface's network namespace.
     *
     * @param interfaceName e.g. {@code eth1}.
     * @param context       ring geometry and fanout; concluded here.
     * @throws io.tandem.ffi.NativeException naming the call, option and interface that failed.
     */
    public AfPacketPort(final String interfaceName, final PacketRingContext context)
    {
        context.conclude();
        final PacketSocket receiver = PacketSocket.openReceiver(interfaceName, context);
        final PacketSocket transmitter;
        try
        {
            transmitter = PacketSocket.openTransmitter(interfaceName, context);
        }
        catch (final RuntimeException ex)
        {
            receiver.close();
            throw ex;
        }
        this.rxSocket = receiver;
        this.txSocket = transmitter;
        final PacketRing rxRing = receiver.ring();
        final PacketRing txRing = transmitter.ring();
        this.rx = new UnsafeBuffer(rxRing.address(), rxRing.length());
        this.tx = new UnsafeBuffer(txRing.address(), txRing.length());
        this.rxV2 = rxRing.version() == PacketSocket.TPACKET_V2;
        this.rxBlockSize = rxRing.blockSize();
        this.rxBlockCount = rxRing.blockCount();
        this.rxSlotSize = rxRing.frameSize();
        this.rxSlotCount = rxRing.frameCount();
        this.txFrameSize = txRing.frameSize();
        this.txFrameCount = txRing.frameCount();
        this.txMaxFrameLength = txFrameSize - TX_DATA_OFFSET;

        // shared: the worker polls with these, while another thread may read the kernel's statistics
        this.arena = Arena.ofShared();
        this.errno = LibC.allocateErrnoSegment(arena);
        this.pollFd = arena.allocate(LibC.POLLFD_LENGTH, 8);
        this.socketError = arena.allocate(JAVA_INT);
        this.socketErrorLength = arena.allocate(JAVA_INT);
        this.statisticsErrno = LibC.allocateErrnoSegment(arena);
        this.statistics = arena.allocate(PacketSocket.TPACKET_STATS_V3_LENGTH, 4);
        this.statisticsLength = arena.allocate(JAVA_INT);
        pollFd.set(JAVA_INT, LibC.POLLFD_FD_OFFSET, receiver.fd());
        pollFd.set(JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
    }

    @Override
    public int receive(final FrameHandler handler, final int limit)
    {
        return rxV2 ? receiveV2(handler, limit) : receiveV3(handler, limit);
    }

    private int receiveV2(final FrameHandler handler, final int limit)
    {
        final UnsafeBuffer rx = this.rx;
        int handed = 0;
        int examined = 0;
        while (examined < limit)
        {
            final int slot = rxSlotOffset;
            // acquire: the header and the frame were written before the kernel set TP_STATUS_USER
            final int status = rx.getIntAcquire(slot + TP2_STATUS_OFFSET);
            if ((status & TP_STATUS_USER) == 0)
            {
                break;
            }
            final int snaplen = rx.getInt(slot + TP2_SNAPLEN_OFFSET);
            final int length = rx.getInt(slot + TP2_LEN_OFFSET);
            final int mac = rx.getShort(slot + TP2_MAC_OFFSET) & 0xFFFF;
            // consumed before the handler runs: a handler that throws does not see the frame again
            final int next = rxSlot + 1;
            rxSlot = next == rxSlotCount ? 0 : next;
            rxSlotOffset = rxSlot * rxSlotSize;
            examined++;
            try
            {
                handed += deliver(handler, slot + mac, snaplen, length, status);
            }
            finally
            {
                // release, even after a handler threw: the kernel stops at a slot user space still holds, and poll
                // keeps reporting the ring readable while the newest slot is not back. Release ordering: the
                // kernel may overwrite the slot only after the handler is done with it.
                rx.putIntRelease(slot + TP2_STATUS_OFFSET, TP_STATUS_KERNEL);
                blocksReleased++;
            }
        }
        return handed;
    }

    /**
     * Hands a frame to the handler, or counts it when the kernel could not give it whole (copied aside, or cut to the
     * slot: a super-frame).
     *
     * @return 1 when handed over, else 0.
     */
    private int deliver(
        final FrameHandler handler, final int offset, final int snaplen, final int length, final int status)
    {
        if ((status & TP_STATUS_COPY) != 0 || snaplen < length)
        {
            framesTruncated++;
            return 0;
        }
        framesReceived++;
        bytesReceived += snaplen;
        handler.onFrame(rx, offset, snaplen, frameFlags(status));
        return 1;
    }

    private int receiveV3(final FrameHandler handler, final int limit)
    {
        final UnsafeBuffer rx = this.rx;
        int handed = 0;
        int examined = 0;
        while (examined < limit)
        {
            if (rxFramesLeft == 0)
            {
                if (rxBlockHeld)
                {
                    releaseBlock();
                }
                // acquire: num_pkts and the frames were written before the kernel set TP_STATUS_USER
                if ((rx.getIntAcquire(rxBlockOffset + BLOCK_STATUS_OFFSET) & TP_STATUS_USER) == 0)
                {
                    break;
                }
                rxBlockHeld = true;
                rxFramesLeft = rx.getInt(rxBlockOffset + BLOCK_NUM_PKTS_OFFSET);
                rxFrameOffset = rxBlockOffset + rx.getInt(rxBlockOffset + BLOCK_OFFSET_TO_FIRST_PKT_OFFSET);
                continue;
            }

            final int frame = rxFrameOffset;
            final int status = rx.getInt(frame + TP3_STATUS_OFFSET);
            final int snaplen = rx.getInt(frame + TP3_SNAPLEN_OFFSET);
            final int length = rx.getInt(frame + TP3_LEN_OFFSET);
            final int mac = rx.getShort(frame + TP3_MAC_OFFSET) & 0xFFFF;
            // consumed before the handler runs: a handler that throws does not see the frame again
            rxFrameOffset = frame + rx.getInt(frame + TP3_NEXT_OFFSET_OFFSET);
            rxFramesLeft--;
            examined++;

            handed += deliver(handler, frame + mac, snaplen, length, status);
            if (rxFramesLeft == 0)
            {
                // give the block back at once, so an idle worker holds none while it waits
                releaseBlock();
            }
        }
        return handed;
    }

    private static int frameFlags(final int status)
    {
        int flags = 0;
        if ((status & TP_STATUS_CSUM_VALID) != 0)
        {
            flags |= FRAME_CHECKSUM_VERIFIED;
        }
        if ((status & TP_STATUS_CSUMNOTREADY) != 0)
        {
            flags |= FRAME_CHECKSUM_PARTIAL;
        }
        return flags;
    }

    private void releaseBlock()
    {
        // release: the kernel may overwrite the block only after we are done reading it
        rx.putIntRelease(rxBlockOffset + BLOCK_STATUS_OFFSET, TP_STATUS_KERNEL);
        rxBlockHeld = false;
        blocksReleased++;
        final int next = rxBlock + 1;
        rxBlock = next == rxBlockCount ? 0 : next;
        rxBlockOffset = rxBlock * rxBlockSize;
    }

    @Override
    public boolean transmit(final DirectBuffer buffer, final int offset, final int length)
    {
        if (length <= 0 || length > txMaxFrameLength)
        {
            txOversize++;
            return false;
        }
        final UnsafeBuffer tx = this.tx;
        final int slot = txFrame * txFrameSize;
        // acquire: the kernel is done with the slot's bytes once it marks it available
        int status = tx.getIntAcquire(slot + TP2_STATUS_OFFSET);
        if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) != 0 && txQueued > 0)
        {
            // the ring is full of frames not kicked yet: kick now rather than drop
            flush();
            status = tx.getIntAcquire(slot + TP2_STATUS_OFFSET);
        }
        if ((status & (TP_STATUS_SEND_REQUEST | TP_STATUS_SENDING)) != 0)
        {
            txFull++;
            return false;
        }
        if ((status & TP_STATUS_WRONG_FORMAT) != 0)
        {
            txRejected++;
        }
        tx.putBytes(slot + TX_DATA_OFFSET, buffer, offset, length);
        tx.putInt(slot + TP2_LEN_OFFSET, length);
        tx.putIntRelease(slot + TP2_STATUS_OFFSET, TP_STATUS_SEND_REQUEST);
        final int next = txFrame + 1;
        txFrame = next == txFrameCount ? 0 : next;
        txQueued++;
        framesTransmitted++;
        bytesTransmitted += length;
        return true;
    }

    /**
     * Kicks the TX ring once if anything was queued since the last flush. Slots the kernel could not take (device
     * busy, send buffer full) stay queued and go with the next flush, or before the next {@link #awaitReceive} wait.
     */
    @Override
    public void flush()
    {
        if (txQueued == 0)
        {
            return;
        }
        txKicks++;
        if (txSocket.kick(errno) < 0)
        {
            txKickErrors++;
        }
        // the kernel sends slots in order and stops at the first it cannot: if the newest went, all went
        final int newest = (txFrame == 0 ? txFrameCount : txFrame) - 1;
        if ((tx.getIntAcquire(newest * txFrameSize + TP2_STATUS_OFFSET) & TP_STATUS_SEND_REQUEST) == 0)
        {
            txQueued = 0;
        }
    }

    /**
     * Waits in poll(2) until the RX ring has a frame for user space, or {@code timeoutMs} passes; returns at once
     * when the worker has frames in hand already. A TPACKET_V2 ring wakes the poller for every frame (55–300 µs
     * after the peer sent it here, the scheduler's wake-up); TPACKET_V3 only when a block is handed over: when
     * it fills or its timer ({@link PacketRingContext#rxBlockTimeoutMs()}) expires, so a lone frame wakes it after at
     * most that long. Frames a previous kick left queued are kicked first.
     */
    @Override
    public void awaitReceive(final int timeoutMs)
    {
        if (txQueued > 0)
        {
            flush();
        }
        if (rxV2)
        {
            if ((rx.getIntAcquire(rxSlotOffset + TP2_STATUS_OFFSET) & TP_STATUS_USER) != 0)
            {
                return;
            }
        }
        else if (rxFramesLeft > 0 ||
            (rx.getIntAcquire(rxBlockOffset + BLOCK_STATUS_OFFSET) & TP_STATUS_USER) != 0)
        {
            return;
        }
        pollCalls++;
        pollFd.set(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short)0);
        final int result = LibC.poll(errno, pollFd, 1, timeoutMs);
        if (result < 0)
        {
            if (result != -Errno.EINTR)
            {
                pollErrors++;
            }
        }
        else if (result > 0 && (pollFd.get(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET) & LibC.POLLERR) != 0)
        {
            // e.g. ENETDOWN: take the error, or poll would report it at once for ever
            pollErrors++;
            rxSocket.takeError(errno, socketError, socketErrorLength);
        }
    }

    /** @return frames handed to handlers. */
    public long framesReceived()
    {
        return framesReceived;
    }

    /** @return bytes of the frames handed to handlers. */
    public long bytesReceived()
    {
        return bytesReceived;
    }

    /**
     * @return frames the ring held only in part, dropped: longer than a V2 slot can hold
     * ({@code rxFrameSize - 66}, e.g. GSO super-frames) or than a V3 block.
     */
    public long framesTruncated()
    {
        return framesTruncated;
    }

    /** @return RX blocks (TPACKET_V3) or slots (TPACKET_V2, one per frame) given back to the kernel. */
    public long blocksReleased()
    {
        return blocksReleased;
    }

    /** @return frames queued for transmission. */
    public long framesTransmitted()
    {
        return framesTransmitted;
    }

    /** @return bytes of the frames queued for transmission. */
    public long bytesTransmitted()
    {
        return bytesTransmitted;
    }

    /** @return frames refused because every TX slot was in use. */
    public long txFull()
    {
        return txFull;
    }

    /** @return frames refused because they do not fit a TX slot ({@link #maxTransmitLength()}). */
    public long txOversize()
    {
        return txOversize;
    }

    /** @return slots the kernel had refused (longer than the MTU, say) and skipped, seen when reused. */
    public long txRejected()
    {
        return txRejected;
    }

    /** @return kicks of the TX ring (sendto calls). */
    public long txKicks()
    {
        return txKicks;
    }

    /** @return kicks that failed (device busy or down); their frames went with a later kick, or were lost. */
    public long txKickErrors()
    {
        return txKickErrors;
    }

    /** @return poll(2) calls made by {@link #awaitReceive}. */
    public long pollCalls()
    {
        return pollCalls;
    }

    /** @return poll(2) failures and socket errors it reported. */
    public long pollErrors()
    {
        return pollErrors;
    }

    /** @return the longest frame {@link #transmit} accepts. */
    public int maxTransmitLength()
    {
        return txMaxFrameLength;
    }

    /** @return the RX socket. */
    public PacketSocket receiver()
    {
        return rxSocket;
    }

    /** @return the TX socket. */
    public PacketSocket transmitter()
    {
        return txSocket;
    }

    /**
     * Reads the RX socket's PACKET_STATISTICS (which the kernel then resets) into this port's running totals.
     * One thread at a time; allocation-free.
     *
     * @return 0, or -errno.
     */
    public int refreshKernelStatistics()
    {
        final int result = rxSocket.readStatistics(statisticsErrno, statistics, statisticsLength);
        if (result == 0)
        {
            kernelPackets += Integer.toUnsignedLong(statistics.get(JAVA_INT, PacketSocket.STATS_PACKETS_OFFSET));
            kernelDrops += Integer.toUnsignedLong(statistics.get(JAVA_INT, PacketSocket.STATS_DROPS_OFFSET));
            kernelFreezes += Integer.toUnsignedLong(statistics.get(JAVA_INT, PacketSocket.STATS_FREEZE_Q_CNT_OFFSET));
        }
        return result;
    }

    /** @return frames the kernel offered the RX ring, dropped ones included (after a refresh). */
    public long kernelPackets()
    {
        refreshKernelStatistics();
        return kernelPackets;
    }

    /** @return frames the kernel dropped because the RX ring was full (after a refresh). */
    public long kernelDrops()
    {
        refreshKernelStatistics();
        return kernelDrops;
    }

    /** @return times the RX ring was full, every block in user space (after a refresh); always 0 for V2 rings. */
    public long kernelFreezes()
    {
        refreshKernelStatistics();
        return kernelFreezes;
    }

    /** Closes both sockets and unmaps their rings. Idempotent; no other call may run or follow. */
    @Override
    public void close()
    {
        if (closed)
        {
            return;
        }
        closed = true;
        try
        {
            rxSocket.close();
        }
        finally
        {
            txSocket.close();
            arena.close();
        }
    }

    @Override
    public String toString()
    {
        return "AfPacketPort[" + rxSocket + ", " + txSocket + "]";
    }
}
