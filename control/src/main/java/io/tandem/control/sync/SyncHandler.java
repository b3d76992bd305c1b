package io.tandem.control.sync;

import java.nio.ByteBuffer;

/**
 * What a {@link SyncChannel} tells its user. Every callback runs on the channel's own thread, one at a time; a
 * callback that blocks stops the channel (no reads, no heartbeats: the peer will declare this node dead after its
 * {@code deadAfterMs}). Callbacks may call {@link SyncChannel#send} and {@link SyncChannel#close()}.
 * <p>
 * Sessions pair up: each {@link #onSessionUp} is followed by exactly one {@link #onSessionDown}, also when the
 * channel is closed, and all {@link #onMessage} calls in between belong to that session. A message that the peer's
 * {@code send} accepted during a session is delivered in that session, in order, or that session ends: after every
 * {@link #onSessionDown} the user must expect a gap and resynchronise at the next {@link #onSessionUp}.
 * <p>
 * An exception thrown by a callback ends the session ({@link SessionLoss#HANDLER_ERROR}) and goes to the channel's
 * error handler.
 */
public interface SyncHandler
{
    /**
     * A new authenticated session with the peer began: after the first connection or after any reconnection. The
     * place to start a bulk resync: {@link SyncChannel#send} accepts messages for this session from now on.
     *
     * @param peerName the node name the peer announced in its HELLO.
     */
    void onSessionUp(String peerName);

    /**
     * One message from the peer, in the order the peer sent it.
     *
     * @param type    the type the peer sent, {@link SyncChannel#MIN_USER_TYPE}..{@link SyncChannel#MAX_USER_TYPE}.
     * @param payload the payload, read-only, from position 0 to its limit; valid only during the call (the channel
     *                reuses the memory afterwards): copy what must be kept.
     */
    void onMessage(int type, ByteBuffer payload);

    /**
     * The session that the last {@link #onSessionUp} began has ended; messages may have been lost.
     *
     * @param reason the {@link SessionLoss} name, a colon and a detail, e.g. {@code "PEER_DEAD: nothing received for
     *               512 ms"}.
     */
    void onSessionDown(String reason);
}
