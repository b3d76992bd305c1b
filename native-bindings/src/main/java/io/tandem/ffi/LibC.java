package io.tandem.ffi;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The libc calls Tandem makes, as FFM downcalls with errno captured ({@code Linker.Option.captureCallState}).
 * <p>
 * Every call comes in the form Netty's epoll {@code Native} uses: it returns its result, or {@code -errno} when it
 * failed, and never throws; the caller passes the segment errno is captured into, allocated once per thread with
 * {@link #allocateErrnoSegment(Arena)}, so the hot path (poll, sendto) allocates nothing. {@link #check} turns a
 * negative result into a {@link NativeException} that names the call and the errno, for set-up code.
 * <p>
 * Method handles are {@code static final}; the class holds no state. Thread-safe.
 */
public final class LibC
{
    /** Address family of packet sockets. */
    public static final int AF_PACKET = 17;
    /** Address family of IPv4 sockets. */
    public static final int AF_INET = 2;
    /** Address family of netlink sockets. */
    public static final int AF_NETLINK = 16;
    /** Socket type: raw. */
    public static final int SOCK_RAW = 3;
    /** Socket type: datagram. */
    public static final int SOCK_DGRAM = 2;
    /** Socket flag: close on exec. */
    public static final int SOCK_CLOEXEC = 0x80000;
    /** Socket flag: non-blocking. */
    public static final int SOCK_NONBLOCK = 0x800;
    /** Socket option level of the socket itself. */
    public static final int SOL_SOCKET = 1;
    /** Socket option level of packet sockets. */
    public static final int SOL_PACKET = 263;
    /** Socket option level of netlink sockets. */
    public static final int SOL_NETLINK = 270;
    /** Every EtherType, host order (htons applied where the kernel wants network order). */
    public static final int ETH_P_ALL = 0x0003;
    /** eventfd: non-blocking reads and writes. */
    public static final int EFD_NONBLOCK = 0x800;
    /** eventfd: close on exec. */
    public static final int EFD_CLOEXEC = 0x80000;
    /** mmap: pages may be read. */
    public static final int PROT_READ = 1;
    /** mmap: pages may be written. */
    public static final int PROT_WRITE = 2;
    /** mmap: share the mapping with the kernel. */
    public static final int MAP_SHARED = 1;
    /** mmap: lock the pages in memory. */
    public static final int MAP_LOCKED = 0x2000;
    /** mmap: prefault the pages. */
    public static final int MAP_POPULATE = 0x8000;
    /** open: read only. */
    public static final int O_RDONLY = 0;
    /** open: close on exec. */
    public static final int O_CLOEXEC = 0x80000;
    /** setns: a network namespace. */
    public static final int CLONE_NEWNET = 0x40000000;
    /** poll: data to read. */
    public static final short POLLIN = 0x1;
    /** poll: room to write. */
    public static final short POLLOUT = 0x4;
    /** poll: error condition. */
    public static final short POLLERR = 0x8;
    /** send/recv flag: do not block. */
    public static final int MSG_DONTWAIT = 0x40;
    /** recv flag: report the real length of a truncated datagram. */
    public static final int MSG_TRUNC = 0x20;
    /** Hang-up: {@code systemctl reload} sends it, and Tandem's agent reloads on it. */
    public static final int SIGHUP = 1;

    /**
     * struct pollfd, 8 bytes.
     * <pre>
     *   0        4        6        8
     *   +--------+--------+--------+
     *   |   fd   | events |revents |
     *   +--------+--------+--------+
     * </pre>
     */
    public static final long POLLFD_LENGTH = 8;
    /** Offset of {@code fd} in struct pollfd. */
    public static final long POLLFD_FD_OFFSET = 0;
    /** Offset of {@code events} in struct pollfd. */
    public static final long POLLFD_EVENTS_OFFSET = 4;
    /** Offset of {@code revents} in struct pollfd. */
    public static final long POLLFD_REVENTS_OFFSET = 6;

    private static final Linker LINKER = Linker.nativeLinker();
    private static final StructLayout CAPTURE_LAYOUT = Linker.Option.captureStateLayout();
    private static final VarHandle ERRNO = CAPTURE_LAYOUT.varHandle(MemoryLayout.PathElement.groupElement("errno"));
    private static final Linker.Option CAPTURE_ERRNO = Linker.Option.captureCallState("errno");
    private static final MemorySegment MAP_FAILED = MemorySegment.ofAddress(-1L);

    private static final MethodHandle SOCKET = downcall("socket",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle SETSOCKOPT = downcall("setsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle GETSOCKOPT = downcall("getsockopt",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle BIND = downcall("bind",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle MMAP = downcall("mmap",
        FunctionDescriptor.of(ADDRESS, ADDRESS, JAVA_LONG, JAVA_INT, JAVA_INT, JAVA_INT, JAVA_LONG));
    private static final MethodHandle MUNMAP = downcall("munmap",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle POLL = downcall("poll",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    private static final MethodHandle SENDTO = downcall("sendto",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, JAVA_INT));
    private static final MethodHandle RECVFROM = downcall("recvfrom",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT, ADDRESS, ADDRESS));
    private static final MethodHandle IOCTL = downcall("ioctl",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle IF_NAMETOINDEX = downcall("if_nametoindex",
        FunctionDescriptor.of(JAVA_INT, ADDRESS));
    private static final MethodHandle OPEN = downcall("open",
        FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT), Linker.Option.firstVariadicArg(2));
    private static final MethodHandle SETNS = downcall("setns",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle EVENTFD = downcall("eventfd",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT));
    private static final MethodHandle READ = downcall("read",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle WRITE = downcall("write",
        FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG));
    private static final MethodHandle CLOSE = downcall("close",
        FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    private static final MethodHandle SIGNAL = downcall("signal",
        FunctionDescriptor.of(ADDRESS, JAVA_INT, ADDRESS));
    private static final long SIG_ERR = -1L;

    private LibC()
    {
    }

    private static MethodHandle downcall(
        final String name, final FunctionDescriptor descriptor, final Linker.Option... extra)
    {
        final Linker.Option[] options = new Linker.Option[extra.length + 1];
        options[0] = CAPTURE_ERRNO;
        System.arraycopy(extra, 0, options, 1, extra.length);
        final MemorySegment symbol = LINKER.defaultLookup().find(name)
            .orElseThrow(() -> new UnsatisfiedLinkError("libc has no symbol " + name));
        return LINKER.downcallHandle(symbol, descriptor, options);
    }

    /**
     * @param arena that owns the segment; e.g. one per worker thread.
     * @return a segment to capture errno into, to pass to every call made on one thread.
     */
    public static MemorySegment allocateErrnoSegment(final Arena arena)
    {
        return arena.allocate(CAPTURE_LAYOUT);
    }

    private static int errno(final MemorySegment capture)
    {
        return (int)ERRNO.get(capture, 0L);
    }

    /**
     * Turns a negative result into an exception.
     *
     * @param call   what was called, for the message.
     * @param result a call's result.
     * @return {@code result} when it is not negative.
     * @throws NativeException naming the call and {@code -result} as errno.
     */
    public static long check(final String call, final long result)
    {
        if (result < 0)
        {
            throw new NativeException(call, (int)-result);
        }
        return result;
    }

    /** socket(2). @return the descriptor, or -errno. */
    public static int socket(final MemorySegment errno, final int domain, final int type, final int protocol)
    {
        try
        {
            final int rc = (int)SOCKET.invokeExact(errno, domain, type, protocol);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** setsockopt(2). @return 0, or -errno. */
    public static int setsockopt(
        final MemorySegment errno, final int fd, final int level, final int name, final MemorySegment value)
    {
        try
        {
            final int rc = (int)SETSOCKOPT.invokeExact(errno, fd, level, name, value, (int)value.byteSize());
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * setsockopt(2) with an int value.
     *
     * @param scratch at least 4 bytes, used for the value.
     * @return 0, or -errno.
     */
    public static int setsockoptInt(
        final MemorySegment errno, final MemorySegment scratch, final int fd, final int level, final int name,
        final int value)
    {
        scratch.set(JAVA_INT, 0, value);
        return setsockopt(errno, fd, level, name, scratch.asSlice(0, 4));
    }

    /**
     * getsockopt(2).
     *
     * @param value  receives the option.
     * @param length a 4-byte segment: in, the size of {@code value}; out, the option's length.
     * @return 0, or -errno.
     */
    public static int getsockopt(
        final MemorySegment errno, final int fd, final int level, final int name, final MemorySegment value,
        final MemorySegment length)
    {
        try
        {
            final int rc = (int)GETSOCKOPT.invokeExact(errno, fd, level, name, value, length);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** bind(2). @return 0, or -errno. */
    public static int bind(final MemorySegment errno, final int fd, final MemorySegment address)
    {
        try
        {
            final int rc = (int)BIND.invokeExact(errno, fd, address, (int)address.byteSize());
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * mmap(2) of a descriptor, shared.
     *
     * @return the mapping, {@code length} bytes; or a segment of size zero whose address is {@code -errno}.
     */
    public static MemorySegment mmap(
        final MemorySegment errno, final long length, final int prot, final int flags, final int fd, final long offset)
    {
        try
        {
            final MemorySegment address =
                (MemorySegment)MMAP.invokeExact(errno, MemorySegment.NULL, length, prot, flags, fd, offset);
            if (address.address() == MAP_FAILED.address())
            {
                return MemorySegment.ofAddress(-errno(errno));
            }
            return address.reinterpret(length);
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** munmap(2). @return 0, or -errno. */
    public static int munmap(final MemorySegment errno, final MemorySegment mapping)
    {
        try
        {
            final int rc = (int)MUNMAP.invokeExact(errno, mapping, mapping.byteSize());
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * poll(2).
     *
     * @param fds       {@code count} struct pollfd.
     * @param timeoutMs -1 to wait for ever, 0 not to wait.
     * @return descriptors with events, or -errno.
     */
    public static int poll(final MemorySegment errno, final MemorySegment fds, final long count, final int timeoutMs)
    {
        try
        {
            final int rc = (int)POLL.invokeExact(errno, fds, count, timeoutMs);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * sendto(2).
     *
     * @param buffer  bytes to send, or {@link MemorySegment#NULL} with length 0 (a TX ring kick).
     * @param address destination address, or {@link MemorySegment#NULL}.
     * @return bytes sent, or -errno.
     */
    public static long sendto(
        final MemorySegment errno, final int fd, final MemorySegment buffer, final long length, final int flags,
        final MemorySegment address)
    {
        try
        {
            final int addressLength = MemorySegment.NULL.equals(address) ? 0 : (int)address.byteSize();
            final long rc = (long)SENDTO.invokeExact(errno, fd, buffer, length, flags, address, addressLength);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * recvfrom(2) without the sender's address.
     *
     * @return bytes received (the real length with {@link #MSG_TRUNC}), or -errno.
     */
    public static long recv(
        final MemorySegment errno, final int fd, final MemorySegment buffer, final int flags)
    {
        try
        {
            final long rc = (long)RECVFROM.invokeExact(errno, fd, buffer, buffer.byteSize(), flags,
                MemorySegment.NULL, MemorySegment.NULL);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** ioctl(2) with a pointer argument. @return the result, or -errno. */
    public static int ioctl(final MemorySegment errno, final int fd, final long request, final MemorySegment argument)
    {
        try
        {
            final int rc = (int)IOCTL.invokeExact(errno, fd, request, argument);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * if_nametoindex(3).
     *
     * @param name of the interface.
     * @return its index, or -errno (ENODEV when there is no such interface).
     */
    public static int ifNameToIndex(final MemorySegment errno, final String name)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int index = (int)IF_NAMETOINDEX.invokeExact(errno, arena.allocateFrom(name));
            return index == 0 ? -errno(errno) : index;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * open(2) without a mode.
     *
     * @return the descriptor, or -errno.
     */
    public static int open(final MemorySegment errno, final String path, final int flags)
    {
        try (Arena arena = Arena.ofConfined())
        {
            final int rc = (int)OPEN.invokeExact(errno, arena.allocateFrom(path), flags);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * setns(2): moves the <em>calling thread</em> into the namespace {@code fd} refers to.
     *
     * @return 0, or -errno.
     */
    public static int setns(final MemorySegment errno, final int fd, final int nsType)
    {
        try
        {
            final int rc = (int)SETNS.invokeExact(errno, fd, nsType);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * eventfd(2): a descriptor one thread can make readable to end another thread's poll(2).
     *
     * @param initialValue the counter's start value.
     * @param flags        {@link #EFD_NONBLOCK}, {@link #EFD_CLOEXEC}.
     * @return the descriptor, or -errno.
     */
    public static int eventfd(final MemorySegment errno, final int initialValue, final int flags)
    {
        try
        {
            final int rc = (int)EVENTFD.invokeExact(errno, initialValue, flags);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * read(2) into the whole of {@code buffer}.
     *
     * @return bytes read, or -errno.
     */
    public static long read(final MemorySegment errno, final int fd, final MemorySegment buffer)
    {
        try
        {
            final long rc = (long)READ.invokeExact(errno, fd, buffer, buffer.byteSize());
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * write(2) of the whole of {@code buffer}.
     *
     * @return bytes written, or -errno.
     */
    public static long write(final MemorySegment errno, final int fd, final MemorySegment buffer)
    {
        try
        {
            final long rc = (long)WRITE.invokeExact(errno, fd, buffer, buffer.byteSize());
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /** close(2). @return 0, or -errno. */
    public static int close(final MemorySegment errno, final int fd)
    {
        try
        {
            final int rc = (int)CLOSE.invokeExact(errno, fd);
            return rc < 0 ? -errno(errno) : rc;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    /**
     * signal(2) with {@code SIG_DFL}: the signal's default action from now on, also when the process was started with
     * it ignored (as {@code nohup} does), which the JVM would otherwise leave as it found it.
     *
     * @return 0, or -errno (EINVAL for a signal that cannot be caught).
     */
    public static int defaultSignalAction(final MemorySegment errno, final int signal)
    {
        try
        {
            final MemorySegment previous = (MemorySegment)SIGNAL.invokeExact(errno, signal, MemorySegment.NULL);
            return previous.address() == SIG_ERR ? -errno(errno) : 0;
        }
        catch (final Throwable t)
        {
            throw rethrow(t);
        }
    }

    private static RuntimeException rethrow(final Throwable t)
    {
        if (t instanceof RuntimeException re)
        {
            throw re;
        }
        if (t instanceof Error e)
        {
            throw e;
        }
        throw new IllegalStateException("native call failed", t);
    }
}
