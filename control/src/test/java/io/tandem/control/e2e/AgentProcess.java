package io.tandem.control.e2e;

import io.tandem.control.demo.AgentLauncher;
import io.tandem.ffi.Netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * A Tandem agent running as a real child process inside a network namespace, started the way an operator starts
 * it ({@code io.tandem.control.Main agent --config FILE}) with the test JVM's own class path and JVM flags. Its
 * output is collected line by line; {@link #awaitLine} waits for a line, bounded in time. {@link #stop()} sends
 * SIGTERM (a clean shutdown) and {@link #kill()} SIGKILL; {@link #close()} makes sure it is gone. Only this
 * process, by its own handle, is ever signalled.
 */
final class AgentProcess implements AutoCloseable
{
    private final Process process;
    private final List<String> lines = new CopyOnWriteArrayList<>();
    private final Thread reader;

    private AgentProcess(final Process process)
    {
        this.process = process;
        this.reader = new Thread(this::readOutput, "agent-output-" + process.pid());
        reader.setDaemon(true);
        reader.start();
    }

    /**
     * Starts an agent in {@code netns} with the configuration file {@code config}.
     */
    static AgentProcess start(final Netns netns, final Path config) throws IOException
    {
        return new AgentProcess(AgentLauncher.start(netns, config));
    }

    /**
     * Starts an agent as {@link #start} does, under {@code nohup}: with SIGHUP ignored, as a shell's nohup hands it
     * down, which the agent must take over to reload on it.
     */
    static AgentProcess startWithHangupsIgnored(final Netns netns, final Path config) throws IOException
    {
        final List<String> command = new ArrayList<>(List.of("nohup"));
        command.addAll(AgentLauncher.command(netns, config));
        return new AgentProcess(new ProcessBuilder(command).redirectErrorStream(true).start());
    }

    private void readOutput()
    {
        try (BufferedReader in = new BufferedReader(
            new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
        {
            String line;
            while ((line = in.readLine()) != null)
            {
                lines.add(line);
                System.out.println("[agent] " + line);
            }
        }
        catch (final IOException ignore)
        {
            // the process ended
        }
    }

    /**
     * Waits until a line containing {@code text} has been printed.
     *
     * @throws AssertionError with the output so far when it does not appear in time or the agent exits.
     */
    String awaitLine(final String text, final long timeout, final TimeUnit unit) throws InterruptedException
    {
        final long deadline = System.nanoTime() + unit.toNanos(timeout);
        while (System.nanoTime() < deadline)
        {
            for (final String line : lines)
            {
                if (line.contains(text))
                {
                    return line;
                }
            }
            if (!process.isAlive() && !reader.isAlive())
            {
                break;
            }
            Thread.sleep(20);
        }
        throw new AssertionError("agent did not print '" + text + "' (alive=" + process.isAlive() + "); output:\n" +
            String.join("\n", lines));
    }

    /** @return everything the agent printed so far. */
    List<String> output()
    {
        return List.copyOf(lines);
    }

    /** @return true while the agent process runs. */
    boolean isAlive()
    {
        return process.isAlive();
    }

    /** @return the agent's PID. */
    long pid()
    {
        return process.pid();
    }

    /** Sends SIGTERM and waits up to 20 s for the agent to exit; @return its exit code. */
    int stop() throws InterruptedException
    {
        // ProcessHandle, not Process.destroy(): the latter also closes our end of the agent's output, and what the
        // agent prints while it shuts down would be lost
        process.toHandle().destroy();
        if (!process.waitFor(20, TimeUnit.SECONDS))
        {
            process.destroyForcibly();
            throw new AssertionError("agent did not stop within 20 s of SIGTERM");
        }
        reader.join(2000);
        return process.exitValue();
    }

    /** Sends SIGKILL: no cleanup runs. */
    void kill() throws InterruptedException
    {
        process.toHandle().destroyForcibly();
        process.waitFor(20, TimeUnit.SECONDS);
    }

    @Override
    public void close()
    {
        if (process.isAlive())
        {
            process.destroyForcibly();
            try
            {
                process.waitFor(20, TimeUnit.SECONDS);
            }
            catch (final InterruptedException ex)
            {
                Thread.currentThread().interrupt();
            }
        }
    }
}
