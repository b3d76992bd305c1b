package io.tandem.control.sync;

import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.SocketChannel;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One TCP connection of a {@link SyncChannel} to the peer, from connect or accept to close: its handshake state,
 * codec, buffers and, once authenticated, the session's outbound queue.
 * <p>
 * Everything is owned by the channel's thread except the outbound queue, {@link #queuedBytes} and the close request,
 * which senders on any thread touch. A connection is never reused: a new session gets a new connection with a new
 * queue, so a message accepted for one session can never be sent in another.
 */
final class SyncConnection
{
    static final int STATE_CONNECTING = 0;
    static final int STATE_HELLO_SENT = 1;
    static final int STATE_AUTH_SENT = 2;
    static final int STATE_UP = 3;
    static final int STATE_CLOSED = 4;

    /**
     * A message accepted by {@code send}, copied.
     *
     * @param type    the user type.
     * @param payload the copied payload, owned by the queue.
     */
    record Outbound(int type, byte[] payload)
    {
    }

    final SocketChannel channel;
    final FrameEncoder encoder = new FrameEncoder();
    final FrameDecoder decoder = new FrameDecoder();
    final ByteBuffer writeBuffer;
    final long deadlineNs;
    SelectionKey key;
    ByteBuffer readBuffer;
    int state = STATE_CONNECTING;
    byte[] localNonce;
    byte[] expectedPeerProof;
    String peerName;
    long lastReceiveNs;
    long heartbeatDueNs;
    long missedHeartbeats;
    boolean writeBlocked;
    long inFlightCost;

    // touched by senders on any thread
    final ConcurrentLinkedQueue<Outbound> queue = new ConcurrentLinkedQueue<>();
    final AtomicLong queuedBytes = new AtomicLong();
    volatile String closeRequestDetail;
    volatile SessionLoss closeRequest;

    /**
     * @param channel           the connected or connecting socket, non-blocking.
     * @param readBufferLength  the read buffer's first capacity; it grows up to the largest frame.
     * @param writeBufferLength the write buffer's capacity.
     * @param deadlineNs        when the handshake (connect included) must be complete.
     */
    SyncConnection(
        final SocketChannel channel, final int readBufferLength, final int writeBufferLength, final long deadlineNs)
    {
        this.channel = channel;
        this.deadlineNs = deadlineNs;
        readBuffer = ByteBuffer.allocateDirect(readBufferLength);
        writeBuffer = ByteBuffer.allocateDirect(writeBufferLength);
    }

    /**
     * Asks the channel's thread to end the session; the first request wins. Any thread.
     *
     * @param reason why.
     * @param detail for the handler and the logs.
     */
    void requestClose(final SessionLoss reason, final String detail)
    {
        if (null == closeRequest)
        {
            closeRequestDetail = detail;
            closeRequest = reason;
        }
    }
}
