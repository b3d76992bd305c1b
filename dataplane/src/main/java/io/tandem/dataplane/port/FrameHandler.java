package io.tandem.dataplane.port;

import org.agrona.MutableDirectBuffer;

/**
 * Receives frames from a {@link PacketPort}. The frame's bytes are valid, and writable in place, only for the
 * duration of the call.
 */
@FunctionalInterface
public interface FrameHandler
{
    /**
     * @param buffer holding the frame.
     * @param offset of the Ethernet header.
     * @param length of the frame in bytes.
     * @param flags  {@link PacketPort#FRAME_CHECKSUM_VERIFIED} and friends, from the port.
     */
    void onFrame(MutableDirectBuffer buffer, int offset, int length, int flags);
}
