package io.tandem.control;

import io.tandem.control.admin.AdminServer;
import io.tandem.control.agent.EventLog;
import io.tandem.control.agent.NodeAdminBackend;
import io.tandem.control.agent.NodeAgent;
import io.tandem.control.cli.CtlCommand;
import io.tandem.control.config.ConfigException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigViolation;
import io.tandem.control.config.Durations;
import io.tandem.control.config.TandemConfig;
import io.tandem.control.demo.Demo;
import io.tandem.ffi.Errno;
import io.tandem.ffi.LibC;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;

/**
 * Entry point of {@code tandem.jar}: {@code agent} runs a node. Exit codes: 0 done, 1 failed while running or
 * starting, 2 bad command line or configuration.
 */
@Command(name = "tandem", mixinStandardHelpOptions = true,
    subcommands = {Main.Agent.class, Main.DemoCommand.class, CtlCommand.class},
    description = "Tandem: an L4 TCP load balancer appliance pair.")
public final class Main implements Callable<Integer>
{
    /** Exit code: a bad command line or configuration. */
    public static final int EXIT_USAGE = 2;
    /** Exit code: failed to start or failed while running. */
    public static final int EXIT_FAILURE = 1;

    /**
     * @param args command line.
     */
    public static void main(final String[] args)
    {
        System.exit(new CommandLine(new Main()).execute(args));
    }

    @Override
    public Integer call()
    {
        new CommandLine(this).usage(System.err);
        return EXIT_USAGE;
    }

    /** {@code tandem agent --config FILE}: runs one node until SIGTERM/SIGINT. */
    @Command(name = "agent", mixinStandardHelpOptions = true,
        description = "Run one node: forward on the data interface until SIGTERM or SIGINT.")
    static final class Agent implements Callable<Integer>
    {
        @Option(names = "--config", required = true, description = "the node's configuration file (JSON)")
        Path config;

        @Option(names = "--duration", description = "stop by itself after this long, e.g. 60s")
        String duration;

        @Option(names = "--log-json", description = "log one JSON object per line")
        boolean logJson;

        @Override
        public Integer call() throws InterruptedException
        {
            final EventLog log = new EventLog(System.out, logJson);
            final TandemConfig tandemConfig;
            final long durationNs;
            try
            {
                tandemConfig = ConfigReader.parse(Files.readString(config, StandardCharsets.UTF_8));
                durationNs = null == duration ? Long.MAX_VALUE : Durations.parse(duration).toNanos();
            }
            catch (final IOException ex)
            {
                System.err.println("tandem agent: cannot read " + config + ": " + ex.getMessage());
                return EXIT_USAGE;
            }
            catch (final ConfigException ex)
            {
                System.err.println("tandem agent: " + config + " is not a valid configuration:");
                for (final ConfigViolation violation : ex.violations())
                {
                    System.err.println("  " + violation.message());
                }
                return EXIT_USAGE;
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("tandem agent: --duration: " + ex.getMessage());
                return EXIT_USAGE;
            }

            final NodeAgent node;
            try
            {
                node = NodeAgent.start(tandemConfig, log);
            }
            catch (final RuntimeException ex)
            {
                System.err.println("tandem agent: cannot start: " + ex.getMessage());
                return EXIT_FAILURE;
            }
            final AdminServer admin;
            try
            {
                admin = AdminServer.start(new AdminServer.Context()
                    .socketPath(tandemConfig.node().adminSocket())
                    .backend(new NodeAdminBackend(node))
                    .log(log));
            }
            catch (final RuntimeException ex)
            {
                node.close();
                System.err.println("tandem agent: cannot open the admin socket " + tandemConfig.node().adminSocket() +
                    ": " + ex.getMessage());
                return EXIT_FAILURE;
            }
            // Both handlers are in place before agent.ready: a supervisor that signals as soon as it reads that line
            // reaches them, not the JVM's default (which ends the process on SIGHUP).
            // On SIGTERM/SIGINT: let the control loop take everything down, then exit 0 for a clean stop (1 when the
            // clean-up failed or timed out) instead of the JVM's 143, so scripts and systemd can tell the two apart.
            final Thread hook = new Thread(() ->
            {
                node.requestStop();
                boolean clean = false;
                try
                {
                    clean = node.awaitClosed(20, TimeUnit.SECONDS) && node.closedCleanly();
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
                System.out.flush();
                Runtime.getRuntime().halt(clean ? 0 : EXIT_FAILURE);
            }, "tandem-shutdown");
            Runtime.getRuntime().addShutdownHook(hook);
            handleHangups(node, tandemConfig, log);
            log.log("agent.ready", "admin", tandemConfig.node().adminSocket());
            try
            {
                node.run(durationNs);
            }
            catch (final RuntimeException ex)
            {
                log.log("agent.failed", "error", ex.toString());
                return EXIT_FAILURE;
            }
            finally
            {
                admin.close();
                node.close();
            }
            return 0;
        }

        /**
         * SIGHUP (systemctl reload): read the file again and apply its loadBalancer section while traffic flows. Also
         * when the agent was started with SIGHUP ignored (nohup): the JVM leaves an ignored signal ignored, so the
         * agent resets it first; a hang-up that reloads is harmless, and what nohup asks for, not to end, still holds.
         */
        private void handleHangups(final NodeAgent node, final TandemConfig started, final EventLog log)
        {
            final sun.misc.Signal hangup = new sun.misc.Signal("HUP");
            final sun.misc.SignalHandler reload = signal -> reload(node, started, log);
            if (sun.misc.Signal.handle(hangup, reload) != sun.misc.SignalHandler.SIG_IGN)
            {
                return;
            }
            final int rc;
            try (Arena arena = Arena.ofConfined())
            {
                rc = LibC.defaultSignalAction(LibC.allocateErrnoSegment(arena), LibC.SIGHUP);
            }
            if (rc < 0 || sun.misc.Signal.handle(hangup, reload) == sun.misc.SignalHandler.SIG_IGN)
            {
                log.log("reload.signal.ignored", "signal", "HUP", "error", rc < 0 ? Errno.describe(-rc) : "none",
                    "effect", "SIGHUP does not reload; apply the loadBalancer section with 'tandem ctl apply -f FILE'");
            }
        }

        private void reload(final NodeAgent node, final TandemConfig started, final EventLog log)
        {
            try
            {
                final TandemConfig next = ConfigReader.parse(Files.readString(config, StandardCharsets.UTF_8));
                if (!next.node().equals(started.node()))
                {
                    log.log("config.rejected", "file", config, "reason",
                        "the node section changed: that needs a restart");
                    return;
                }
                // the operator's file replaces whatever runs: based on the current version by definition
                node.apply(next.loadBalancer(), node.configVersion());
            }
            catch (final ConfigException ex)
            {
                for (final ConfigViolation violation : ex.violations())
                {
                    log.log("config.rejected", "file", config, "violation", violation.message());
                }
            }
            catch (final IOException | RuntimeException ex)
            {
                log.log("config.rejected", "file", config, "reason", String.valueOf(ex.getMessage()));
            }
        }
    }

    /** {@code tandem demo}: a topology in network namespaces, a real agent, requests through the VIP. */
    @Command(name = "demo", mixinStandardHelpOptions = true,
        description = "Build a small topology in network namespaces, run a pair of nodes, send requests through the VIP.")
    static final class DemoCommand implements Callable<Integer>
    {
        @Option(names = "--duration", description = "stop by itself after this long, e.g. 30s (default: Ctrl-C)")
        String duration;

        @Option(names = "--requests", defaultValue = "300", description = "requests to send (default ${DEFAULT-VALUE})")
        int requests;

        @Option(names = "--maglev", description = "Maglev on the client address instead of round robin")
        boolean maglev;

        @Option(names = "--kill-active", description = "kill the active node once (kill -9) while streams run " +
            "through the VIP, and show the takeover")
        boolean killActive;

        @Override
        public Integer call() throws Exception
        {
            if (requests < 1 || requests > 100_000)
            {
                System.err.println("tandem demo: --requests must be 1..100000");
                return EXIT_USAGE;
            }
            final java.time.Duration stayUp;
            try
            {
                stayUp = null == duration ? null : Durations.parse(duration);
            }
            catch (final IllegalArgumentException ex)
            {
                System.err.println("tandem demo: --duration: " + ex.getMessage());
                return EXIT_USAGE;
            }
            if (ProcessHandle.current().info().user().map(u -> !u.equals("root")).orElse(true))
            {
                System.err.println("tandem demo: needs root (network namespaces, packet sockets): sudo ./tandem demo");
                return EXIT_FAILURE;
            }
            return new Demo(System.out, requests, stayUp, maglev, killActive).run();
        }
    }
}
