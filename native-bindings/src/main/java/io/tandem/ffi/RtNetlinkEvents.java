package io.tandem.ffi;

import java.lang.foreign.MemorySegment;

/**
 * rtnetlink change notifications: a NETLINK_ROUTE socket, non-blocking, bound to multicast groups (by default links,
 * IPv4 addresses and neighbours). {@link #pollEvents} drains what is queued without blocking; {@link #fd()} lets a
 * caller wait in poll(2) or epoll; {@link #awaitReadable(int)} does that for one socket.
 * <p>
 * When the socket's receive buffer overflows the kernel drops notifications and the next read fails with ENOBUFS;
 * {@link #pollEvents} reports that as {@link RtNetlinkEventListener#onOverrun()} and carries on, and the caller
 * re-dumps. Subscribe before dumping, so that nothing falls between the dump and the first event.
 * <p>
 * Like {@link RtNetlink}, the socket belongs to the network namespace of the thread that called {@link #open()}.
 * Not thread-safe: one thread polls (it may be another thread than the one that opened it).
 */
public final class RtNetlinkEvents implements AutoCloseable
{
    /** Links, IPv4 addresses and neighbours. */
    public static final int DEFAULT_GROUPS = RtNetlink.RTMGRP_LINK | RtNetlink.RTMGRP_IPV4_IFADDR |
        RtNetlink.RTMGRP_NEIGH;
    /** Receive buffer asked for: room for bursts of thousands of neighbour changes (ARP storms, link flaps). */
    public static final int DEFAULT_RECEIVE_BUFFER_BYTES = 4 * 1024 * 1024;
    /** Datagrams one {@link #pollEvents} call reads at most, so that a storm cannot hold the caller for ever. */
    public static final int MAX_DATAGRAMS_PER_POLL = 4096;

    private final NetlinkSocket socket;
    private long overruns;

    private RtNetlinkEvents(final NetlinkSocket socket)
    {
        this.socket = socket;
    }

    /**
     * Subscribes to {@link #DEFAULT_GROUPS} with a {@link #DEFAULT_RECEIVE_BUFFER_BYTES} buffer, in the calling
     * thread's network namespace.
     *
     * @throws NativeException when the socket cannot be opened or bound.
     */
    public static RtNetlinkEvents open()
    {
        return open(DEFAULT_GROUPS, DEFAULT_RECEIVE_BUFFER_BYTES);
    }

    /**
     * Subscribes to the given groups, in the calling thread's network namespace.
     *
     * @param groups             RTMGRP_* mask.
     * @param receiveBufferBytes SO_RCVBUF to ask for (SO_RCVBUFFORCE when allowed; the kernel doubles it), or 0 for
     *                           the default.
     * @throws NativeException when the socket cannot be opened or bound.
     */
    public static RtNetlinkEvents open(final int groups, final int receiveBufferBytes)
    {
        return new RtNetlinkEvents(NetlinkSocket.open(groups, true, receiveBufferBytes));
    }

    /** @return the descriptor, to wait for {@code POLLIN} on; do not read from it or close it. */
    public int fd()
    {
        return socket.fd();
    }

    /** @return how many times the kernel reported lost notifications (ENOBUFS) since open. */
    public long overruns()
    {
        return overruns;
    }

    /**
     * Waits until notifications are queued.
     *
     * @param timeoutMs how long to wait at most; 0 not to wait.
     * @return true when there is something to read, false on timeout (or EINTR).
     * @throws NativeException when poll(2) fails otherwise.
     */
    public boolean awaitReadable(final int timeoutMs)
    {
        final int rc = socket.awaitReadable(timeoutMs);
        if (rc == -Errno.EINTR)
        {
            return false;
        }
        return LibC.check("poll(rtnetlink events)", rc) > 0;
    }

    /**
     * Reads and delivers the queued notifications without blocking (MSG_DONTWAIT), up to
     * {@link #MAX_DATAGRAMS_PER_POLL} datagrams. Returns when the queue is empty (EAGAIN).
     *
     * @param listener receives the events and overruns, on this thread.
     * @return the number of events delivered (overruns not counted).
     * @throws NativeException          when recv(2) fails other than with EAGAIN, EINTR or ENOBUFS.
     * @throws NetlinkFormatException   when a notification does not parse; the rest of its datagram is lost, so the
     *                                  caller should treat it like an overrun.
     */
    public int pollEvents(final RtNetlinkEventListener listener)
    {
        int events = 0;
        for (int i = 0; i < MAX_DATAGRAMS_PER_POLL; i++)
        {
            final long received = socket.receive(LibC.MSG_DONTWAIT);
            if (received == -Errno.EAGAIN)
            {
                break;
            }
            if (received == -Errno.ENOBUFS)
            {
                overruns++;
                listener.onOverrun();
                continue;
            }
            if (received < 0)
            {
                throw new NativeException("recv(rtnetlink events)", (int)-received);
            }
            for (final MemorySegment message : NetlinkMessages.split(socket.receiveBuffer().asSlice(0, received)))
            {
                events += dispatch(message, listener);
            }
        }
        return events;
    }

    /**
     * Delivers one notification.
     *
     * @return 1 when it was delivered, 0 when it was of no interest (another family, a control message).
     */
    static int dispatch(final MemorySegment message, final RtNetlinkEventListener listener)
    {
        final int type = NetlinkMessages.type(message);
        switch (type)
        {
            case RtNetlink.RTM_NEWLINK, RtNetlink.RTM_DELLINK ->
            {
                if (NetlinkMessages.family(message) != RtNetlink.AF_UNSPEC)
                {
                    return 0;
                }
                listener.onLink(NetlinkMessages.parseLink(message), RtNetlink.RTM_DELLINK == type);
                return 1;
            }
            case RtNetlink.RTM_NEWADDR, RtNetlink.RTM_DELADDR ->
            {
                if (NetlinkMessages.family(message) != RtNetlink.AF_INET)
                {
                    return 0;
                }
                listener.onAddress(NetlinkMessages.parseAddress(message), RtNetlink.RTM_DELADDR == type);
                return 1;
            }
            case RtNetlink.RTM_NEWNEIGH, RtNetlink.RTM_DELNEIGH ->
            {
                if (NetlinkMessages.family(message) != RtNetlink.AF_INET)
                {
                    return 0;
                }
                listener.onNeighbour(NetlinkMessages.parseNeighbour(message), RtNetlink.RTM_DELNEIGH == type);
                return 1;
            }
            default ->
            {
                return 0;
            }
        }
    }

    /** Unsubscribes and closes the socket. Idempotent. */
    @Override
    public void close()
    {
        socket.close();
    }
}
