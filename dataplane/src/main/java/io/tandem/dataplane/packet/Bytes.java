package io.tandem.dataplane.packet;

import org.agrona.DirectBuffer;
import org.agrona.MutableDirectBuffer;

import java.nio.ByteOrder;

/**
 * Network-byte-order access to buffers, and the 48-bit MAC address held in the low bits of a {@code long}.
 */
public final class Bytes
{
    private static final ByteOrder NETWORK = ByteOrder.BIG_ENDIAN;

    private Bytes()
    {
    }

    /** Unsigned big-endian 16-bit read. */
    public static int u16(final DirectBuffer buffer, final int index)
    {
        return buffer.getShort(index, NETWORK) & 0xFFFF;
    }

    /** Big-endian 16-bit write of the low 16 bits of {@code value}. */
    public static void u16(final MutableDirectBuffer buffer, final int index, final int value)
    {
        buffer.putShort(index, (short)value, NETWORK);
    }

    /** Big-endian 32-bit read. */
    public static int i32(final DirectBuffer buffer, final int index)
    {
        return buffer.getInt(index, NETWORK);
    }

    /** Big-endian 32-bit write. */
    public static void i32(final MutableDirectBuffer buffer, final int index, final int value)
    {
        buffer.putInt(index, value, NETWORK);
    }

    /** Reads a 6-byte MAC address into the low 48 bits of a long. */
    public static long mac(final DirectBuffer buffer, final int index)
    {
        return ((long)(buffer.getInt(index, NETWORK)) & 0xFFFF_FFFFL) << 16 | u16(buffer, index + 4);
    }

    /** Writes the low 48 bits of {@code mac} as a 6-byte MAC address. */
    public static void mac(final MutableDirectBuffer buffer, final int index, final long mac)
    {
        buffer.putInt(index, (int)(mac >>> 16), NETWORK);
        buffer.putShort(index + 4, (short)mac, NETWORK);
    }

    /** Formats an IPv4 address held in an int (network order as a number) as dotted quad. Not for the hot path. */
    public static String ipv4ToString(final int address)
    {
        return ((address >>> 24) & 0xFF) + "." + ((address >>> 16) & 0xFF) + "." +
            ((address >>> 8) & 0xFF) + "." + (address & 0xFF);
    }

    /**
     * Parses a dotted-quad IPv4 address. Not for the hot path.
     *
     * @throws IllegalArgumentException when the text is not four decimal octets 0..255. Leading zeros are refused:
     *                                  some tools read {@code 010} as octal, so such an address is ambiguous.
     */
    public static int parseIpv4(final String text)
    {
        final String[] parts = text.split("\\.", -1);
        if (parts.length != 4)
        {
            throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
        }
        int address = 0;
        for (final String part : parts)
        {
            // ASCII digits only: Character.isDigit and Integer.parseInt also take other scripts' digits.
            if (part.isEmpty() || part.length() > 3 || !part.chars().allMatch(c -> c >= '0' && c <= '9') ||
                (part.length() > 1 && part.charAt(0) == '0'))
            {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            final int octet = Integer.parseInt(part);
            if (octet > 255)
            {
                throw new IllegalArgumentException("not an IPv4 address: '" + text + "'");
            }
            address = (address << 8) | octet;
        }
        return address;
    }

    /** Formats a MAC held in the low 48 bits of a long as {@code aa:bb:cc:dd:ee:ff}. Not for the hot path. */
    public static String macToString(final long mac)
    {
        final StringBuilder sb = new StringBuilder(17);
        for (int shift = 40; shift >= 0; shift -= 8)
        {
            if (shift != 40)
            {
                sb.append(':');
            }
            final int b = (int)(mac >>> shift) & 0xFF;
            sb.append(Character.forDigit(b >>> 4, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }

    /** Parses {@code aa:bb:cc:dd:ee:ff}. Not for the hot path. */
    public static long parseMac(final String text)
    {
        final String[] parts = text.split(":", -1);
        if (parts.length != 6)
        {
            throw new IllegalArgumentException("not a MAC address: '" + text + "'");
        }
        long mac = 0;
        for (final String part : parts)
        {
            // Checked here because Integer.parseInt(part, 16) also takes a sign ("-1", "+f") and non-ASCII digits.
            if (part.length() != 2 || !isHexDigit(part.charAt(0)) || !isHexDigit(part.charAt(1)))
            {
                throw new IllegalArgumentException("not a MAC address: '" + text + "'");
            }
            mac = (mac << 8) | Integer.parseInt(part, 16);
        }
        return mac;
    }

    private static boolean isHexDigit(final char c)
    {
        return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
    }
}
