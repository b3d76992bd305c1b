package io.tandem.control.sync;

/**
 * Layout of a frame on the sync channel's TCP stream. All fields are big-endian (network order).
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |          Frame Length (header + payload + MAC, bytes)         |  0
 *  +---------------+---------------+-------------------------------+
 *  |    Version    |     Type      |         Flags (zero)          |  4
 *  +---------------+---------------+-------------------------------+
 *  |                                                               |  8
 *  +                 Sequence Number (per direction)               +
 *  |                                                               |
 *  +---------------------------------------------------------------+
 *  |                  Header CRC32C over bytes 0..15               | 16
 *  +---------------------------------------------------------------+
 *  |                          Payload ...                         ...  20
 *  +---------------------------------------------------------------+
 *  |      MAC: HMAC-SHA256 over bytes 0 .. 20 + payload length     |  20 + payload length
 *  |                          (32 bytes)                           |
 *  +---------------------------------------------------------------+
 * </pre>
 * <ul>
 *   <li>The header CRC lets a receiver reject a corrupted length at once instead of waiting for bytes that never
 *   come; it is no protection against an attacker, the MAC is.</li>
 *   <li>Sequence numbers start at 0 in each direction of each connection and grow by one per frame: HELLO is 0,
 *   AUTH is 1, the first heartbeat or message 2. A receiver accepts only the next one.</li>
 *   <li>HELLO frames are MACed with the hello key, every later frame with the key of its direction, derived from the
 *   shared key and both nonces of the connection (see {@link Handshake}): a frame captured in one session does not
 *   verify in another, and a frame a node sent does not verify when reflected back to it.</li>
 * </ul>
 */
final class SyncFrameDescriptor
{
    /** The protocol version in every frame header. */
    static final int VERSION = 1;

    static final int LENGTH_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int TYPE_OFFSET = 5;
    static final int FLAGS_OFFSET = 6;
    static final int SEQUENCE_OFFSET = 8;
    static final int CHECKSUM_OFFSET = 16;
    static final int HEADER_LENGTH = 20;
    static final int MAC_LENGTH = 32;
    /** Bytes of a frame besides its payload. */
    static final int FRAME_OVERHEAD = HEADER_LENGTH + MAC_LENGTH;

    /** The lowest type a user of the channel may send. */
    static final int MIN_USER_TYPE = 1;
    /** The highest type a user of the channel may send. */
    static final int MAX_USER_TYPE = 127;

    /** First frame each side sends: protocol version, role, nonce, node name; MACed with the hello key. */
    static final int TYPE_HELLO = 0x80;
    /** Second frame each side sends: the proof that it knows the shared key. */
    static final int TYPE_AUTH = 0x81;
    /** Sent when nothing else was sent for a heartbeat interval; empty payload. */
    static final int TYPE_HEARTBEAT = 0x82;
    /** Sent by a channel that closes a session on purpose; payload: the reason in UTF-8. */
    static final int TYPE_GOODBYE = 0x83;

    /** The longest frame allowed before a session is authenticated: HELLO and AUTH are small. */
    static final int HANDSHAKE_MAX_FRAME_LENGTH = 256;

    private SyncFrameDescriptor()
    {
    }

    /**
     * @param type a frame type from the header.
     * @return whether the type is a user type or one of the channel's own.
     */
    static boolean isKnownType(final int type)
    {
        return (type >= MIN_USER_TYPE && type <= MAX_USER_TYPE) || (type >= TYPE_HELLO && type <= TYPE_GOODBYE);
    }

    /**
     * @param type a frame type.
     * @return whether the type is one a user may send.
     */
    static boolean isUserType(final int type)
    {
        return type >= MIN_USER_TYPE && type <= MAX_USER_TYPE;
    }
}
