package io.tandem.control.demo;

import io.tandem.ffi.Netns;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;

/**
 * A long-running process that a {@link Topology} started inside one of its namespaces. Its output (stdout and stderr
 * together) is drained on a daemon thread, so a chatty process never blocks on a full pipe; the last
 * {@link #KEPT_OUTPUT_CHARS} characters are kept for error messages. It is ended only through its own
 * {@link Process} handle, i.e. by its PID ({@code ip netns exec} execs the command, so that PID is the server's).
 */
final class ServerProcess
{
    static final int KEPT_OUTPUT_CHARS = 4096;

    private final String label;
    private final Process process;
    private final StringBuilder output = new StringBuilder();

    private ServerProcess(final String label, final Process process)
    {
        this.label = label;
        this.process = process;
    }

    /**
     * Starts {@code command} inside {@code ns}.
     *
     * @param label names the process in messages and in its drain thread.
     */
    static ServerProcess start(final Netns ns, final String label, final String... command)
    {
        final Process process;
        try
        {
            process = ns.start(command);
            process.getOutputStream().close();
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot start " + label, ex);
        }
        final ServerProcess server = new ServerProcess(label, process);
        final Thread drain = new Thread(server::drain, "drain-" + label);
        drain.setDaemon(true);
        drain.start();
        return server;
    }

    String label()
    {
        return label;
    }

    long pid()
    {
        return process.pid();
    }

    boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return the tail of what the process printed so far. */
    String output()
    {
        synchronized (output)
        {
            return output.toString();
        }
    }

    /**
     * Ends the process: SIGTERM, then SIGKILL if it is still there after 3 s; waits at most 5 s in all.
     *
     * @return true when it has ended.
     */
    boolean stop()
    {
        if (!process.isAlive())
        {
            return true;
        }
        process.destroy();
        try
        {
            if (!process.waitFor(3, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                return process.waitFor(2, TimeUnit.SECONDS);
            }
            return true;
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
            return !process.isAlive();
        }
    }

    private void drain()
    {
        final byte[] buffer = new byte[4096];
        try (InputStream in = process.getInputStream())
        {
            int n;
            while ((n = in.read(buffer)) > 0)
            {
                final String text = new String(buffer, 0, n, StandardCharsets.UTF_8);
                synchronized (output)
                {
                    output.append(text);
                    if (output.length() > KEPT_OUTPUT_CHARS)
                    {
                        output.delete(0, output.length() - KEPT_OUTPUT_CHARS);
                    }
                }
            }
        }
        catch (final IOException ignore)
        {
            // the process ended and its pipe closed
        }
    }
}
