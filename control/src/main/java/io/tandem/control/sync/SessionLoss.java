package io.tandem.control.sync;

/**
 * Why an authenticated session ended; the channel counts each reason (see {@link SyncCounters#sessionLosses()}) and
 * starts {@link SyncHandler#onSessionDown(String)}'s reason with its name.
 */
public enum SessionLoss
{
    /** The peer closed the connection: a GOODBYE frame, end of stream or a reset while the peer was alive. */
    PEER_CLOSED,
    /** Nothing arrived from the peer for {@code deadAfterMs}: the peer or the path died without a FIN or RST. */
    PEER_DEAD,
    /** A received frame failed a check (length, checksum, sequence, MAC, type); see {@link FrameError}. */
    BAD_FRAME,
    /** A read or write on the socket failed. */
    IO_ERROR,
    /** {@code send} would have exceeded the outbound queue bound: a message was lost, so the session ends. */
    QUEUE_OVERFLOW,
    /** The handler threw from a callback: the messages it should have applied may be lost, so the session ends. */
    HANDLER_ERROR,
    /** The peer authenticated a new connection (e.g. after a restart the old session had not noticed yet). */
    REPLACED,
    /** This channel was closed. */
    CLOSED
}
