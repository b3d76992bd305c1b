package io.tandem.ffi;

/**
 * Receives the changes {@link RtNetlinkEvents#pollEvents} reads, on the thread that calls it. Only IPv4 addresses and
 * neighbours are delivered, and only links of family AF_UNSPEC (not a bridge's per-port messages).
 */
public interface RtNetlinkEventListener
{
    /**
     * A link appeared or changed (RTM_NEWLINK), or went away (RTM_DELLINK).
     *
     * @param link    the link as it is now (or was, when removed).
     * @param removed true for RTM_DELLINK.
     */
    default void onLink(RtNetlinkLink link, boolean removed)
    {
    }

    /**
     * An IPv4 address was added (RTM_NEWADDR) or removed (RTM_DELADDR).
     *
     * @param address the address.
     * @param removed true for RTM_DELADDR.
     */
    default void onAddress(RtNetlinkAddress address, boolean removed)
    {
    }

    /**
     * An IPv4 neighbour entry appeared or changed state (RTM_NEWNEIGH), or went away (RTM_DELNEIGH). Every state is
     * reported, INCOMPLETE and FAILED included; see {@link RtNetlinkNeighbour#isUsable()}. A removal usually carries
     * no MAC (the kernel marks the entry FAILED before it announces the removal): match removals by interface and
     * address.
     *
     * @param neighbour the entry.
     * @param removed   true for RTM_DELNEIGH.
     */
    default void onNeighbour(RtNetlinkNeighbour neighbour, boolean removed)
    {
    }

    /**
     * The kernel dropped notifications because the socket's receive buffer was full (ENOBUFS): what the listener has
     * built from events may be stale, and it must dump the tables again ({@link RtNetlink#links()},
     * {@link RtNetlink#addresses()}, {@link RtNetlink#neighbours(int)}). Events that follow are current.
     */
    void onOverrun();
}
