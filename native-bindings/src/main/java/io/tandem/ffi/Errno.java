package io.tandem.ffi;

/**
 * Linux errno values the bindings name in their messages and compare against. Only the numbers are kernel ABI; the
 * descriptions follow glibc's strerror.
 */
public final class Errno
{
    /** Operation not permitted. */
    public static final int EPERM = 1;
    /** No such file or directory. */
    public static final int ENOENT = 2;
    /** Interrupted system call. */
    public static final int EINTR = 4;
    /** Bad file descriptor. */
    public static final int EBADF = 9;
    /** Resource temporarily unavailable. */
    public static final int EAGAIN = 11;
    /** Cannot allocate memory. */
    public static final int ENOMEM = 12;
    /** Permission denied. */
    public static final int EACCES = 13;
    /** Bad address. */
    public static final int EFAULT = 14;
    /** Device or resource busy. */
    public static final int EBUSY = 16;
    /** File exists. */
    public static final int EEXIST = 17;
    /** No such device. */
    public static final int ENODEV = 19;
    /** Invalid argument. */
    public static final int EINVAL = 22;
    /** Too many open files. */
    public static final int EMFILE = 24;
    /** No buffer space available. */
    public static final int ENOBUFS = 105;
    /** Protocol not available. */
    public static final int ENOPROTOOPT = 92;
    /** Protocol not supported. */
    public static final int EPROTONOSUPPORT = 93;
    /** Operation not supported. */
    public static final int EOPNOTSUPP = 95;
    /** Address family not supported by protocol. */
    public static final int EAFNOSUPPORT = 97;
    /** Cannot assign requested address. */
    public static final int EADDRNOTAVAIL = 99;
    /** Network is down. */
    public static final int ENETDOWN = 100;
    /** Message too long. */
    public static final int EMSGSIZE = 90;
    /** No such device or address. */
    public static final int ENXIO = 6;
    /** No data available (netlink: no such neighbour). */
    public static final int ENODATA = 61;
    /** Operation not permitted on a socket that is not connected. */
    public static final int ENOTCONN = 107;

    private Errno()
    {
    }

    /**
     * @param errno a positive errno.
     * @return its symbolic name and description, e.g. {@code EPERM (1) Operation not permitted}.
     */
    public static String describe(final int errno)
    {
        final String text = switch (errno)
        {
            case EPERM -> "EPERM (1) Operation not permitted";
            case ENOENT -> "ENOENT (2) No such file or directory";
            case EINTR -> "EINTR (4) Interrupted system call";
            case ENXIO -> "ENXIO (6) No such device or address";
            case EBADF -> "EBADF (9) Bad file descriptor";
            case EAGAIN -> "EAGAIN (11) Resource temporarily unavailable";
            case ENOMEM -> "ENOMEM (12) Cannot allocate memory";
            case EACCES -> "EACCES (13) Permission denied";
            case EFAULT -> "EFAULT (14) Bad address";
            case EBUSY -> "EBUSY (16) Device or resource busy";
            case EEXIST -> "EEXIST (17) File exists";
            case ENODEV -> "ENODEV (19) No such device";
            case EINVAL -> "EINVAL (22) Invalid argument";
            case EMFILE -> "EMFILE (24) Too many open files";
            case ENODATA -> "ENODATA (61) No data available";
            case EMSGSIZE -> "EMSGSIZE (90) Message too long";
            case ENOPROTOOPT -> "ENOPROTOOPT (92) Protocol not available";
            case EPROTONOSUPPORT -> "EPROTONOSUPPORT (93) Protocol not supported";
            case EOPNOTSUPP -> "EOPNOTSUPP (95) Operation not supported";
            case EAFNOSUPPORT -> "EAFNOSUPPORT (97) Address family not supported by protocol";
            case EADDRNOTAVAIL -> "EADDRNOTAVAIL (99) Cannot assign requested address";
            case ENETDOWN -> "ENETDOWN (100) Network is down";
            case ENOBUFS -> "ENOBUFS (105) No buffer space available";
            case ENOTCONN -> "ENOTCONN (107) Transport endpoint is not connected";
            default -> "errno " + errno;
        };
        return EPERM == errno || EACCES == errno ? text + " (Tandem's data plane needs root or CAP_NET_RAW and " +
            "CAP_NET_ADMIN)" : text;
    }
}
