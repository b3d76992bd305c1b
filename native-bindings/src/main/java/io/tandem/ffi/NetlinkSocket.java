package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * A bound NETLINK_ROUTE socket with its buffers and errno segment: what {@link RtNetlink} and {@link RtNetlinkEvents}
 * share. Calls return a result or -errno, as {@link LibC} does.
 * <p>
 * Memory comes from a shared arena owned by the socket and freed by {@link #close()}. Not thread-safe: the owner
 * serialises calls.
 */
final class NetlinkSocket implements AutoCloseable
{
    /** recv flag: look at the datagram without taking it. Not in {@link LibC}. */
    static final int MSG_PEEK = 0x2;
    /** Socket option: receive buffer size (capped by net.core.rmem_max). Not in {@link LibC}. */
    static final int SO_RCVBUF = 8;
    /** Socket option: receive buffer size, ignoring rmem_max (needs CAP_NET_ADMIN). Not in {@link LibC}. */
    static final int SO_RCVBUFFORCE = 33;
    /** Initial receive buffer: the kernel fills dump datagrams up to 32 KiB. */
    static final int INITIAL_RECEIVE_BUFFER_LENGTH = 64 * 1024;

    private final Arena arena;
    private final MemorySegment errno;
    private final MemorySegment scratch;
    private final MemorySegment kernelAddress;
    private final MemorySegment sendBuffer;
    private final int fd;
    private MemorySegment receiveBuffer;
    private boolean closed;

    private NetlinkSocket(final Arena arena, final int fd, final MemorySegment errno)
    {
        this.arena = arena;
        this.fd = fd;
        this.errno = errno;
        this.scratch = arena.allocate(16, 8);
        this.kernelAddress = arena.allocate(RtNetlink.SOCKADDR_NL_LENGTH, 4);
        kernelAddress.set(JAVA_SHORT, RtNetlink.SOCKADDR_NL_FAMILY_OFFSET, (short)LibC.AF_NETLINK);
        this.sendBuffer = arena.allocate(RtNetlink.SEND_BUFFER_LENGTH, 8);
        this.receiveBuffer = arena.allocate(INITIAL_RECEIVE_BUFFER_LENGTH, 8);
    }

    /**
     * Opens a NETLINK_ROUTE socket in the calling thread's network namespace and binds it (the kernel picks the port
     * id). Asks for capped acks with extended-ack messages; kernels without them still work.
     *
     * @param groups             RTMGRP_* multicast groups to join, or 0.
     * @param nonBlocking        whether the socket is non-blocking.
     * @param receiveBufferBytes SO_RCVBUF to ask for, or 0 for the system default.
     * @return the socket.
     * @throws NativeException when socket(2) or bind(2) fails.
     */
    static NetlinkSocket open(final int groups, final boolean nonBlocking, final int receiveBufferBytes)
    {
        final Arena arena = Arena.ofShared();
        try
        {
            final MemorySegment errno = LibC.allocateErrnoSegment(arena);
            final int type = LibC.SOCK_RAW | LibC.SOCK_CLOEXEC | (nonBlocking ? LibC.SOCK_NONBLOCK : 0);
            final int fd = (int)LibC.check("socket(AF_NETLINK, NETLINK_ROUTE)",
                LibC.socket(errno, LibC.AF_NETLINK, type, RtNetlink.NETLINK_ROUTE));
            final NetlinkSocket socket = new NetlinkSocket(arena, fd, errno);
            try
            {
                socket.configure(groups, receiveBufferBytes);
            }
            catch (final RuntimeException ex)
            {
                LibC.close(errno, fd);
                throw ex;
            }
            return socket;
        }
        catch (final RuntimeException ex)
        {
            arena.close();
            throw ex;
        }
    }

    private void configure(final int groups, final int receiveBufferBytes)
    {
        // Both optional: without them errors still come, only longer and without the kernel's text.
        LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_NETLINK, RtNetlink.NETLINK_CAP_ACK, 1);
        LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_NETLINK, RtNetlink.NETLINK_EXT_ACK, 1);
        if (receiveBufferBytes > 0 &&
            LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_SOCKET, SO_RCVBUFFORCE, receiveBufferBytes) < 0)
        {
            LibC.check("setsockopt(SO_RCVBUF, " + receiveBufferBytes + ")",
                LibC.setsockoptInt(errno, scratch, fd, LibC.SOL_SOCKET, SO_RCVBUF, receiveBufferBytes));
        }
        final MemorySegment local = arena.allocate(RtNetlink.SOCKADDR_NL_LENGTH, 4);
        local.set(JAVA_SHORT, RtNetlink.SOCKADDR_NL_FAMILY_OFFSET, (short)LibC.AF_NETLINK);
        local.set(JAVA_INT, RtNetlink.SOCKADDR_NL_PID_OFFSET, 0);
        local.set(JAVA_INT, RtNetlink.SOCKADDR_NL_GROUPS_OFFSET, groups);
        LibC.check("bind(AF_NETLINK, groups 0x" + Integer.toHexString(groups) + ")", LibC.bind(errno, fd, local));
    }

    /** @return the descriptor. */
    int fd()
    {
        return fd;
    }

    /** @return the buffer requests are encoded into, {@link RtNetlink#SEND_BUFFER_LENGTH} bytes. */
    MemorySegment sendBuffer()
    {
        return sendBuffer;
    }

    /** @return the buffer the last {@link #receive(int)} filled; valid until the next receive. */
    MemorySegment receiveBuffer()
    {
        return receiveBuffer;
    }

    /**
     * Sends the first {@code length} bytes of the send buffer to the kernel.
     *
     * @return bytes sent, or -errno.
     */
    long send(final int length)
    {
        ensureOpen();
        long rc;
        do
        {
            rc = LibC.sendto(errno, fd, sendBuffer, length, 0, kernelAddress);
        }
        while (rc == -Errno.EINTR);
        return rc;
    }

    /**
     * Receives one datagram whole into {@link #receiveBuffer()}. It peeks first, so that a datagram larger than the
     * buffer grows the buffer instead of being cut (netlink drops the rest of a truncated datagram).
     *
     * @param flags e.g. {@link LibC#MSG_DONTWAIT}.
     * @return its length, or -errno (EAGAIN: nothing there; ENOBUFS: the kernel dropped messages for this socket).
     */
    long receive(final int flags)
    {
        ensureOpen();
        while (true)
        {
            final long peeked = LibC.recv(errno, fd, receiveBuffer, flags | MSG_PEEK | LibC.MSG_TRUNC);
            if (peeked == -Errno.EINTR)
            {
                continue;
            }
            if (peeked < 0)
            {
                return peeked;
            }
            if (peeked > receiveBuffer.byteSize())
            {
                // The old buffer stays in the arena until close; this happens at most a few times per socket.
                receiveBuffer = arena.allocate((peeked + 4095) & ~4095L, 8);
            }
            final long received = LibC.recv(errno, fd, receiveBuffer, flags | LibC.MSG_TRUNC);
            if (received == -Errno.EINTR)
            {
                continue;
            }
            if (received > receiveBuffer.byteSize())
            {
                return -Errno.EMSGSIZE;
            }
            return received;
        }
    }

    /**
     * Waits until a datagram (or an error) can be read.
     *
     * @param timeoutMs 0 not to wait.
     * @return 1 when readable, 0 on timeout, or -errno.
     */
    int awaitReadable(final int timeoutMs)
    {
        ensureOpen();
        scratch.set(JAVA_INT, LibC.POLLFD_FD_OFFSET, fd);
        scratch.set(JAVA_SHORT, LibC.POLLFD_EVENTS_OFFSET, LibC.POLLIN);
        scratch.set(JAVA_SHORT, LibC.POLLFD_REVENTS_OFFSET, (short)0);
        return LibC.poll(errno, scratch.asSlice(0, LibC.POLLFD_LENGTH), 1, timeoutMs);
    }

    private void ensureOpen()
    {
        if (closed)
        {
            throw new IllegalStateException("netlink socket is closed");
        }
    }

    /** Closes the descriptor and frees the buffers. Idempotent. */
    @Override
    public void close()
    {
        if (!closed)
        {
            closed = true;
            LibC.close(errno, fd);
            arena.close();
        }
    }
}
