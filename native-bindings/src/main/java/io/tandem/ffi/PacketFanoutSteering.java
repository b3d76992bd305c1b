package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * Steers both directions of a connection to the same worker: a classic BPF program for a {@code PACKET_FANOUT_CBPF}
 * group of RX sockets, one socket per worker, joined in worker order. The kernel runs it on each frame with the
 * data at the IPv4 header and delivers the frame to socket {@code result % workers}.
 * <pre>
 *   TCP to the SNAT address     worker = min((dstPort - firstPort) / share, workers - 1)   the port range it owns
 *   any other TCP               worker = hash(srcIp, srcPort)                             the client's side
 *   anything else               worker 0                                                  (left to the kernel)
 * </pre>
 * A connection's first SYN reaches the worker its client hashes to; that worker takes the SNAT port from its own
 * range, so the target's answers, addressed to that port, come back to it. Program, as assembled below:
 * <pre>
 *    0  ldb [9]                 A = protocol
 *    1  jeq #6, 2, 18           TCP?
 *    2  ld  [16]                A = destination address
 *    3  jeq #snat, 4, 11
 *    4  ldxb 4*([0]&amp;0xf)     X = IPv4 header length
 *    5  ldh [x+2]               A = destination port
 *    6  sub #firstPort
 *    7  div #share
 *    8  jge #workers, 10, 9
 *    9  ret a
 *   10  ret #workers-1
 *   11  ld  [12]                A = source address
 *   12  st  M[0]
 *   13  ldxb 4*([0]&amp;0xf)
 *   14  ldh [x+0]               A = source port
 *   15  ldx M[0]
 *   16  xor x
 *   17  (mixing: mul, rsh, ret a — see code)
 *   ..  ret #0
 * </pre>
 * Frames the kernel sends (which the RX sockets ignore) carry their Ethernet header at offset 0, so the program
 * reads nonsense for them and picks some socket, which drops them: harmless.
 */
public final class PacketFanoutSteering
{
    /** PACKET_FANOUT mode: classic BPF chooses the socket. */
    public static final int PACKET_FANOUT_CBPF = 6;
    /** Socket option carrying the fanout group's program. */
    public static final int PACKET_FANOUT_DATA = 22;

    private static final int INSTRUCTION_LENGTH = 8;
    private static final int SOCK_FPROG_LENGTH = 16;

    private PacketFanoutSteering()
    {
    }

    /**
     * The program's instructions: each {@code struct sock_filter {u16 code; u8 jt; u8 jf; u32 k;}} as a long.
     *
     * @param snatIp    the SNAT address.
     * @param firstPort first port of the SNAT range.
     * @param share     ports per worker; the last worker also takes the remainder.
     * @param workers   number of workers.
     * @return the instructions, in order.
     */
    public static long[] program(final int snatIp, final int firstPort, final int share, final int workers)
    {
        if (workers < 1 || share < 1)
        {
            throw new IllegalArgumentException("need at least one worker and one port per worker");
        }
        return new long[]
        {
            insn(0x30, 0, 0, 9),                 //  0 ldb [9]
            insn(0x15, 0, 18, 6),                //  1 jeq #6 ? 2 : 20
            insn(0x20, 0, 0, 16),                //  2 ld [16]
            insn(0x15, 0, 7, snatIp),            //  3 jeq #snat ? 4 : 11
            insn(0xb1, 0, 0, 0),                 //  4 ldxb 4*([0]&0xf)
            insn(0x48, 0, 0, 2),                 //  5 ldh [x+2]
            insn(0x14, 0, 0, firstPort),         //  6 sub #firstPort
            insn(0x34, 0, 0, share),             //  7 div #share
            insn(0x35, 1, 0, workers),           //  8 jge #workers ? 10 : 9
            insn(0x16, 0, 0, 0),                 //  9 ret a
            insn(0x06, 0, 0, workers - 1),       // 10 ret #workers-1
            insn(0x20, 0, 0, 12),                // 11 ld [12]
            insn(0x02, 0, 0, 0),                 // 12 st M[0]
            insn(0xb1, 0, 0, 0),                 // 13 ldxb 4*([0]&0xf)
            insn(0x48, 0, 0, 0),                 // 14 ldh [x+0]
            insn(0x61, 0, 0, 0),                 // 15 ldx M[0]
            insn(0xac, 0, 0, 0),                 // 16 xor x
            insn(0x24, 0, 0, 0x9E37_79B1),       // 17 mul #golden ratio (spreads sequential ports and addresses)
            insn(0x74, 0, 0, 16),                // 18 rsh #16
            insn(0x16, 0, 0, 0),                 // 19 ret a
            insn(0x06, 0, 0, 0),                 // 20 ret #0
        };
    }

    private static long insn(final int code, final int jt, final int jf, final int k)
    {
        return (code & 0xFFFFL) | ((jt & 0xFFL) << 16) | ((jf & 0xFFL) << 24) | ((k & 0xFFFF_FFFFL) << 32);
    }

    /**
     * Joins an RX packet socket to a CBPF fanout group and sets the group's program (the same for every member, so
     * setting it again is harmless). Sockets must join in worker order: the kernel numbers them as they join.
     *
     * @param fd      a bound AF_PACKET socket.
     * @param groupId the fanout group, 0..65535, unique on the host while the agent runs.
     * @param program from {@link #program}.
     * @throws NativeException naming the option when the kernel refuses.
     */
    public static void join(final int fd, final int groupId, final long[] program)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(arena);
            final MemorySegment scratch = arena.allocate(8);
            final int fanout = (groupId & 0xFFFF) | (PACKET_FANOUT_CBPF << 16);
            LibC.check("setsockopt(PACKET_FANOUT group " + groupId + " mode CBPF)",
                LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_PACKET, PacketSocket.PACKET_FANOUT, fanout));
            final MemorySegment filter = arena.allocate((long)program.length * INSTRUCTION_LENGTH, 8);
            for (int i = 0; i < program.length; i++)
            {
                final long insn = program[i];
                final long at = (long)i * INSTRUCTION_LENGTH;
                filter.set(JAVA_SHORT, at, (short)insn);
                filter.set(JAVA_BYTE, at + 2, (byte)(insn >>> 16));
                filter.set(JAVA_BYTE, at + 3, (byte)(insn >>> 24));
                filter.set(JAVA_INT, at + 4, (int)(insn >>> 32));
            }
            // struct sock_fprog { unsigned short len; (padding); struct sock_filter *filter; }
            final MemorySegment fprog = arena.allocate(SOCK_FPROG_LENGTH, 8);
            fprog.set(JAVA_SHORT, 0, (short)program.length);
            fprog.set(ADDRESS, 8, filter);
            LibC.check("setsockopt(PACKET_FANOUT_DATA, " + program.length + " instructions)",
                LibC.setsockopt(errno, fd, LibC.SOL_PACKET, PACKET_FANOUT_DATA, fprog));
        }
    }
}
