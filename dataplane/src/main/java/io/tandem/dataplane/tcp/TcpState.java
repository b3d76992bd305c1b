package io.tandem.dataplane.tcp;

/**
 * States of a tracked connection as the balancer sees it from the middle. Stored in one byte of the flow record.
 * <pre>
 *   client SYN ──► SYN_SENT ── target SYN-ACK ──► SYN_RECEIVED ── client ACK ──► ESTABLISHED
 *   ESTABLISHED ── FIN one way ──► FIN_WAIT ── FIN the other way ──► CLOSING ── both FINs acked ──► TIME_WAIT
 *   any state ── RST either way ──► CLOSED
 *   ESTABLISHED / FIN_WAIT ── idle timeout: balancer sends FIN+ACK both ways ──► IDLE_CLOSED
 *   TIME_WAIT, CLOSED, IDLE_CLOSED ── their linger ──► forgotten
 * </pre>
 */
public final class TcpState
{
    /** Not a state: the record is free. */
    public static final int NONE = 0;
    /** The client's SYN was forwarded; no answer yet. */
    public static final int SYN_SENT = 1;
    /** The target answered with SYN-ACK. */
    public static final int SYN_RECEIVED = 2;
    /** The client acknowledged the SYN-ACK. */
    public static final int ESTABLISHED = 3;
    /** One side sent a FIN. */
    public static final int FIN_WAIT = 4;
    /** Both sides sent a FIN. */
    public static final int CLOSING = 5;
    /** Both FINs were acknowledged. */
    public static final int TIME_WAIT = 6;
    /** An RST was seen. */
    public static final int CLOSED = 7;
    /** The balancer closed the connection on idle timeout and lingers to acknowledge the peers' FINs. */
    public static final int IDLE_CLOSED = 8;

    private static final String[] NAMES =
    {
        "NONE", "SYN_SENT", "SYN_RECEIVED", "ESTABLISHED", "FIN_WAIT", "CLOSING", "TIME_WAIT", "CLOSED", "IDLE_CLOSED"
    };

    private TcpState()
    {
    }

    /** @return the state's name, for status and tests. */
    public static String name(final int state)
    {
        return state >= 0 && state < NAMES.length ? NAMES[state] : "UNKNOWN(" + state + ")";
    }

    /** @return true in the states where data flows and the listener's idle timeout applies. */
    public static boolean isIdleTimed(final int state)
    {
        return ESTABLISHED == state || FIN_WAIT == state;
    }

    /** @return true in the states after which a new SYN on the same 4-tuple starts a new connection. */
    public static boolean isReusable(final int state)
    {
        return TIME_WAIT == state || CLOSED == state || IDLE_CLOSED == state;
    }
}
