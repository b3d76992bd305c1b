package io.tandem.ffi;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PacketRingContextTest
{
    @Test
    void shouldAcceptTheDefaults()
    {
        final PacketRingContext context = new PacketRingContext().conclude();
        assertEquals(PacketRingContext.defaultRxVersion(), context.rxVersion());
        assertEquals(4L * 1024 * 1024, (long)context.rxBlockCount() * context.rxBlockSize());
        assertEquals(1024, context.txFrameCount());
        assertEquals(PacketSocket.NO_FANOUT, context.fanoutGroupId());
    }

    @Test
    void shouldFollowTheVersionsDefaultsUnlessTheGeometryIsSet()
    {
        final PacketRingContext v2 = new PacketRingContext().rxVersion(PacketSocket.TPACKET_V2).conclude();
        assertTrue(v2.isRxV2());
        assertEquals(64, v2.rxBlockCount());
        assertEquals(64 * 1024, v2.rxBlockSize());
        assertEquals(2048, v2.rxFrameSize());
        assertTrue(v2.toString().startsWith("rx V2 64 x 65536 B (frame 2048), tx"), v2.toString());

        final PacketRingContext v3 = new PacketRingContext().rxVersion(PacketSocket.TPACKET_V3).conclude();
        assertFalse(v3.isRxV2());
        assertEquals(32, v3.rxBlockCount());
        assertEquals(128 * 1024, v3.rxBlockSize());
        assertTrue(v3.toString().startsWith("rx V3 32 x 131072 B (frame 2048, 2 ms), tx"), v3.toString());

        final PacketRingContext set = new PacketRingContext().rxBlockCount(3).rxBlockSize(8192)
            .rxVersion(PacketSocket.TPACKET_V3).conclude();
        assertEquals(3, set.rxBlockCount());
        assertEquals(8192, set.rxBlockSize());
    }

    @Test
    void shouldTakeTheDefaultVersionFromTheSystemProperty()
    {
        final String before = System.getProperty(PacketRingContext.RX_VERSION_PROPERTY);
        try
        {
            System.clearProperty(PacketRingContext.RX_VERSION_PROPERTY);
            assertEquals(PacketRingContext.DEFAULT_RX_VERSION, new PacketRingContext().rxVersion());
            assertEquals(PacketSocket.TPACKET_V2, PacketRingContext.DEFAULT_RX_VERSION);
            for (final String three : new String[]{"3", "v3", " TPACKET_V3 "})
            {
                System.setProperty(PacketRingContext.RX_VERSION_PROPERTY, three);
                assertEquals(PacketSocket.TPACKET_V3, new PacketRingContext().rxVersion(), three);
            }
            System.setProperty(PacketRingContext.RX_VERSION_PROPERTY, "2");
            assertEquals(PacketSocket.TPACKET_V2, new PacketRingContext().rxVersion());
            System.setProperty(PacketRingContext.RX_VERSION_PROPERTY, "4");
            final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, PacketRingContext::new);
            assertEquals("packet rings: system property tandem.rx.version must be 2 or 3, not '4'", ex.getMessage());
        }
        finally
        {
            if (null == before)
            {
                System.clearProperty(PacketRingContext.RX_VERSION_PROPERTY);
            }
            else
            {
                System.setProperty(PacketRingContext.RX_VERSION_PROPERTY, before);
            }
        }
    }

    @Test
    void shouldNameTheSettingThatBreaksARule()
    {
        assertMessage("rxVersion", new PacketRingContext().rxVersion(0));
        assertMessage("rxBlockSize", new PacketRingContext().rxBlockSize(5000));
        assertMessage("rxFrameSize", new PacketRingContext().rxFrameSize(2040));
        assertMessage("rxBlockSize must be a multiple of rxFrameSize", new PacketRingContext().rxFrameSize(2064));
        assertMessage("rxFrameSize must be a multiple of 16 and at least 130",
            new PacketRingContext().rxVersion(PacketSocket.TPACKET_V2).rxFrameSize(128));
        new PacketRingContext().rxVersion(PacketSocket.TPACKET_V3).rxFrameSize(128).conclude();
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
        assertEquals(PacketRing.TP2_SOCKADDR_OFFSET + PacketSocket.SOCKADDR_LL_LENGTH, PacketSocket.TPACKET2_HDRLEN);
        assertEquals(PacketSocket.TPACKET2_HDRLEN - PacketSocket.SOCKADDR_LL_LENGTH, PacketRing.TX_DATA_OFFSET);
        // tpacket_rcv: netoff = TPACKET_ALIGN(tp_hdrlen + max(maclen, 16)), macoff = netoff - maclen
        assertEquals(align16(PacketSocket.TPACKET2_HDRLEN + 16) - 14, PacketRingContext.RX_V2_MAC_OFFSET);
        assertEquals(48, PacketRing.BLOCK_DESC_LENGTH);
        assertEquals(24, PacketRing.BLOCK_SEQ_NUM_OFFSET);
        assertEquals(48, PacketRing.TPACKET3_HDR_LENGTH);
        assertEquals(24, PacketRing.TP3_MAC_OFFSET);
        assertEquals(12, PacketRing.TP2_MAC_OFFSET);
        assertEquals(28, PacketSocket.TPACKET_REQ3_LENGTH);
        assertEquals(16, PacketSocket.TPACKET_REQ_LENGTH);
        assertEquals(12, PacketSocket.TPACKET_STATS_V3_LENGTH);
        assertEquals(4, PacketSocket.SLL_IFINDEX_OFFSET);
    }

    private static int align16(final int value)
    {
        return (value + 15) & ~15;
    }

    private static void assertMessage(final String expected, final PacketRingContext context)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, context::conclude);
        assertTrue(ex.getMessage().contains(expected), ex.getMessage());
    }
}
