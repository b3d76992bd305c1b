package io.tandem.dataplane.port;

import io.tandem.dataplane.packet.Checksum;
import io.tandem.dataplane.port.AfPacketPortTest.Pair;
import io.tandem.ffi.PacketSocket;
import org.agrona.MutableDirectBuffer;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteOrder;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static io.tandem.dataplane.port.AfPacketPortTest.ipv4;
import static io.tandem.dataplane.port.AfPacketPortTest.rx;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What a port sees of real TCP from a peer whose interface offloads checksums and segmentation, as veth between
 * namespaces (and virtio between VMs on one host) passes both through: the checksum flags, and GSO super-frames
 * longer than the MTU. Feeds the decision whether the data plane turns offloads off on its interface or carries
 * GSO metadata (PACKET_VNET_HDR). A TPACKET_V3 ring carries super-frames whole; a TPACKET_V2 ring truncates them to
 * its slot, and the port drops and counts them.
 */
@Tag("root")
class AfPacketPortOffloadTest
{
    private static final int TRANSFER_BYTES = 1 << 20;

    @ParameterizedTest(name = "rx version {0}")
    @ValueSource(ints = {PacketSocket.TPACKET_V2, PacketSocket.TPACKET_V3})
    void shouldFlagChecksumPartialFramesAndShowWhatSegmentationOffloadDoes(final int version) throws Exception
    {
        final boolean v2 = version == PacketSocket.TPACKET_V2;
        try (Pair pair = new Pair("afo", "198.18.220", rx(version)))
        {
            // 1. offloads off on both ends (Netns.veth): complete checksums, MTU-sized frames
            final TcpStats off = transfer(pair, 5001);
            // 2. the peer offloads its TCP checksum only
            pair.b.exec("ethtool", "-K", pair.ifB, "tx", "on");
            final TcpStats checksum = transfer(pair, 5002);
            // 3. the peer offloads checksum and segmentation: the stack hands veth 64 KiB segments
            pair.b.exec("ethtool", "-K", pair.ifB, "tx", "on", "sg", "on", "tso", "on", "gso", "on");
            final long truncatedBefore = pair.portA.framesTruncated();
            final TcpStats segmentation = transfer(pair, 5003, !v2);
            final long truncated = pair.portA.framesTruncated() - truncatedBefore;
            // 4. GSO alone (software segmentation at the device): back to MTU-sized frames
            pair.b.exec("ethtool", "-K", pair.ifB, "tso", "off", "gso", "on");
            final TcpStats gsoOnly = transfer(pair, 5004);
            // 5. receiver's rx checksum offload on, sender's off: does veth vouch for the checksum?
            pair.b.exec("ethtool", "-K", pair.ifB, "tx", "off", "sg", "off", "tso", "off", "gso", "off");
            pair.a.exec("ethtool", "-K", pair.ifA, "rx", "on");
            final TcpStats rxOn = transfer(pair, 5005);

            System.out.println("TCP b -> a, 1 MiB each, frames from b seen by the port in a (RX ring V" +
                (version + 1) + "):");
            System.out.println("  offloads off:               " + off);
            System.out.println("  b tx-checksum on:           " + checksum);
            System.out.println("  b tx-checksum + tso + gso:  " + segmentation);
            System.out.println("  b tx-checksum + gso only:   " + gsoOnly);
            System.out.println("  b all off, a rx-checksum on:" + rxOn);
            System.out.println("  port a: truncated " + pair.portA.framesTruncated() + ", kernel drops " +
                pair.portA.kernelDrops());

            assertEquals(0, off.partial, "nothing left to offload");
            assertEquals(off.frames, off.validChecksum, "complete checksums");
            assertEquals(0, off.longerThanMtu);
            assertTrue(checksum.partial >= checksum.withPayload && checksum.withPayload > 0,
                "every data segment of a checksum-offloading peer comes flagged partial: " + checksum);
            assertEquals(checksum.frames, checksum.partial + checksum.validChecksum,
                "a frame is either flagged partial or carries a complete checksum: " + checksum);
            assertEquals(0, off.verified + checksum.verified + rxOn.verified,
                "veth never vouches for a checksum (CHECKSUM_UNNECESSARY), whatever its rx setting");
            assertEquals(0, checksum.longerThanMtu);
            if (v2)
            {
                assertEquals(0, segmentation.longerThanMtu, "a 2048-byte slot never hands one over: " + segmentation);
                assertTrue(truncated > 0, "super-frames pass veth whole, and the slots truncate them");
                assertEquals(truncated, pair.portA.framesTruncated(), "and nothing else");
            }
            else
            {
                assertTrue(segmentation.longerThanMtu > 0, "super-frames pass veth whole: " + segmentation);
                assertEquals(0, pair.portA.framesTruncated(), "a 128 KiB block holds a 64 KiB super-frame");
            }
            assertEquals(0, gsoOnly.longerThanMtu, "GSO without TSO segments before the device");
        }
    }

    private static TcpStats transfer(final Pair pair, final int port) throws Exception
    {
        return transfer(pair, port, true);
    }

    /**
     * Sends {@link #TRANSFER_BYTES} over TCP from b to a while the test thread drains a's port.
     *
     * @param seesEveryByte whether the port must have been handed every byte (not when frames are truncated).
     */
    private static TcpStats transfer(final Pair pair, final int port, final boolean seesEveryByte) throws Exception
    {
        final TcpStats stats = new TcpStats(ipv4(pair.addressB), ipv4(pair.addressA), port);
        final ExecutorService threads = Executors.newFixedThreadPool(2);
        try (ServerSocket server = pair.a.call(() -> new ServerSocket(port, 4, InetAddress.getByName(pair.addressA))))
        {
            final Future<Long> read = threads.submit(() ->
            {
                try (Socket socket = server.accept(); InputStream in = socket.getInputStream())
                {
                    long total = 0;
                    final byte[] chunk = new byte[65536];
                    for (int n; (n = in.read(chunk)) >= 0; )
                    {
                        total += n;
                    }
                    return total;
                }
            });
            final Future<Object> written = threads.submit(() -> pair.b.call(() ->
            {
                try (Socket socket = new Socket())
                {
                    socket.connect(new InetSocketAddress(pair.addressA, port), 2_000);
                    final OutputStream out = socket.getOutputStream();
                    final byte[] chunk = new byte[65536];
                    for (int sent = 0; sent < TRANSFER_BYTES; sent += chunk.length)
                    {
                        out.write(chunk);
                    }
                }
                return null;
            }));
            final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!read.isDone() && System.nanoTime() < deadline)
            {
                if (pair.portA.receive(stats, 64) == 0)
                {
                    pair.portA.awaitReceive(2);
                }
            }
            written.get(5, TimeUnit.SECONDS);
            assertEquals(TRANSFER_BYTES, read.get(5, TimeUnit.SECONDS));
            final long quiet = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(50);
            while (System.nanoTime() < quiet)
            {
                if (pair.portA.receive(stats, 64) == 0)
                {
                    pair.portA.awaitReceive(2);
                }
            }
            assertTrue(!seesEveryByte || stats.payloadBytes >= TRANSFER_BYTES, "the port saw every byte b sent: " +
                stats);
            return stats;
        }
        finally
        {
            threads.shutdownNow();
            threads.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    /** Tallies the TCP frames of one connection from src to dst:port. */
    private static final class TcpStats implements FrameHandler
    {
        private final int src;
        private final int dst;
        private final int dstPort;
        int frames;
        int withPayload;
        int partial;
        int verified;
        int validChecksum;
        int longerThanMtu;
        int longest;
        long payloadBytes;
        final TreeMap<Integer, Integer> superFrameLengths = new TreeMap<>();

        TcpStats(final int src, final int dst, final int dstPort)
        {
            this.src = src;
            this.dst = dst;
            this.dstPort = dstPort;
        }

        @Override
        public void onFrame(final MutableDirectBuffer buffer, final int offset, final int length, final int flags)
        {
            if (length < 54 || (buffer.getShort(offset + 12, ByteOrder.BIG_ENDIAN) & 0xFFFF) != 0x0800 ||
                buffer.getByte(offset + 23) != 6 || buffer.getInt(offset + 26, ByteOrder.BIG_ENDIAN) != src ||
                buffer.getInt(offset + 30, ByteOrder.BIG_ENDIAN) != dst)
            {
                return;
            }
            final int ipHeader = (buffer.getByte(offset + 14) & 0x0F) * 4;
            final int ipTotal = buffer.getShort(offset + 16, ByteOrder.BIG_ENDIAN) & 0xFFFF;
            final int tcp = offset + 14 + ipHeader;
            if ((buffer.getShort(tcp + 2, ByteOrder.BIG_ENDIAN) & 0xFFFF) != dstPort)
            {
                return;
            }
            final int tcpLength = ipTotal - ipHeader;
            final int payload = tcpLength - ((buffer.getByte(tcp + 12) & 0xF0) >> 2);
            frames++;
            payloadBytes += payload;
            withPayload += payload > 0 ? 1 : 0;
            partial += (flags & PacketPort.FRAME_CHECKSUM_PARTIAL) != 0 ? 1 : 0;
            verified += (flags & PacketPort.FRAME_CHECKSUM_VERIFIED) != 0 ? 1 : 0;
            validChecksum += Checksum.isTcpValid(buffer, tcp, tcpLength, src, dst) ? 1 : 0;
            longest = Math.max(longest, length);
            if (length > 1514)
            {
                longerThanMtu++;
                superFrameLengths.merge(length, 1, Integer::sum);
            }
        }

        @Override
        public String toString()
        {
            return String.format("%d frames (%d with payload), partial %d, verified %d, checksum valid %d, " +
                "> 1514 B %d, longest %d B%s", frames, withPayload, partial, verified, validChecksum, longerThanMtu,
                longest, superFrameLengths.isEmpty() ? "" : ", super-frame lengths " +
                (superFrameLengths.size() > 8 ? superFrameLengths.firstKey() + ".." + superFrameLengths.lastKey() +
                " (" + superFrameLengths.size() + " distinct)" : superFrameLengths));
        }
    }
}
