package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

import static io.tandem.dataplane.packet.HexFrames.CLOSED_PORT;
import static io.tandem.dataplane.packet.HexFrames.SERVER_PORT;
import static io.tandem.dataplane.packet.TcpFlyweight.ACK;
import static io.tandem.dataplane.packet.TcpFlyweight.FIN;
import static io.tandem.dataplane.packet.TcpFlyweight.NOT_PRESENT;
import static io.tandem.dataplane.packet.TcpFlyweight.PSH;
import static io.tandem.dataplane.packet.TcpFlyweight.RST;
import static io.tandem.dataplane.packet.TcpFlyweight.SYN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpFlyweight} over one TCP connection and one refused connection between Linux sockets: ports, sequence
 * and acknowledgement numbers across the whole exchange, flags, windows and the options Linux puts in a SYN.
 */
class TcpFlyweightTest
{
    private final List<HexFrames.Frame> exchange = HexFrames.load(HexFrames.TCP_EXCHANGE);
    private final List<HexFrames.Frame> refused = HexFrames.load(HexFrames.TCP_REFUSED);
    private final TcpFlyweight tcp = new TcpFlyweight();

    private TcpFlyweight wrap(final HexFrames.Frame frame)
    {
        final UnsafeBuffer buffer = frame.buffer();
        tcp.wrap(buffer, HexFrames.tcpOffset(buffer, 0));
        return tcp;
    }

    /** @return payload bytes of the segment the flyweight is wrapped over, from the IPv4 total length. */
    private static int payloadLength(final TcpFlyweight tcp)
    {
        return HexFrames.tcpLength(tcp.buffer(), 0) - tcp.headerLength();
    }

    @Test
    void shouldReadPortsAndFieldsAsTheCaptureScriptDecodedThem()
    {
        final List<HexFrames.Frame> all = HexFrames.tcpFrames();
        for (final HexFrames.Frame frame : all)
        {
            wrap(frame);

            assertEquals(frame.field("seq"), tcp.seq(), frame::description);
            assertEquals(frame.field("ack"), tcp.ack(), frame::description);
            assertEquals(frame.field("win"), tcp.window(), frame::description);
            assertEquals(frame.field("len"), payloadLength(tcp), frame::description);
            assertEquals(0, tcp.urgentPointer(), frame::description);
            assertEquals(flags(frame.flagNames()), tcp.flags(), frame::description);
            assertEquals(frame.options().isEmpty(), tcp.headerLength() == TcpFlyweight.MIN_HEADER_LENGTH,
                frame::description);
        }
    }

    @Test
    void shouldKeepTheSamePortsForTheWholeConnection()
    {
        final int clientPort = wrap(exchange.get(0)).srcPort();
        // Linux picks ephemeral ports from ip_local_port_range, 32768..60999 by default.
        assertTrue(clientPort >= 1024, "ephemeral port " + clientPort);
        for (final HexFrames.Frame frame : exchange)
        {
            wrap(frame);
            assertEquals(frame.isFromClient() ? clientPort : SERVER_PORT, tcp.srcPort(), frame::description);
            assertEquals(frame.isFromClient() ? SERVER_PORT : clientPort, tcp.dstPort(), frame::description);
        }
    }

    @Test
    void shouldCompleteTheThreeWayHandshake()
    {
        final TcpFlyweight syn = new TcpFlyweight();
        final UnsafeBuffer synBuffer = exchange.get(0).buffer();
        syn.wrap(synBuffer, HexFrames.tcpOffset(synBuffer, 0));
        final TcpFlyweight synAck = new TcpFlyweight();
        final UnsafeBuffer synAckBuffer = exchange.get(1).buffer();
        synAck.wrap(synAckBuffer, HexFrames.tcpOffset(synAckBuffer, 0));
        final TcpFlyweight ack = wrap(exchange.get(2));

        assertEquals(SYN, syn.flags());
        assertEquals(0, syn.ack(), "no ACK flag, the field is zero");
        assertEquals(SYN | ACK, synAck.flags());
        assertEquals(syn.seq() + 1, synAck.ack(), "SYN-ACK acknowledges the SYN, which takes one sequence number");
        assertEquals(ACK, ack.flags());
        assertEquals(syn.seq() + 1, ack.seq());
        assertEquals(synAck.seq() + 1, ack.ack(), "ACK acknowledges the SYN-ACK");
        assertEquals(syn.srcPort(), synAck.dstPort());
        assertEquals(syn.dstPort(), synAck.srcPort());
    }

    @Test
    void shouldAdvanceSequenceNumbersByPayloadAndSynAndFinAcrossTheExchange()
    {
        // Next sequence number each side will send, and the highest it has acknowledged, as a real receiver sees.
        int clientNext = wrap(exchange.get(0)).seq();
        int serverNext = wrap(exchange.get(1)).seq();
        int clientFinSeq = 0;
        int serverFinSeq = 0;
        boolean clientFin = false;
        boolean serverFin = false;
        final List<Integer> clientPayloads = new ArrayList<>();
        final List<Integer> serverPayloads = new ArrayList<>();

        for (final HexFrames.Frame frame : exchange)
        {
            wrap(frame);
            final boolean fromClient = frame.isFromClient();
            final int length = payloadLength(tcp);
            final int flags = tcp.flags();

            assertEquals(fromClient ? clientNext : serverNext, tcp.seq(), () -> "in order, no loss: " + frame);
            if ((flags & ACK) != 0)
            {
                // Never acknowledges what the other side has not sent yet.
                final int otherNext = fromClient ? serverNext : clientNext;
                assertTrue(tcp.ack() - otherNext <= 0, frame::description);
            }
            final int advance = length + ((flags & SYN) != 0 ? 1 : 0) + ((flags & FIN) != 0 ? 1 : 0);
            if ((flags & FIN) != 0)
            {
                if (fromClient)
                {
                    clientFin = true;
                    clientFinSeq = tcp.seq() + length;
                }
                else
                {
                    serverFin = true;
                    serverFinSeq = tcp.seq() + length;
                }
            }
            if (length > 0)
            {
                (fromClient ? clientPayloads : serverPayloads).add(length);
                assertTrue((flags & PSH) != 0, () -> "Linux pushes the last segment of a write: " + frame);
            }
            if (fromClient)
            {
                clientNext += advance;
            }
            else
            {
                serverNext += advance;
            }
        }

        assertEquals(List.of(1, 1000), clientPayloads);
        assertEquals(List.of(37, 1000), serverPayloads);
        assertTrue(clientFin && serverFin, "FIN each way");

        final HexFrames.Frame last = exchange.get(exchange.size() - 1);
        wrap(last);
        assertTrue(last.isFromClient(), "the client half-closed first, so it sends the last ACK");
        assertEquals(ACK, tcp.flags());
        assertEquals(serverFinSeq + 1, tcp.ack(), "the last ACK covers the server's FIN");
        assertEquals(clientFinSeq + 1, tcp.seq());
    }

    @Test
    void shouldReadTheOptionsLinuxPutsInASynAndSynAck()
    {
        for (final HexFrames.Frame frame : List.of(exchange.get(0), exchange.get(1), refused.get(0)))
        {
            final int base = wrap(frame).offset();

            // Linux's tcp_options_write() order: MSS, SACK-permitted + timestamps, NOP, window scale.
            assertEquals("mss:1460,sackOK,ts:" + tsval(frame) + ":" + tsecr(frame) + ",nop,wscale:" +
                tcp.windowScale(), frame.options());
            assertEquals(40, tcp.headerLength(), frame::description);
            assertTrue(tcp.isOptionListValid(), frame::description);
            assertEquals(1460, tcp.mss(), "MTU 1500 - 20 - 20");
            assertTrue(tcp.isSackPermitted(), frame::description);
            assertTrue(tcp.windowScale() >= 0 && tcp.windowScale() <= 14, "RFC 7323 §2.3: shift at most 14");
            assertEquals(base + 20, tcp.findOption(TcpFlyweight.OPTION_MSS));
            assertEquals(base + 24, tcp.findOption(TcpFlyweight.OPTION_SACK_PERMITTED));
            assertEquals(base + 26, tcp.findOption(TcpFlyweight.OPTION_TIMESTAMPS));
            assertEquals(base + 26, tcp.timestampsOffset());
            assertEquals(base + 37, tcp.findOption(TcpFlyweight.OPTION_WINDOW_SCALE));
            assertEquals(NOT_PRESENT, tcp.findOption(TcpFlyweight.OPTION_SACK));
        }
    }

    @Test
    void shouldFindOnlyTimestampsAfterTheHandshake()
    {
        for (final HexFrames.Frame frame : exchange.subList(2, exchange.size()))
        {
            final int base = wrap(frame).offset();

            assertEquals("nop,nop,ts:" + tsval(frame) + ":" + tsecr(frame), frame.options());
            assertEquals(32, tcp.headerLength(), frame::description);
            assertTrue(tcp.isOptionListValid(), frame::description);
            assertEquals(base + 22, tcp.timestampsOffset(), frame::description);
            assertEquals(NOT_PRESENT, tcp.mss(), frame::description);
            assertEquals(NOT_PRESENT, tcp.windowScale(), frame::description);
            assertFalse(tcp.isSackPermitted(), frame::description);
        }
    }

    @Test
    void shouldEchoTimestampsOfThePeer()
    {
        final Set<Integer> clientValues = new HashSet<>();
        final Set<Integer> serverValues = new HashSet<>();
        int lastClient = 0;
        int lastServer = 0;
        for (int i = 0; i < exchange.size(); i++)
        {
            final HexFrames.Frame frame = exchange.get(i);
            final int at = wrap(frame).timestampsOffset();
            final int value = Bytes.i32(tcp.buffer(), at + 2);
            final int echo = Bytes.i32(tcp.buffer(), at + 6);

            assertEquals(tsval(frame), Integer.toUnsignedLong(value));
            assertEquals(tsecr(frame), Integer.toUnsignedLong(echo));
            if (0 == i)
            {
                assertEquals(0, echo, "a SYN has nothing to echo");
            }
            else
            {
                // RFC 7323 §4.3: TSecr is TS.Recent, a TSval the peer sent earlier.
                assertTrue((frame.isFromClient() ? serverValues : clientValues).contains(echo), frame::description);
            }
            if (i > 1)
            {
                assertTrue(value - (frame.isFromClient() ? lastClient : lastServer) >= 0, "monotonic TSval");
            }
            (frame.isFromClient() ? clientValues : serverValues).add(value);
            if (frame.isFromClient())
            {
                lastClient = value;
            }
            else
            {
                lastServer = value;
            }
        }
        wrap(exchange.get(1));
        final int synAckEcho = Bytes.i32(tcp.buffer(), tcp.timestampsOffset() + 6);
        wrap(exchange.get(0));
        assertEquals(Bytes.i32(tcp.buffer(), tcp.timestampsOffset() + 2), synAckEcho, "SYN-ACK echoes the SYN");
    }

    @Test
    void shouldReadTheWindowAsSentWithoutScaling()
    {
        final int synWindow = wrap(exchange.get(0)).window();
        final int scale = tcp.windowScale();
        final int dataWindow = wrap(exchange.get(2)).window();

        // RFC 7323 §2.2: the window in a SYN is never scaled; later windows are, so they read small as sent.
        assertTrue(synWindow > dataWindow, synWindow + " vs " + dataWindow);
        // Scaled back, the first ACK offers what the SYN offered, give or take the granularity of the shift.
        assertTrue(dataWindow << scale >= synWindow - (1 << scale), "scaled " + (dataWindow << scale));
    }

    @Test
    void shouldReadTheRefusedConnection()
    {
        final HexFrames.Frame syn = refused.get(0);
        final HexFrames.Frame rst = refused.get(1);
        final int synSeq = wrap(syn).seq();
        assertEquals(SYN, tcp.flags());
        assertEquals(CLOSED_PORT, tcp.dstPort());
        final int clientPort = tcp.srcPort();

        wrap(rst);
        // RFC 9293 §3.10.7.1: a closed port answers a segment without ACK with
        // <SEQ=0><ACK=SEG.SEQ+SEG.LEN><CTL=RST,ACK>, and the SYN counts one.
        assertEquals(RST | ACK, tcp.flags());
        assertEquals(0, tcp.seq());
        assertEquals(synSeq + 1, tcp.ack());
        assertEquals(0, tcp.window());
        assertEquals(CLOSED_PORT, tcp.srcPort());
        assertEquals(clientPort, tcp.dstPort());
        assertEquals(TcpFlyweight.MIN_HEADER_LENGTH, tcp.headerLength());
        assertTrue(tcp.isOptionListValid());
        assertEquals(NOT_PRESENT, tcp.findOption(TcpFlyweight.OPTION_TIMESTAMPS));
        assertEquals(NOT_PRESENT, tcp.mss());
        assertEquals(0, payloadLength(tcp));
    }

    @Test
    void shouldWriteFieldsThatReadBackInPlace()
    {
        final HexFrames.Frame frame = exchange.get(0);
        final UnsafeBuffer buffer = frame.bufferAt(5, 0);
        final int base = HexFrames.tcpOffset(buffer, 5);
        tcp.wrap(buffer, base);

        tcp.srcPort(0xFFFF).dstPort(0).seq(0xFFFF_FFFF).ack(0x8000_0000).flags(0xFF).window(0xFFFF)
            .checksum(0xABCD).urgentPointer(0x1234);
        assertEquals(0xFFFF, tcp.srcPort());
        assertEquals(0, tcp.dstPort());
        assertEquals(0xFFFF_FFFF, tcp.seq());
        assertEquals(0x8000_0000, tcp.ack());
        assertEquals(0xFF, tcp.flags());
        assertEquals(0xFFFF, tcp.window());
        assertEquals(0xABCD, tcp.checksum());
        assertEquals(0x1234, tcp.urgentPointer());
        assertEquals(40, tcp.headerLength(), "the flags byte is not the data offset byte");
        assertEquals(1460, tcp.mss(), "options untouched");

        tcp.headerLength(60);
        assertEquals(60, tcp.headerLength());
        assertEquals(0xF0, buffer.getByte(base + TcpFlyweight.DATA_OFFSET_OFFSET) & 0xFF);
    }

    private static long tsval(final HexFrames.Frame frame)
    {
        return Long.parseLong(timestampField(frame)[1]);
    }

    private static long tsecr(final HexFrames.Frame frame)
    {
        return Long.parseLong(timestampField(frame)[2]);
    }

    private static String[] timestampField(final HexFrames.Frame frame)
    {
        for (final String option : frame.options().split(","))
        {
            if (option.startsWith("ts:"))
            {
                return option.split(":");
            }
        }
        throw new AssertionError("no timestamps in " + frame);
    }

    private static int flags(final String names)
    {
        int flags = 0;
        for (final String name : names.split("\\|"))
        {
            flags |= switch (name)
            {
                case "FIN" -> FIN;
                case "SYN" -> SYN;
                case "RST" -> RST;
                case "PSH" -> PSH;
                case "ACK" -> ACK;
                case "URG" -> TcpFlyweight.URG;
                case "ECE" -> TcpFlyweight.ECE;
                case "CWR" -> TcpFlyweight.CWR;
                default -> throw new IllegalArgumentException(name);
            };
        }
        return flags;
    }
}
