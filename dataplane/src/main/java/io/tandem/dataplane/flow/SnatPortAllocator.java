package io.tandem.dataplane.flow;

/**
 * Chooses the SNAT port for a new connection so that (snatIp, snatPort, targetIp, targetPort) is unique: the
 * {@link FlowTable} is the authority, since the reverse key of every live connection is exactly that tuple. A
 * port is therefore taken by inserting the connection and freed by removing it; no second structure can drift
 * out of step with the table, and replicated connections from the peer occupy their ports the same way.
 * <p>
 * Ports are tried from a rotating cursor over this worker's range, so a port just freed is reused as late as
 * possible (the target may still hold the old connection in TIME_WAIT). The number of tries is bounded: when a
 * target's share of the range is nearly full the allocator gives up and the SYN is refused and counted, instead of
 * probing for long on the hot path. Ports are allocated per target: connections to different targets may share a
 * SNAT port.
 * <p>
 * Not thread-safe: one per worker. Workers get disjoint ranges so that the port alone tells which worker owns the
 * return direction of a connection.
 */
public final class SnatPortAllocator
{
    /** Returned when no free port was found within the bounded number of tries. */
    public static final int NO_PORT = -1;
    /** Most ports tried for one connection. */
    public static final int MAX_TRIES = 64;

    private final FlowTable table;
    private final int firstPort;
    private final int portCount;
    private int cursor;

    /**
     * @param table     the worker's flow table.
     * @param firstPort first port of the range, inclusive, at least 1.
     * @param lastPort  last port of the range, inclusive, at most 65535.
     */
    public SnatPortAllocator(final FlowTable table, final int firstPort, final int lastPort)
    {
        if (firstPort < 1 || lastPort > 65535 || lastPort < firstPort)
        {
            throw new IllegalArgumentException("SNAT port range must lie within 1..65535: " + firstPort + ".." +
                lastPort);
        }
        this.table = table;
        this.firstPort = firstPort;
        this.portCount = lastPort - firstPort + 1;
    }

    /** @return first port of the range. */
    public int firstPort()
    {
        return firstPort;
    }

    /** @return last port of the range. */
    public int lastPort()
    {
        return firstPort + portCount - 1;
    }

    /**
     * Finds a port that no live connection uses towards this target.
     *
     * @param snatIp     the SNAT address.
     * @param targetIp   the target's address.
     * @param targetPort the target's port.
     * @return a free port, or {@link #NO_PORT}.
     */
    public int allocate(final int snatIp, final int targetIp, final int targetPort)
    {
        final int tries = Math.min(MAX_TRIES, portCount);
        for (int i = 0; i < tries; i++)
        {
            final int port = firstPort + cursor;
            cursor = cursor + 1 == portCount ? 0 : cursor + 1;
            if (FlowTable.NULL_INDEX == table.lookup(targetIp, snatIp, targetPort, port))
            {
                return port;
            }
        }
        return NO_PORT;
    }
}
