package io.tandem.control.sync;

import java.util.Map;

/**
 * The counters of a {@link SyncChannel} at one moment, since the channel was created. Each value is read on its own,
 * so two counters may be a few events apart.
 *
 * @param sessionsEstablished authenticated sessions that began.
 * @param sessionLosses       sessions that ended, by reason; every reason is present.
 * @param framesSent          frames encoded for the peer: messages, heartbeats and the channel's own frames.
 * @param bytesSent           bytes written to sockets.
 * @param framesReceived      frames received whole and verified.
 * @param bytesReceived       bytes read from sockets.
 * @param messagesSent        user messages encoded for the peer.
 * @param messagesReceived    user messages handed to {@link SyncHandler#onMessage}.
 * @param refusedPeers        connections from addresses other than the peer's, closed at once.
 * @param connectFailures     connection attempts of the connecting side that failed before TCP was established.
 * @param listenFailures      attempts of the accepting side to bind its listening socket that failed.
 * @param handshakeFailures   connections that ended before they were authenticated, for any reason.
 * @param authFailures        handshakes in which the peer's HELLO or AUTH did not verify with this node's key.
 * @param badFrames           frames rejected in a session, by error.
 * @param queueOverflows      calls to {@code send} that found the outbound queue full (each ends its session).
 * @param sendsRejected       calls to {@code send} refused because no session was up (or it was ending).
 * @param heartbeatsMissed    heartbeat intervals past the first in which nothing arrived from the peer in a session.
 * @param handlerErrors       exceptions thrown by the handler.
 */
public record SyncCounters(
    long sessionsEstablished,
    Map<SessionLoss, Long> sessionLosses,
    long framesSent,
    long bytesSent,
    long framesReceived,
    long bytesReceived,
    long messagesSent,
    long messagesReceived,
    long refusedPeers,
    long connectFailures,
    long listenFailures,
    long handshakeFailures,
    long authFailures,
    Map<FrameError, Long> badFrames,
    long queueOverflows,
    long sendsRejected,
    long heartbeatsMissed,
    long handlerErrors)
{
    /** Copies the maps so that the record is immutable. */
    public SyncCounters
    {
        sessionLosses = Map.copyOf(sessionLosses);
        badFrames = Map.copyOf(badFrames);
    }

    /**
     * @param reason a reason.
     * @return sessions that ended for it.
     */
    public long sessionLosses(final SessionLoss reason)
    {
        return sessionLosses.getOrDefault(reason, 0L);
    }

    /** @return sessions that ended, for any reason. */
    public long totalSessionLosses()
    {
        long total = 0;
        for (final long count : sessionLosses.values())
        {
            total += count;
        }
        return total;
    }

    /**
     * @param error an error.
     * @return frames rejected for it in sessions.
     */
    public long badFrames(final FrameError error)
    {
        return badFrames.getOrDefault(error, 0L);
    }
}
