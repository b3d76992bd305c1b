package io.tandem.dataplane.packet;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Loads the golden frames under {@code src/test/resources/frames/} (written by
 * {@code scripts/capture-golden-frames.sh}) into {@link UnsafeBuffer}s over direct {@link ByteBuffer}s, so the
 * flyweights under test read off-heap memory as they do on a packet ring.
 * <p>
 * Format: one Ethernet frame per line as hex; the last {@code #} line before it describes it. The description is
 * {@code "<n> <words...> key=value key=value ..."}; the key/value fields were decoded by the capture script, in
 * Python, and serve as an independent reading of the frame to check the flyweights against.
 */
final class HexFrames
{
    /** The client's address in every capture. */
    static final int CLIENT_IP = 0xC612_6401;
    /** The server's address in every capture. */
    static final int SERVER_IP = 0xC612_6402;
    /** The client's veth MAC, fixed by the capture script. */
    static final long CLIENT_MAC = 0x0274_6766_0001L;
    /** The server's veth MAC, fixed by the capture script. */
    static final long SERVER_MAC = 0x0274_6766_0002L;
    /** The port the capture's server listens on. */
    static final int SERVER_PORT = 8080;
    /** The port nothing listens on, whose connection is refused. */
    static final int CLOSED_PORT = 9;
    /** Offset of the IPv4 header in a frame without VLAN tags. */
    static final int IP_OFFSET = EthernetFlyweight.HEADER_LENGTH;

    /** ARP request and reply. */
    static final String ARP = "frames/arp.hex";
    /** One complete TCP connection. */
    static final String TCP_EXCHANGE = "frames/tcp-exchange.hex";
    /** SYN to a closed port and the RST|ACK that refuses it. */
    static final String TCP_REFUSED = "frames/tcp-refused.hex";

    private HexFrames()
    {
    }

    /**
     * One captured frame.
     *
     * @param description the comment line before the frame, without {@code #}.
     * @param bytes       the whole Ethernet frame.
     */
    record Frame(String description, byte[] bytes)
    {
        /** @return frame length in bytes. */
        int length()
        {
            return bytes.length;
        }

        /** @return a fresh off-heap buffer holding exactly this frame at index 0. */
        UnsafeBuffer buffer()
        {
            return bufferAt(0, 0);
        }

        /**
         * @param offset   where the frame starts in the buffer.
         * @param trailing spare bytes after the frame.
         * @return a fresh off-heap buffer of {@code offset + length() + trailing} bytes, the frame at {@code offset}
         * and every other byte 0xA5, so reads outside the frame show.
         */
        UnsafeBuffer bufferAt(final int offset, final int trailing)
        {
            final ByteBuffer direct = ByteBuffer.allocateDirect(offset + bytes.length + trailing);
            final UnsafeBuffer buffer = new UnsafeBuffer(direct);
            buffer.setMemory(0, buffer.capacity(), (byte)0xA5);
            buffer.putBytes(offset, bytes);
            return buffer;
        }

        /** @return true when the description holds the word, e.g. {@code client>server} or {@code ARP}. */
        boolean has(final String word)
        {
            for (final String token : description.split(" "))
            {
                if (token.equals(word))
                {
                    return true;
                }
            }
            return false;
        }

        /** @return true for a frame from the client to the server. */
        boolean isFromClient()
        {
            return has("client>server");
        }

        /** @return the TCP flags as the capture script named them, e.g. {@code SYN|ACK}; the third word. */
        String flagNames()
        {
            return description.split(" ")[2];
        }

        /** @return the {@code key=value} fields of the description. */
        Map<String, String> fields()
        {
            final Map<String, String> fields = new HashMap<>();
            for (final String token : description.split(" "))
            {
                final int eq = token.indexOf('=');
                if (eq > 0)
                {
                    fields.put(token.substring(0, eq), token.substring(eq + 1));
                }
            }
            return fields;
        }

        /** @return a numeric field; unsigned 32-bit values come back as their int bit pattern. */
        int field(final String key)
        {
            final String value = fields().get(key);
            if (null == value)
            {
                throw new IllegalArgumentException("no field '" + key + "' in: " + description);
            }
            return (int)Long.parseLong(value);
        }

        /** @return the TCP options as the capture script decoded them, e.g. {@code mss:1460,sackOK}, or "". */
        String options()
        {
            return fields().getOrDefault("opts", "");
        }

        @Override
        public String toString()
        {
            return description;
        }
    }

    /**
     * @param resource path on the test class path, e.g. {@link #TCP_EXCHANGE}.
     * @return the frames in capture order.
     */
    static List<Frame> load(final String resource)
    {
        final InputStream in = HexFrames.class.getClassLoader().getResourceAsStream(resource);
        if (null == in)
        {
            throw new IllegalArgumentException("no resource " + resource);
        }
        final List<Frame> frames = new ArrayList<>();
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII)))
        {
            String description = null;
            String line;
            while ((line = reader.readLine()) != null)
            {
                line = line.strip();
                if (line.startsWith("#"))
                {
                    final String comment = line.substring(1).strip();
                    if (!comment.isEmpty())
                    {
                        description = comment;
                    }
                }
                else if (!line.isEmpty())
                {
                    if (null == description)
                    {
                        throw new IllegalStateException(resource + ": frame without a description");
                    }
                    frames.add(new Frame(description, HexFormat.of().parseHex(line)));
                    description = null;
                }
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        if (frames.isEmpty())
        {
            throw new IllegalStateException(resource + ": no frames");
        }
        return frames;
    }

    /** @return every captured TCP/IPv4 frame: the exchange and the refused connection. */
    static List<Frame> tcpFrames()
    {
        final List<Frame> frames = new ArrayList<>(load(TCP_EXCHANGE));
        frames.addAll(load(TCP_REFUSED));
        return frames;
    }

    /** @return offset of the TCP header of a frame at {@code frameOffset}, from the IPv4 header length. */
    static int tcpOffset(final DirectBuffer buffer, final int frameOffset)
    {
        return frameOffset + IP_OFFSET + ((buffer.getByte(frameOffset + IP_OFFSET) & 0x0F) << 2);
    }

    /** @return TCP header plus payload length of a frame at {@code frameOffset}, from the IPv4 header. */
    static int tcpLength(final DirectBuffer buffer, final int frameOffset)
    {
        final int ip = frameOffset + IP_OFFSET;
        return Bytes.u16(buffer, ip + Ipv4Flyweight.TOTAL_LENGTH_OFFSET) - ((buffer.getByte(ip) & 0x0F) << 2);
    }
}
