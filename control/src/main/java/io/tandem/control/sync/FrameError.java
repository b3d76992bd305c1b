package io.tandem.control.sync;

/**
 * Why a received frame was rejected. A rejected frame ends its connection: in a session it counts as a
 * {@link SessionLoss#BAD_FRAME}, during the handshake as a handshake failure.
 */
public enum FrameError
{
    /** The CRC32C of the header does not match: the header was corrupted, so its length cannot be trusted. */
    BAD_CHECKSUM,
    /** The header's version is not the one this channel speaks (1). */
    BAD_VERSION,
    /** The header's flags are not zero. */
    BAD_FLAGS,
    /** The frame length is shorter than a frame without payload or longer than the channel's maximum. */
    BAD_LENGTH,
    /** The type is neither a user type nor one of the channel's own types. */
    BAD_TYPE,
    /** The sequence number is not the next one expected: a frame was lost, replayed or reordered. */
    BAD_SEQUENCE,
    /** The HMAC-SHA256 over header and payload does not verify with the session's key for this direction. */
    BAD_MAC,
    /** A valid frame of a type that is not allowed in the connection's state (a handshake frame in a session). */
    UNEXPECTED_TYPE,
    /** A valid frame of a channel type whose payload is malformed. */
    BAD_PAYLOAD
}
