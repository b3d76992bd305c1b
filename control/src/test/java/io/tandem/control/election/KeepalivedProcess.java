package io.tandem.control.election;

import io.tandem.ffi.Netns;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * One keepalived (VRRP only, no fork, no respawn) in a namespace, with its configuration, pid files, log and a notify
 * script in its own directory, so that nothing under /etc or /run is read or written. The notify script appends each
 * state keepalived enters (BACKUP, MASTER, FAULT, STOP) with a timestamp to a state file.
 * <p>
 * keepalived runs as two processes: the parent, which the test started ({@code ip netns exec} execs keepalived, so
 * the {@link Process} is the parent), and its VRRP child, whose PID is in the {@code -r} pid file. {@link #kill()}
 * and {@link #close()} end exactly these two, by PID, the child first: a child that outlives its parent is told to
 * stop and would then send its priority-0 advertisement.
 */
final class KeepalivedProcess implements AutoCloseable
{
    private static final long START_TIMEOUT_MS = 10_000;

    private final Path directory;
    private final Path stateFile;
    private final Path logFile;
    private final Path vrrpPidFile;
    private final Process process;
    private ProcessHandle child;

    private KeepalivedProcess(final Path directory, final Process process)
    {
        this.directory = directory;
        this.stateFile = directory.resolve("state");
        this.logFile = directory.resolve("keepalived.log");
        this.vrrpPidFile = directory.resolve("vrrp.pid");
        this.process = process;
    }

    /**
     * The keepalived configuration of side A for VRID {@link VrrpFixtures#ROUTER_ID}: VRRPv3, 100 ms, state BACKUP,
     * {@link VrrpFixtures#VIRTUAL_ADDRESS}/24.
     *
     * @param unicast   unicast from {@link VrrpFixtures#A_ADDRESS} to {@link VrrpFixtures#B_ADDRESS}, else multicast.
     * @param priority  keepalived's priority.
     * @param preempt   false writes {@code nopreempt}.
     * @param notify    the notify script's path.
     */
    static String config(final boolean unicast, final int priority, final boolean preempt, final Path notify)
    {
        return """
            global_defs {
                router_id tandem_test
                vrrp_version 3
            }
            vrrp_instance tandem {
                state BACKUP
                interface %s
                virtual_router_id %d
                priority %d
                advert_int 0.1
            %s%s    virtual_ipaddress {
                    %s/24
                }
                notify %s
            }
            """.formatted(VrrpFixtures.A_INTERFACE, VrrpFixtures.ROUTER_ID, priority, preempt ? "" : "    nopreempt\n",
            unicast ? "    unicast_src_ip " + VrrpFixtures.A_ADDRESS + "\n    unicast_peer {\n        " +
                VrrpFixtures.B_ADDRESS + "\n    }\n" : "", VrrpFixtures.VIRTUAL_ADDRESS, notify);
    }

    /**
     * Writes the files and starts keepalived in {@code netns}; returns once its VRRP child has written its pid file
     * and announced its first state.
     */
    static KeepalivedProcess start(final Netns netns, final boolean unicast, final int priority,
        final boolean preempt) throws IOException, InterruptedException
    {
        final Path directory = Files.createTempDirectory("tvr-keepalived-");
        final Path notify = directory.resolve("notify.sh");
        Files.writeString(notify, "#!/bin/sh\necho \"$3 $(date +%s.%N)\" >> " + directory.resolve("state") + "\n");
        Files.setPosixFilePermissions(notify, PosixFilePermissions.fromString("rwx------"));
        final Path config = directory.resolve("keepalived.conf");
        Files.writeString(config, config(unicast, priority, preempt, notify));
        final Process process = new ProcessBuilder(List.of("ip", "netns", "exec", netns.name(),
            "keepalived", "--dont-fork", "--log-console", "--log-detail", "--vrrp", "--dont-respawn",
            "--use-file=" + config, "--pid=" + directory.resolve("keepalived.pid"),
            "--vrrp_pid=" + directory.resolve("vrrp.pid")))
            .redirectErrorStream(true)
            .redirectOutput(directory.resolve("keepalived.log").toFile())
            .start();
        process.getOutputStream().close();
        final KeepalivedProcess keepalived = new KeepalivedProcess(directory, process);
        try
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_TIMEOUT_MS);
            while (keepalived.child == null || keepalived.states().isEmpty())
            {
                keepalived.child = keepalived.vrrpChild().orElse(null);
                if (!process.isAlive() || System.nanoTime() > deadline)
                {
                    throw new IllegalStateException("keepalived did not start: " + keepalived.log());
                }
                Thread.sleep(10);
            }
            return keepalived;
        }
        catch (final InterruptedException | RuntimeException ex)
        {
            keepalived.close();
            throw ex;
        }
    }

    /** @return the VRRP child, if its pid file names a live child of the keepalived this object started. */
    private Optional<ProcessHandle> vrrpChild()
    {
        try
        {
            if (!Files.exists(vrrpPidFile))
            {
                return Optional.empty();
            }
            final String text = Files.readString(vrrpPidFile).strip();
            if (text.isEmpty())
            {
                return Optional.empty();
            }
            // only a child of our keepalived: never signal a PID that was reused by something else
            return ProcessHandle.of(Long.parseLong(text))
                .filter(child -> child.parent().map(ProcessHandle::pid).orElse(-1L) == process.pid());
        }
        catch (final IOException | NumberFormatException ex)
        {
            return Optional.empty();
        }
    }

    /** @return the states keepalived announced so far, oldest first, e.g. {@code [BACKUP, MASTER]}. */
    List<String> states()
    {
        return stateLines().stream().map(line -> line.split(" ")[0]).toList();
    }

    private List<String> stateLines()
    {
        try
        {
            return Files.exists(stateFile) ? Files.readAllLines(stateFile, StandardCharsets.UTF_8) : List.of();
        }
        catch (final IOException ex)
        {
            return List.of();
        }
    }

    /** @return the last state announced, or "" before the first. */
    String state()
    {
        final List<String> states = states();
        return states.isEmpty() ? "" : states.getLast();
    }

    /**
     * Waits for keepalived to announce {@code state} as its state number {@code index} or later.
     *
     * @return {@link System#nanoTime()} when the state file showed it (the notify script runs a few ms after the
     * transition).
     */
    long awaitState(final String state, final int index, final long timeoutMs) throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (true)
        {
            final List<String> states = states();
            for (int i = index; i < states.size(); i++)
            {
                if (states.get(i).equals(state))
                {
                    return System.nanoTime();
                }
            }
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("keepalived did not enter " + state + " within " + timeoutMs + " ms; " +
                    "states " + states + "; log:\n" + log());
            }
            Thread.sleep(2);
        }
    }

    /** @return keepalived's console log so far. */
    String log()
    {
        try
        {
            return Files.exists(logFile) ? Files.readString(logFile) : "";
        }
        catch (final IOException ex)
        {
            return "(unreadable: " + ex + ")";
        }
    }

    /** Stops keepalived cleanly (SIGTERM to the parent): as master it sends priority 0. */
    void terminate() throws InterruptedException
    {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS))
        {
            kill();
        }
    }

    /**
     * SIGKILL to the VRRP child, then to the parent: keepalived vanishes without a word, as when its machine dies.
     *
     * @return {@link System#nanoTime()} right after the child's SIGKILL.
     */
    long kill() throws InterruptedException
    {
        // the handle remembers the child's start time, so a PID reused since is never signalled
        if (null != child)
        {
            child.destroyForcibly();
        }
        final long killedNs = System.nanoTime();
        process.destroyForcibly();
        if (null != child)
        {
            child.onExit().orTimeout(10, TimeUnit.SECONDS).exceptionally(ex -> null).join();
        }
        process.waitFor(10, TimeUnit.SECONDS);
        return killedNs;
    }

    /** Kills whatever still runs (child first) and removes the directory. */
    @Override
    public void close()
    {
        try
        {
            if (process.isAlive() || (null != child && child.isAlive()))
            {
                kill();
            }
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
        }
        finally
        {
            try (var files = Files.walk(directory))
            {
                files.sorted((x, y) -> y.getNameCount() - x.getNameCount()).forEach(path -> path.toFile().delete());
            }
            catch (final IOException ignore)
            {
                // a temp directory left behind is harmless
            }
        }
    }
}
