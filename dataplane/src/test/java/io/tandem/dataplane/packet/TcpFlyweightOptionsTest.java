package io.tandem.dataplane.packet;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.nio.ByteBuffer;
import java.util.HexFormat;
import java.util.Random;

import static io.tandem.dataplane.packet.TcpFlyweight.NOT_PRESENT;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_EOL;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_MSS;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_NOP;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_SACK;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_SACK_PERMITTED;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_TIMESTAMPS;
import static io.tandem.dataplane.packet.TcpFlyweight.OPTION_WINDOW_SCALE;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link TcpFlyweight#findOption}, {@link TcpFlyweight#isOptionListValid} and the option accessors over option
 * lists that a hostile or broken sender could put on the wire. Every header sits at an odd offset at the very end
 * of a buffer exactly as long as it, so Agrona's bounds checks turn any read past the header into a failure.
 */
class TcpFlyweightOptionsTest
{
    private static final int[] KINDS =
    {
        OPTION_MSS, OPTION_WINDOW_SCALE, OPTION_SACK_PERMITTED, OPTION_SACK, OPTION_TIMESTAMPS, 30, 254
    };
    private static final int AT = 3;

    private final TcpFlyweight tcp = new TcpFlyweight();

    /**
     * Wraps a header of 20 fixed bytes followed by the options given as hex, padded with EOL to a multiple of 4.
     */
    private TcpFlyweight header(final String optionsHex)
    {
        final byte[] options = HexFormat.of().parseHex(optionsHex);
        final int length = TcpFlyweight.MIN_HEADER_LENGTH + ((options.length + 3) & ~3);
        final UnsafeBuffer buffer = new UnsafeBuffer(ByteBuffer.allocateDirect(AT + length));
        buffer.putBytes(AT, HexFormat.of().parseHex("e55a00097a0114eb000000000002faf0b9830000"));
        buffer.putBytes(AT + TcpFlyweight.MIN_HEADER_LENGTH, options);
        tcp.wrap(buffer, AT);
        tcp.headerLength(length).flags(TcpFlyweight.SYN);
        return tcp;
    }

    private int at(final int optionOffset)
    {
        return AT + TcpFlyweight.MIN_HEADER_LENGTH + optionOffset;
    }

    private void assertNoOptionFound()
    {
        for (final int kind : KINDS)
        {
            assertEquals(NOT_PRESENT, tcp.findOption(kind), "kind " + kind);
        }
        assertEquals(NOT_PRESENT, tcp.mss());
        assertEquals(NOT_PRESENT, tcp.windowScale());
        assertEquals(NOT_PRESENT, tcp.timestampsOffset());
        assertFalse(tcp.isSackPermitted());
    }

    @Test
    void shouldFindNothingInAHeaderWithoutOptions()
    {
        header("");

        assertEquals(TcpFlyweight.MIN_HEADER_LENGTH, tcp.headerLength());
        assertTrue(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRejectAnOptionOfLengthZeroWithoutLoopingForever()
    {
        // A walker that adds the length without checking it would spin here forever.
        header("02000000");

        assertFalse(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldRejectAnOptionOfLengthOne()
    {
        header("01010301" + "020405b4");

        assertFalse(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    void shouldRejectAnOptionThatRunsPastTheHeader()
    {
        // NOP NOP, then timestamps claiming 10 bytes with only 6 left in the 28-byte header.
        header("0101080a00000001");

        assertEquals(28, tcp.headerLength());
        assertFalse(tcp.isOptionListValid());
        assertEquals(NOT_PRESENT, tcp.findOption(OPTION_TIMESTAMPS));
        assertEquals(NOT_PRESENT, tcp.timestampsOffset());
    }

    @Test
    void shouldRejectAnOptionWhoseLengthByteIsBeyondTheHeader()
    {
        // Three NOPs and an MSS kind as the very last byte: its length byte would be the first payload byte.
        header("01010102");

        assertFalse(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    void shouldNotReportAnMssWithTheWrongLength()
    {
        // MSS with length 3: within the header, so the walk goes on, but not a usable MSS.
        header("020305" + "01" + "0303" + "07");

        assertFalse(tcp.isOptionListValid());
        assertEquals(at(0), tcp.findOption(OPTION_MSS), "found as an option");
        assertEquals(NOT_PRESENT, tcp.mss(), "but not taken as an MSS");

        header("0206000005b4" + "0000");
        assertFalse(tcp.isOptionListValid());
        assertEquals(NOT_PRESENT, tcp.mss());
    }

    @Test
    void shouldNotReportAWindowScaleOrTimestampsWithTheWrongLength()
    {
        header("030407ff" + "080900000001000000" + "00");

        assertFalse(tcp.isOptionListValid());
        assertEquals(NOT_PRESENT, tcp.windowScale());
        assertEquals(at(0), tcp.findOption(OPTION_WINDOW_SCALE));
        assertEquals(at(4), tcp.findOption(OPTION_TIMESTAMPS));
        assertEquals(NOT_PRESENT, tcp.timestampsOffset());
    }

    @Test
    void shouldRejectSackBlocksOfAnIncompleteLength()
    {
        header("0101" + "0509" + "00000001000000020000");

        assertFalse(tcp.isOptionListValid());

        header("0101" + "050c" + "00000001000000020000");
        assertFalse(tcp.isOptionListValid(), "a block and a quarter");

        header("0101" + "050a" + "0000000100000002");
        assertTrue(tcp.isOptionListValid(), "one block");
        assertEquals(at(2), tcp.findOption(OPTION_SACK));
    }

    @Test
    void shouldStopAtEndOfOptionList()
    {
        // EOL first: what follows is padding, even if it looks like an MSS (RFC 9293 §3.1).
        header("00" + "020405b4" + "000000");

        assertTrue(tcp.isOptionListValid());
        assertNoOptionFound();

        header("020405b4" + "00" + "0303" + "07");
        assertTrue(tcp.isOptionListValid());
        assertEquals(1460, tcp.mss(), "before EOL");
        assertEquals(NOT_PRESENT, tcp.windowScale(), "after EOL");
    }

    @Test
    void shouldIgnoreGarbageAfterEndOfOptionList()
    {
        header("00" + "0200" + "ff");

        assertTrue(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    void shouldSkipNops()
    {
        header("0101010101010101010101" + "030307");

        assertTrue(tcp.isOptionListValid());
        assertEquals(7, tcp.windowScale());
        assertEquals(at(11), tcp.findOption(OPTION_WINDOW_SCALE));
        assertEquals(NOT_PRESENT, tcp.mss());

        header("01".repeat(40));
        assertEquals(TcpFlyweight.MAX_HEADER_LENGTH, tcp.headerLength());
        assertTrue(tcp.isOptionListValid());
        assertNoOptionFound();
    }

    @Test
    void shouldSkipUnknownOptionsOfAValidLength()
    {
        // An experimental option (RFC 6994, kind 254) and kind 30 (MPTCP) before the MSS.
        header("fe06abcd0102" + "1e03aa" + "020405b4" + "00");

        assertTrue(tcp.isOptionListValid());
        assertEquals(1460, tcp.mss());
        assertEquals(at(0), tcp.findOption(254));
        assertEquals(at(6), tcp.findOption(30));
    }

    @Test
    void shouldReadEveryOptionOfAFullSixtyByteHeader()
    {
        // 40 bytes of options and no padding: MSS, SACK-permitted, timestamps, NOP, window scale, two SACK
        // blocks, NOP NOP. The last option ends exactly at the end of the header.
        header("020405b4" + "0402" + "080a0102030405060708" + "01" + "03030e" + "0101"
            + "0512" + "00000001000000020000000300000004");

        assertEquals(TcpFlyweight.MAX_HEADER_LENGTH, tcp.headerLength());
        assertTrue(tcp.isOptionListValid());
        assertEquals(1460, tcp.mss());
        assertTrue(tcp.isSackPermitted());
        assertEquals(at(6), tcp.timestampsOffset());
        assertEquals(0x0102_0304, Bytes.i32(tcp.buffer(), tcp.timestampsOffset() + 2));
        assertEquals(0x0506_0708, Bytes.i32(tcp.buffer(), tcp.timestampsOffset() + 6));
        assertEquals(14, tcp.windowScale());
        assertEquals(at(22), tcp.findOption(OPTION_SACK));
        assertEquals(at(22) + 18, AT + TcpFlyweight.MAX_HEADER_LENGTH);
    }

    @Test
    void shouldRejectAnOptionRunningOneBytePastAFullHeader()
    {
        // 31 NOPs, then timestamps of length 10 with 9 bytes left.
        header("01".repeat(31) + "080a01020304050607");

        assertEquals(TcpFlyweight.MAX_HEADER_LENGTH, tcp.headerLength());
        assertFalse(tcp.isOptionListValid());
        assertEquals(NOT_PRESENT, tcp.timestampsOffset());

        header("01".repeat(30) + "080a0102030405060708");
        assertTrue(tcp.isOptionListValid(), "exactly to the end");
        assertEquals(at(30), tcp.timestampsOffset());
    }

    @Test
    void shouldFindNothingWhenTheDataOffsetIsBelowFive()
    {
        header("020405b4");
        for (int length = 0; length < TcpFlyweight.MIN_HEADER_LENGTH; length += 4)
        {
            tcp.headerLength(length);

            assertNoOptionFound();
        }
    }

    @Test
    @Timeout(value = 10, threadMode = Timeout.ThreadMode.SEPARATE_THREAD)
    void shouldNeverThrowOrReadPastTheHeaderOnRandomOptionBytes()
    {
        final Random random = new Random(9293);
        final byte[] options = new byte[TcpFlyweight.MAX_HEADER_LENGTH - TcpFlyweight.MIN_HEADER_LENGTH];
        int valid = 0;
        for (int i = 0; i < 50_000; i++)
        {
            random.nextBytes(options);
            // Mostly small kinds and lengths, the ones that make walkers go wrong.
            for (int j = 0; j < options.length; j++)
            {
                if (random.nextInt(4) != 0)
                {
                    options[j] = (byte)random.nextInt(12);
                }
            }
            final int length = TcpFlyweight.MIN_HEADER_LENGTH + 4 * random.nextInt(11);
            final UnsafeBuffer buffer = new UnsafeBuffer(new byte[AT + length]);
            buffer.putBytes(AT + TcpFlyweight.MIN_HEADER_LENGTH, options, 0, length - TcpFlyweight.MIN_HEADER_LENGTH);
            tcp.wrap(buffer, AT);
            tcp.headerLength(length);

            final boolean isValid = tcp.isOptionListValid();
            valid += isValid ? 1 : 0;
            for (final int kind : KINDS)
            {
                final int found = tcp.findOption(kind);
                if (found != NOT_PRESENT)
                {
                    assertEquals(kind, buffer.getByte(found) & 0xFF);
                    final int optionLength = buffer.getByte(found + 1) & 0xFF;
                    assertTrue(optionLength >= 2 && found + optionLength <= AT + length, "inside the header");
                }
            }
            final int mss = tcp.mss();
            assertTrue(mss == NOT_PRESENT || mss >= 0 && mss <= 0xFFFF);
            final int shift = tcp.windowScale();
            assertTrue(shift == NOT_PRESENT || shift >= 0 && shift <= 0xFF);
            final int timestamps = tcp.timestampsOffset();
            assertTrue(timestamps == NOT_PRESENT || timestamps + 10 <= AT + length);
            tcp.isSackPermitted();
        }
        assertTrue(valid > 1_000 && valid < 49_000, "both kinds of list were generated: " + valid);
    }

    @Test
    void shouldNotTakeAnEolOrNopForAnOption()
    {
        header("01010101" + "020405b4");

        assertEquals(NOT_PRESENT, tcp.findOption(OPTION_NOP));
        assertEquals(NOT_PRESENT, tcp.findOption(OPTION_EOL));
    }
}
