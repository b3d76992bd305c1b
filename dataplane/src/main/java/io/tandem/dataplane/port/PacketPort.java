package io.tandem.dataplane.port;

import org.agrona.DirectBuffer;

/**
 * A source and sink of Ethernet frames for one worker. Implementations are not thread-safe: one worker owns a port.
 * Neither receiving nor transmitting may block or allocate.
 */
public interface PacketPort extends AutoCloseable
{
    /** Frame flag: the receiver (NIC or kernel) verified the IPv4 and TCP checksums. */
    int FRAME_CHECKSUM_VERIFIED = 0x1;
    /**
     * Frame flag: the TCP checksum is not computed yet (the sender on this host left it to offload, as veth and virtio
     * pass it on; AF_PACKET reports TP_STATUS_CSUMNOTREADY). The field holds only the pseudo-header sum, so the frame
     * cannot be verified and a forwarded copy needs its checksum computed in full.
     */
    int FRAME_CHECKSUM_PARTIAL = 0x2;

    /**
     * Hands up to {@code limit} received frames to the handler, one call each, and returns.
     *
     * @param handler receives the frames.
     * @param limit   most frames to hand over.
     * @return number of frames handed over.
     */
    int receive(FrameHandler handler, int limit);

    /**
     * Queues a frame for transmission, copying its bytes.
     *
     * @param buffer holding the frame.
     * @param offset of the Ethernet header.
     * @param length of the frame.
     * @return false when the transmit queue is full (the caller counts the drop).
     */
    boolean transmit(DirectBuffer buffer, int offset, int length);

    /** Makes queued frames leave, e.g. by kicking the kernel once per burst. */
    void flush();

    /**
     * Blocks until frames may be waiting to be received or the timeout passes, for an idle worker that has spun
     * long enough: a port on a ring polls its descriptor. The default returns at once.
     *
     * @param timeoutMs longest wait.
     */
    default void awaitReceive(final int timeoutMs)
    {
    }

    /** Releases the port's resources. */
    @Override
    void close();
}
