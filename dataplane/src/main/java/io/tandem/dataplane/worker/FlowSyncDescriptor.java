package io.tandem.dataplane.worker;

import io.tandem.dataplane.flow.FlowRecord;

/**
 * The messages a worker exchanges with the control plane to replicate its connections to the peer node, carried in
 * two single-producer rings per worker (Agrona {@code OneToOneRingBuffer}): the outbox, written by the worker, and
 * the inbox, written by the control plane. The same bytes travel over the sync channel, so a message needs no
 * translation on either side.
 * <pre>
 *  UPSERT (type 1), 56 bytes: a connection that reached ESTABLISHED, or one of a bulk resync
 *    0  clientIp   int      12  targetIp   int      24  state   u8     28  clientSeqNext  int   44  clientWindow  u16
 *    4  vip        int      16  snatIp     int      25  flags   u8     32  targetSeqNext  int   46  targetWindow  u16
 *    8  clientPort u16      20  targetPort u16      26  (zero)  u16    36  clientAck      int   48  idleTimeoutNs long
 *   10  vipPort    u16      22  snatPort   u16                         40  targetAck      int
 *    (bytes 0..47 are the flow record's own first 48 bytes, see {@link FlowRecord})
 *
 *  REMOVE (type 2), 16 bytes: a replicated connection was forgotten
 *    0  clientIp int    4  vip int    8  clientPort u16    10  vipPort u16    12  snatPort u16    14  (zero) u16
 *
 *  BULK_BEGIN (3), BULK_END (4), BULK_REQUEST (5), 8 bytes: a generation (long)
 * </pre>
 * A bulk resync: the receiving side's control plane puts BULK_BEGIN(g) into each worker's inbox, then the peer's
 * UPSERTs, then BULK_END(g); the worker stamps each replicated connection it installs or refreshes with g, and at
 * BULK_END removes the replicated connections that carry another generation. On the sending side, BULK_REQUEST(g)
 * in the inbox makes the worker walk its table a bounded part per duty cycle, writing an UPSERT for every
 * established connection to its outbox, and then BULK_END(g).
 */
public final class FlowSyncDescriptor
{
    /** Message type: a connection to install or refresh. */
    public static final int UPSERT = 1;
    /** Message type: a connection to forget. */
    public static final int REMOVE = 2;
    /** Message type: a bulk resync starts. */
    public static final int BULK_BEGIN = 3;
    /** Message type: a bulk resync ends. */
    public static final int BULK_END = 4;
    /** Message type: walk the table and send every established connection. */
    public static final int BULK_REQUEST = 5;

    /** Length of an UPSERT. */
    public static final int UPSERT_LENGTH = 56;
    /** Length of a REMOVE. */
    public static final int REMOVE_LENGTH = 16;
    /** Length of a BULK_* message. */
    public static final int GENERATION_LENGTH = 8;

    /** Bytes of an UPSERT copied from the flow record as they are. */
    public static final int RECORD_PREFIX_LENGTH = 48;
    /** Offset of the idle timeout in an UPSERT. */
    public static final int IDLE_TIMEOUT_NS_OFFSET = 48;
    /** Offset of the SNAT port in a REMOVE. */
    public static final int REMOVE_SNAT_PORT_OFFSET = 12;

    private FlowSyncDescriptor()
    {
    }

    /**
     * @param snatPort   a connection's SNAT port.
     * @param firstPort  first SNAT port of the node (shared by both nodes).
     * @param lastPort   last SNAT port of the node.
     * @param workers    workers per node (equal on both nodes).
     * @return the worker that owns connections with that SNAT port: the one the fanout steers its return traffic to.
     */
    public static int workerOf(final int snatPort, final int firstPort, final int lastPort, final int workers)
    {
        final int share = (lastPort - firstPort + 1) / workers;
        return Math.max(0, Math.min(workers - 1, (snatPort - firstPort) / share));
    }
}
