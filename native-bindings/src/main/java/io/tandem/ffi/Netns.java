package io.tandem.ffi;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace that Tandem's tests and demo create and remove, with helpers to run {@code ip} commands in it and to run Java
 * code with a thread inside it (setns(2) on a dedicated thread, so the test's own thread never changes namespace).
 * Names carry a prefix and the PID so that parallel runs never collide and leftovers are recognisable.
 * <p>
 * Use in try-with-resources; {@link #close()} deletes the namespace and with it every interface inside. Only
 * addresses from 198.18.0.0/15 belong in here.
 */
public final class Netns implements AutoCloseable
{
    private static final long PID = ProcessHandle.current().pid();
    private static int sequence;

    private final String name;
    private final ExecutorService thread;

    private Netns(final String name)
    {
        this.name = name;
        this.thread = Executors.newSingleThreadExecutor(r ->
        {
            final Thread t = new Thread(r, "netns-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Creates a namespace with its loopback up.
     *
     * @param label short label, part of the name (at most 6 characters keeps interface names short).
     * @return the namespace.
     */
    public static synchronized Netns create(final String label)
    {
        final String name = "tdm-" + label + "-" + PID + "-" + (sequence++);
        run("ip", "netns", "add", name);
        final Netns netns = new Netns(name);
        try
        {
            netns.ip("link", "set", "lo", "up");
            netns.enterThread();
        }
        catch (final RuntimeException ex)
        {
            netns.close();
            throw ex;
        }
        return netns;
    }

    /** @return the namespace's name, for {@code ip netns exec}. */
    public String name()
    {
        return name;
    }

    /**
     * Runs {@code ip <args>} inside the namespace.
     *
     * @return its standard output.
     */
    public String ip(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "-n", name));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0]));
    }

    /**
     * Runs a command inside the namespace ({@code ip netns exec}).
     *
     * @return its standard output.
     */
    public String exec(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(List.of(args));
        return run(command.toArray(new String[0]));
    }

    /**
     * Starts a long-running command inside the namespace. The caller ends it (by its PID: {@link Process#destroy()}).
     */
    public Process start(final String... args) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", name));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectErrorStream(true).start();
    }

    /**
     * Runs Java code on this namespace's own thread, which is inside the namespace: sockets it opens, and netlink
     * requests it makes, belong to the namespace.
     */
    public <T> T call(final Callable<T> task) throws Exception
    {
        final Future<T> result = thread.submit(task);
        try
        {
            return result.get(60, TimeUnit.SECONDS);
        }
        catch (final ExecutionException ex)
        {
            if (ex.getCause() instanceof Exception e)
            {
                throw e;
            }
            throw ex;
        }
    }

    /**
     * Creates a veth pair with one end in each namespace, both up, offloads off (the kernel then writes complete
     * checksums and never hands over super-frames).
     *
     * @param a      one namespace.
     * @param aName  interface name in {@code a}.
     * @param b      the other.
     * @param bName  interface name in {@code b}.
     */
    public static void veth(final Netns a, final String aName, final Netns b, final String bName)
    {
        a.ip("link", "add", aName, "type", "veth", "peer", "name", bName, "netns", b.name);
        a.ip("link", "set", aName, "up");
        b.ip("link", "set", bName, "up");
        a.exec("ethtool", "-K", aName, "tx", "off", "rx", "off", "gso", "off", "tso", "off", "gro", "off");
        b.exec("ethtool", "-K", bName, "tx", "off", "rx", "off", "gso", "off", "tso", "off", "gro", "off");
    }

    private void enterThread()
    {
        try
        {
            call(() ->
            {
                try (Arena arena = Arena.ofConfined())
                {
                    final MemorySegment errno = LibC.allocateErrnoSegment(arena);
                    final int fd = LibC.open(errno, "/var/run/netns/" + name, LibC.O_RDONLY | LibC.O_CLOEXEC);
                    LibC.check("open(/var/run/netns/" + name + ")", fd);
                    try
                    {
                        LibC.check("setns(" + name + ")", LibC.setns(errno, fd, LibC.CLONE_NEWNET));
                    }
                    finally
                    {
                        LibC.close(errno, fd);
                    }
                }
                return null;
            });
        }
        catch (final NativeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IllegalStateException("cannot enter " + name, ex);
        }
    }

    /** Deletes the namespace and everything in it. */
    @Override
    public void close()
    {
        thread.shutdownNow();
        try
        {
            run("ip", "netns", "del", name);
        }
        catch (final RuntimeException ignore)
        {
            // already gone
        }
    }

    /**
     * Runs a command, bounded to 60 s.
     *
     * @return its standard output.
     * @throws IllegalStateException with its output when it fails.
     */
    public static String run(final String... command)
    {
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            process.getOutputStream().close();
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(60, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException("timed out: " + String.join(" ", command));
            }
            final String text = new String(out, StandardCharsets.UTF_8);
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException(String.join(" ", command) + " failed (" + process.exitValue() + "): " +
                    text);
            }
            return text;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run " + String.join(" ", command), ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted: " + String.join(" ", command), ex);
        }
    }
}
