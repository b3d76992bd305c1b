package io.tandem.ffi;

/**
 * A libc call failed: names the call, its errno and the errno's symbolic name, so that an operator reading the
 * message knows what the kernel refused (for example {@code socket(AF_PACKET): EPERM (1) Operation not permitted}).
 */
public final class NativeException extends RuntimeException
{
    private static final long serialVersionUID = 1L;

    private final String call;
    private final int errno;

    /**
     * @param call  what was called, with enough context to tell the calls apart.
     * @param errno the positive errno.
     */
    public NativeException(final String call, final int errno)
    {
        super(call + ": " + Errno.describe(errno));
        this.call = call;
        this.errno = errno;
    }

    /** @return what was called. */
    public String call()
    {
        return call;
    }

    /** @return the positive errno. */
    public int errno()
    {
        return errno;
    }
}
