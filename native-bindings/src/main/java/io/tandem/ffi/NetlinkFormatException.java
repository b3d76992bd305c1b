package io.tandem.ffi;

/**
 * A netlink message does not parse: a header or attribute runs past the end of its buffer, a length is too short for
 * what it must hold, a required attribute is missing. The message names the message type, the offset and the length
 * at fault. Never a reason to retry the same bytes; from an event socket, a reason to re-dump.
 */
public final class NetlinkFormatException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    /**
     * @param message what is wrong, and where.
     */
    public NetlinkFormatException(final String message)
    {
        super(message);
    }
}
