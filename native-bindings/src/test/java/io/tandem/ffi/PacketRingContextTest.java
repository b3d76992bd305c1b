package io.tandem.ffi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketRingContextTest
{
    @Test
    void shouldAcceptTheDefaults()
    {
        final PacketRingContext context = new PacketRingContext().conclude();
        assertEquals(4L * 1024 * 1024, (long)context.rxBlockCount() * context.rxBlockSize());
        assertEquals(1024, context.txFrameCount());
        assertEquals(PacketSocket.NO_FANOUT, context.fanoutGroupId());
    }

    @Test
    void shouldNameTheSettingThatBreaksARule()
    {
        assertMessage("rxBlockSize", new PacketRingContext().rxBlockSize(5000));
        assertMessage("rxFrameSize", new PacketRingContext().rxFrameSize(2040));
        assertMessage("rxBlockSize must be a multiple of rxFrameSize", new PacketRingContext().rxFrameSize(2064));
        assertMessage("2 GiB", new PacketRingContext().rxBlockCount(8192).rxBlockSize(1 << 20));
        assertMessage("txFrameCount", new PacketRingContext().txFrameCount(100));
        assertMessage("fanoutGroupId", new PacketRingContext().fanout(70_000, PacketSocket.PACKET_FANOUT_HASH));
        assertMessage("fanoutMode", new PacketRingContext().fanout(1, 6));
    }

    /** Sizes and offsets of the kernel's structs, as compiled from linux/if_packet.h on x86-64. */
    @Test
    void shouldMatchTheKernelHeaders()
    {
        assertEquals(PacketRing.TP3_SOCKADDR_OFFSET + PacketSocket.SOCKADDR_LL_LENGTH, PacketSocket.TPACKET3_HDRLEN);
        assertEquals(PacketRing.TPACKET2_HDR_LENGTH + PacketSocket.SOCKADDR_LL_LENGTH, PacketSocket.TPACKET2_HDRLEN);
        assertEquals(PacketSocket.TPACKET2_HDRLEN - PacketSocket.SOCKADDR_LL_LENGTH, PacketRing.TX_DATA_OFFSET);
        assertEquals(48, PacketRing.BLOCK_DESC_LENGTH);
        assertEquals(24, PacketRing.BLOCK_SEQ_NUM_OFFSET);
        assertEquals(48, PacketRing.TPACKET3_HDR_LENGTH);
        assertEquals(24, PacketRing.TP3_MAC_OFFSET);
        assertEquals(28, PacketSocket.TPACKET_REQ3_LENGTH);
        assertEquals(12, PacketSocket.TPACKET_STATS_V3_LENGTH);
        assertEquals(4, PacketSocket.SLL_IFINDEX_OFFSET);
    }

    private static void assertMessage(final String expected, final PacketRingContext context)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, context::conclude);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
