package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link Bytes}: network-order access, and the text forms of IPv4 and MAC addresses used in configuration.
 */
class BytesTest
{
    @Test
    void shouldParseAndFormatTheCapturesAddresses()
    {
        assertEquals(HexFrames.CLIENT_IP, Bytes.parseIpv4("198.18.100.1"));
        assertEquals("198.18.100.2", Bytes.ipv4ToString(HexFrames.SERVER_IP));
        assertEquals(0, Bytes.parseIpv4("0.0.0.0"));
        assertEquals(0xFFFF_FFFF, Bytes.parseIpv4("255.255.255.255"));
        assertEquals("255.255.255.255", Bytes.ipv4ToString(-1));
        assertEquals("128.0.0.0", Bytes.ipv4ToString(Integer.MIN_VALUE));

        assertEquals(HexFrames.CLIENT_MAC, Bytes.parseMac("02:74:67:66:00:01"));
        assertEquals("02:74:67:66:00:02", Bytes.macToString(HexFrames.SERVER_MAC));
        assertEquals(EthernetFlyweight.BROADCAST, Bytes.parseMac("ff:ff:ff:ff:ff:ff"));
        assertEquals(EthernetFlyweight.BROADCAST, Bytes.parseMac("FF:FF:FF:FF:FF:FF"));
        assertEquals("00:00:00:00:00:00", Bytes.macToString(0));
    }

    @Test
    void shouldRoundTripIpv4Addresses()
    {
        final Random random = new Random(791);
        for (int i = 0; i < 100_000; i++)
        {
            final int address = random.nextInt();
            final String text = Bytes.ipv4ToString(address);

            assertEquals(address, Bytes.parseIpv4(text), text);
            assertEquals(text, Bytes.ipv4ToString(Bytes.parseIpv4(text)));
        }
    }

    @Test
    void shouldRoundTripMacAddresses()
    {
        final Random random = new Random(826);
        for (int i = 0; i < 100_000; i++)
        {
            final long mac = random.nextLong() & 0xFFFF_FFFF_FFFFL;
            final String text = Bytes.macToString(mac);

            assertEquals(17, text.length(), text);
            assertEquals(mac, Bytes.parseMac(text), text);
            assertEquals(mac, Bytes.parseMac(text.toUpperCase()), text);
        }
    }

    @Test
    void shouldFormatOnlyTheLow48BitsOfAMac()
    {
        assertEquals("ff:ff:ff:ff:ff:ff", Bytes.macToString(-1L));
        assertEquals("02:74:67:66:00:01", Bytes.macToString(0xABCD_0274_6766_0001L));
    }

    @Test
    void shouldRejectMalformedIpv4Addresses()
    {
        final String[] bad =
        {
            "", ".", "...", "1.2.3", "1.2.3.4.5", "1.2.3.", ".1.2.3", "1..2.3", "256.0.0.1", "1.2.3.256",
            "1.2.3.-1", "-1.2.3.4", "+1.2.3.4", "1.2.3.4 ", " 1.2.3.4", "1.2.3.4/24", "a.b.c.d", "0x1.2.3.4",
            "1.2.3.4a", "1000.2.3.4", "0001.2.3.4", "1,2,3,4", "1.2.3.4\n",
            // leading zeros: octal to some tools, decimal to others
            "01.2.3.4", "198.018.0.1", "1.2.3.00",
            // Unicode digits that Character.isDigit and Integer.parseInt accept: Arabic-Indic one, fullwidth one.
            "\u0661.2.3.4", "1.2.3.\uFF11",
        };
        for (final String text : bad)
        {
            assertThrows(IllegalArgumentException.class, () -> Bytes.parseIpv4(text), "'" + text + "'");
        }
    }

    @Test
    void shouldRejectMalformedMacAddresses()
    {
        final String[] bad =
        {
            "", "02:74:67:66:00", "02:74:67:66:00:01:02", "02:74:67:66:00:", "2:74:67:66:00:01",
            "002:74:67:66:00:1", "02-74-67-66-00-01", "0274.6766.0001", "027467660001", "0g:74:67:66:00:01",
            "02:74:67:66:00:01 ", " 02:74:67:66:00:01",
            // Integer.parseInt(text, 16) takes a sign and Unicode digits and letters: none of them is a MAC.
            "-1:00:00:00:00:00", "+f:00:00:00:00:00", "00:00:00:00:00:-0", "\uFF21\uFF21:00:00:00:00:00",
            "\u0661\u0661:00:00:00:00:00",
        };
        for (final String text : bad)
        {
            assertThrows(IllegalArgumentException.class, () -> Bytes.parseMac(text), "'" + text + "'");
        }
    }

    @Test
    void shouldReadAndWriteInNetworkByteOrderAtAnyOffset()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(20));
        for (int offset = 0; offset < 8; offset++)
        {
            buffer.setMemory(0, 20, (byte)0xA5);
            Bytes.u16(buffer, offset, 0x1_ABCD);
            Bytes.i32(buffer, offset + 2, 0xC612_6401);
            Bytes.mac(buffer, offset + 6, 0xFFFF_0274_6766_0002L);

            final byte[] bytes = new byte[20];
            buffer.getBytes(0, bytes);
            final byte[] expected = new byte[20];
            Arrays.fill(expected, (byte)0xA5);
            System.arraycopy(HexFormat.of().parseHex("abcdc6126401027467660002"), 0, expected, offset, 12);
            assertArrayEquals(expected, bytes, "offset " + offset + ": big-endian, nothing outside the field");
            assertEquals(0xABCD, Bytes.u16(buffer, offset));
            assertEquals(0xC612_6401, Bytes.i32(buffer, offset + 2));
            assertEquals(0x0274_6766_0002L, Bytes.mac(buffer, offset + 6));
        }
    }

    @Test
    void shouldReadAMacWithTheTopBitSetAsAPositiveLong()
    {
        final UnsafeBuffer buffer = new UnsafeBuffer(HexFormat.of().parseHex("ffeeddccbbaa"));

        assertEquals(0xFFEE_DDCC_BBAAL, Bytes.mac(buffer, 0));
        assertEquals(0xFFEE, Bytes.u16(buffer, 0), "unsigned");
    }
}
