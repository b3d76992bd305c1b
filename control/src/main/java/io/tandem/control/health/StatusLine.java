package io.tandem.control.health;

/**
 * Reads the status code from the start of an HTTP/1.x response, as the HTTP check needs nothing else:
 * <pre>
 *   HTTP/1.1 SP 200 SP reason CRLF      (RFC 9112 section 4; the reason may be empty, the SP before it is
 *   0123456789012                        tolerated when missing, a bare LF ends the line as well)
 * </pre>
 */
final class StatusLine
{
    /** The line is not complete yet: read more. */
    static final int INCOMPLETE = -1;
    /** The bytes are not an HTTP/1.x status line. */
    static final int MALFORMED = -2;

    private static final byte[] PREFIX = {'H', 'T', 'T', 'P', '/'};

    private StatusLine()
    {
    }

    /**
     * @param bytes  the response as read so far.
     * @param length how many bytes of {@code bytes} were read.
     * @return the status code 100..599, {@link #INCOMPLETE} or {@link #MALFORMED}.
     */
    static int parse(final byte[] bytes, final int length)
    {
        // reject early what can never become a status line, so a wrong protocol fails without waiting for a LF
        final int prefix = Math.min(length, PREFIX.length);
        for (int i = 0; i < prefix; i++)
        {
            if (bytes[i] != PREFIX[i])
            {
                return MALFORMED;
            }
        }
        int end = -1;
        for (int i = 0; i < length; i++)
        {
            if (bytes[i] == '\n')
            {
                end = i;
                break;
            }
        }
        if (end < 0)
        {
            return INCOMPLETE;
        }
        if (end > 0 && bytes[end - 1] == '\r')
        {
            end--;
        }
        // "HTTP/d.d SP ddd" is 12 bytes
        if (end < 12 || !digit(bytes[5]) || bytes[6] != '.' || !digit(bytes[7]) || bytes[8] != ' ' ||
            !digit(bytes[9]) || !digit(bytes[10]) || !digit(bytes[11]) || (end > 12 && bytes[12] != ' '))
        {
            return MALFORMED;
        }
        final int status = (bytes[9] - '0') * 100 + (bytes[10] - '0') * 10 + (bytes[11] - '0');
        return status >= 100 && status <= 599 ? status : MALFORMED;
    }

    private static boolean digit(final byte b)
    {
        return b >= '0' && b <= '9';
    }
}
