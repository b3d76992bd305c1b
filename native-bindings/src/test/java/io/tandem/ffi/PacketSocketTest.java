package io.tandem.ffi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The sockets and rings alone, on a veth pair between two namespaces: frames written into one side's TX ring come
 * out of the other side's RX ring (TPACKET_V2 and TPACKET_V3) byte for byte, with the kernel's bookkeeping where the
 * headers say it is.
 */
@Tag("root")
class PacketSocketTest
{
    /** IEEE 802 local experimental EtherType: the kernels of both namespaces ignore it. */
    static final int ETHER_TYPE_TEST = 0x88B5;

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldCarryFramesFromOneRingToTheOtherByteForByte(final int version) throws Exception
    {
        try (Netns a = Netns.create("psa"); Netns b = Netns.create("psb"))
        {
            Netns.veth(a, "tdmpa", b, "tdmpb");
            final PacketRingContext context = new PacketRingContext().rxVersion(version).rxBlockCount(4)
                .txFrameCount(256);
            final PacketSocket rx = a.call(() -> PacketSocket.openReceiver("tdmpa", context));
            try (rx; PacketSocket tx = b.call(() -> PacketSocket.openTransmitter("tdmpb", context)))
            {
                assertTrue(rx.isReceiver());
                assertFalse(tx.isReceiver());
                assertEquals(version, rx.ring().version());
                assertEquals(PacketSocket.TPACKET_V2, tx.ring().version());
                assertEquals(4L * (version == PacketSocket.TPACKET_V2 ?
                    PacketRingContext.DEFAULT_RX_V2_BLOCK_SIZE : PacketRingContext.DEFAULT_RX_BLOCK_SIZE),
                    rx.ring().length());
                if (version == PacketSocket.TPACKET_V2)
                {
                    assertEquals(4 * PacketRingContext.DEFAULT_RX_V2_BLOCK_SIZE / 2048, rx.ring().frameCount());
                }
                assertEquals(256L * 2048, tx.ring().length());
                assertTrue(rx.ring().isLocked(), "root may lock memory");

                final List<byte[]> sent = new ArrayList<>();
                for (int i = 0; i < 100; i++)
                {
                    sent.add(frame(i, 60 + i * 14));
                }
                try (Arena arena = Arena.ofConfined())
                {
                    final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                    for (int i = 0; i < sent.size(); i++)
                    {
                        final long slot = tx.ring().frameOffset(i);
                        assertEquals(PacketRing.TP_STATUS_AVAILABLE,
                            tx.ring().statusAcquire(slot + PacketRing.TP2_STATUS_OFFSET));
                        MemorySegment.copy(sent.get(i), 0, tx.ring().memory(), JAVA_BYTE,
                            slot + PacketRing.TX_DATA_OFFSET, sent.get(i).length);
                        tx.ring().putInt(slot + PacketRing.TP2_LEN_OFFSET, sent.get(i).length);
                        tx.ring().statusRelease(slot + PacketRing.TP2_STATUS_OFFSET,
                            PacketRing.TP_STATUS_SEND_REQUEST);
                    }
                    final long bytes = tx.kick(errno);
                    assertEquals(sent.stream().mapToLong(f -> f.length).sum(), bytes);

                    final List<Received> received = version == PacketSocket.TPACKET_V2 ?
                        new SlotWalker(rx).receive(sent.size(), 5_000) :
                        new RxWalker(rx).receive(sent.size(), 5_000);
                    assertEquals(sent.size(), received.size());
                    for (int i = 0; i < sent.size(); i++)
                    {
                        assertArrayEquals(sent.get(i), received.get(i).bytes, "frame " + i);
                        assertEquals(rx.interfaceIndex(), received.get(i).ifindex, "sockaddr_ll after the header");
                        assertEquals(0, received.get(i).status &
                            (PacketRing.TP_STATUS_CSUMNOTREADY | PacketRing.TP_STATUS_COPY));
                    }

                    final MemorySegment statistics = arena.allocate(PacketSocket.TPACKET_STATS_V3_LENGTH, 4);
                    assertEquals(0, rx.readStatistics(errno, statistics, arena.allocate(JAVA_INT)));
                    assertTrue(statistics.get(JAVA_INT, PacketSocket.STATS_PACKETS_OFFSET) >= sent.size());
                    assertEquals(0, statistics.get(JAVA_INT, PacketSocket.STATS_DROPS_OFFSET));
                    assertEquals(0, tx.takeError(errno, arena.allocate(JAVA_INT), arena.allocate(JAVA_INT)));
                }
            }
            assertEquals(-1, rx.fd(), "closed");
        }
    }

    @Test
    void shouldNameTheMissingInterface()
    {
        final NativeException ex = assertThrows(NativeException.class,
            () -> PacketSocket.openReceiver("tdm-nosuch", new PacketRingContext()));
        assertEquals(Errno.ENODEV, ex.errno());
        assertTrue(ex.getMessage().contains("tdm-nosuch"), ex.getMessage());
        assertTrue(ex.getMessage().contains("ENODEV"), ex.getMessage());
        assertThrows(NativeException.class,
            () -> PacketSocket.openTransmitter("tdm-nosuch", new PacketRingContext()));
    }

    @Test
    void shouldNameTheOptionTheKernelRefused() throws Exception
    {
        try (Netns a = Netns.create("psr"))
        {
            // a fanout group has one mode: a second member asking for another is refused with EINVAL
            final PacketSocket first = a.call(() -> PacketSocket.openReceiver("lo",
                new PacketRingContext().rxBlockCount(1).fanout(7, PacketSocket.PACKET_FANOUT_HASH)));
            try (first)
            {
                final NativeException ex = assertThrows(NativeException.class, () -> a.call(() ->
                    PacketSocket.openReceiver("lo",
                        new PacketRingContext().rxBlockCount(1).fanout(7, PacketSocket.PACKET_FANOUT_LB))));
                assertEquals(Errno.EINVAL, ex.errno());
                assertEquals("setsockopt(PACKET_FANOUT group 7 mode 1) on lo: EINVAL (22) Invalid argument",
                    ex.getMessage());
            }
        }
    }

    /**
     * Capabilities are per thread in Linux: a thread that drops CAP_NET_RAW from its effective set sees what an
     * unprivileged process sees, while the rest of the JVM stays root.
     */
    @Test
    void shouldSayWhichPrivilegeIsMissing() throws Exception
    {
        final AtomicReference<Throwable> thrown = new AtomicReference<>();
        final Thread thread = new Thread(() ->
        {
            try
            {
                Capabilities.dropEffective(Capabilities.CAP_NET_RAW);
                PacketSocket.openReceiver("lo", new PacketRingContext()).close();
            }
            catch (final Throwable t)
            {
                thrown.set(t);
            }
        }, "without-cap-net-raw");
        thread.start();
        thread.join(TimeUnit.SECONDS.toMillis(10));
        assertFalse(thread.isAlive());
        assertNotNull(thrown.get(), "socket() must fail without CAP_NET_RAW");
        final NativeException ex = assertInstanceOf(NativeException.class, thrown.get());
        assertEquals(Errno.EPERM, ex.errno());
        assertTrue(ex.getMessage().startsWith("socket(AF_PACKET, SOCK_RAW) for the receiver on lo: EPERM"),
            ex.getMessage());
        assertTrue(ex.getMessage().contains("CAP_NET_RAW"), ex.getMessage());
    }

    static byte[] frame(final int sequence, final int length)
    {
        final byte[] frame = new byte[length];
        final byte[] header = {2, 0, 0, 0, 0, 0x0A, 2, 0, 0, 0, 0, 0x0B, (byte)(ETHER_TYPE_TEST >> 8),
            (byte)ETHER_TYPE_TEST};
        System.arraycopy(header, 0, frame, 0, header.length);
        frame[14] = (byte)(sequence >> 24);
        frame[15] = (byte)(sequence >> 16);
        frame[16] = (byte)(sequence >> 8);
        frame[17] = (byte)sequence;
        for (int i = 18; i < length; i++)
        {
            frame[i] = (byte)(i * 7 + sequence);
        }
        return frame;
    }

    record Received(byte[] bytes, int status, int ifindex)
    {
    }

    /**
     * Walks a V2 ring the way a port does, slot by slot, for frames of {@link #ETHER_TYPE_TEST}; checks that the
     * kernel put the frame where the context says ({@link PacketRingContext#RX_V2_MAC_OFFSET}).
     */
    static final class SlotWalker
    {
        private final PacketRing ring;
        private int slot;

        SlotWalker(final PacketSocket socket)
        {
            this.ring = socket.ring();
        }

        List<Received> receive(final int expected, final long timeoutMs) throws InterruptedException
        {
            final List<Received> frames = new ArrayList<>();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (frames.size() < expected && System.nanoTime() < deadline)
            {
                final long frame = ring.frameOffset(slot);
                final int status = ring.statusAcquire(frame + PacketRing.TP2_STATUS_OFFSET);
                if ((status & PacketRing.TP_STATUS_USER) == 0)
                {
                    Thread.sleep(1);
                    continue;
                }
                final int snaplen = ring.getInt(frame + PacketRing.TP2_SNAPLEN_OFFSET);
                final int mac = ring.getUnsignedShort(frame + PacketRing.TP2_MAC_OFFSET);
                assertEquals(PacketRingContext.RX_V2_MAC_OFFSET, mac);
                final byte[] bytes = ring.memory().asSlice(frame + mac, snaplen).toArray(JAVA_BYTE);
                if (snaplen >= 14 && ((bytes[12] & 0xFF) << 8 | bytes[13] & 0xFF) == ETHER_TYPE_TEST)
                {
                    assertEquals(snaplen, ring.getInt(frame + PacketRing.TP2_LEN_OFFSET));
                    frames.add(new Received(bytes, status,
                        ring.getInt(frame + PacketRing.TP2_SOCKADDR_OFFSET + PacketSocket.SLL_IFINDEX_OFFSET)));
                }
                ring.statusRelease(frame + PacketRing.TP2_STATUS_OFFSET, PacketRing.TP_STATUS_KERNEL);
                slot = (slot + 1) % ring.frameCount();
            }
            return frames;
        }
    }

    /** Walks a V3 ring the way a port does, for frames of {@link #ETHER_TYPE_TEST}. */
    static final class RxWalker
    {
        private final PacketRing ring;
        private int block;

        RxWalker(final PacketSocket socket)
        {
            this.ring = socket.ring();
        }

        List<Received> receive(final int expected, final long timeoutMs) throws InterruptedException
        {
            final List<Received> frames = new ArrayList<>();
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (frames.size() < expected && System.nanoTime() < deadline)
            {
                final long blockOffset = ring.blockOffset(block);
                final int status = ring.statusAcquire(blockOffset + PacketRing.BLOCK_STATUS_OFFSET);
                if ((status & PacketRing.TP_STATUS_USER) == 0)
                {
                    Thread.sleep(1);
                    continue;
                }
                final int count = ring.getInt(blockOffset + PacketRing.BLOCK_NUM_PKTS_OFFSET);
                long frame = blockOffset + ring.getInt(blockOffset + PacketRing.BLOCK_OFFSET_TO_FIRST_PKT_OFFSET);
                for (int i = 0; i < count; i++)
                {
                    final int snaplen = ring.getInt(frame + PacketRing.TP3_SNAPLEN_OFFSET);
                    final long mac = frame + ring.getUnsignedShort(frame + PacketRing.TP3_MAC_OFFSET);
                    final byte[] bytes = ring.memory().asSlice(mac, snaplen).toArray(JAVA_BYTE);
                    if (snaplen >= 14 && ((bytes[12] & 0xFF) << 8 | bytes[13] & 0xFF) == ETHER_TYPE_TEST)
                    {
                        assertEquals(snaplen, ring.getInt(frame + PacketRing.TP3_LEN_OFFSET));
                        frames.add(new Received(bytes, ring.getInt(frame + PacketRing.TP3_STATUS_OFFSET),
                            ring.getInt(frame + PacketRing.TP3_SOCKADDR_OFFSET + PacketSocket.SLL_IFINDEX_OFFSET)));
                    }
                    frame += ring.getInt(frame + PacketRing.TP3_NEXT_OFFSET_OFFSET);
                }
                ring.statusRelease(blockOffset + PacketRing.BLOCK_STATUS_OFFSET, PacketRing.TP_STATUS_KERNEL);
                block = (block + 1) % ring.blockCount();
            }
            return frames;
        }
    }

    /** capget(2)/capset(2) on the calling thread only; LibC has no use for them outside this test. */
    static final class Capabilities
    {
        static final int CAP_NET_RAW = 13;
        private static final int LINUX_CAPABILITY_VERSION_3 = 0x20080522;
        private static final Linker LINKER = Linker.nativeLinker();
        private static final MethodHandle CAPGET = LINKER.downcallHandle(
            LINKER.defaultLookup().find("capget").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));
        private static final MethodHandle CAPSET = LINKER.downcallHandle(
            LINKER.defaultLookup().find("capset").orElseThrow(), FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

        static void dropEffective(final int capability) throws Throwable
        {
            try (Arena arena = Arena.ofConfined())
            {
                // struct __user_cap_header_struct { u32 version; int pid; } and two __user_cap_data_struct
                // { u32 effective, permitted, inheritable; } (capabilities 0-31, 32-63)
                final MemorySegment header = arena.allocate(8, 4);
                final MemorySegment data = arena.allocate(24, 4);
                header.set(JAVA_INT, 0, LINUX_CAPABILITY_VERSION_3);
                header.set(JAVA_INT, 4, 0);
                assertEquals(0, (int)CAPGET.invokeExact(header, data), "capget");
                final int effective = data.get(JAVA_INT, 0);
                data.set(JAVA_INT, 0, effective & ~(1 << capability));
                assertEquals(0, (int)CAPSET.invokeExact(header, data), "capset");
            }
        }
    }
}
