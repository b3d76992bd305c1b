package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import io.tandem.control.config.NodeConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code tandem ctl}: the command-line client of one node. The common options ({@code --socket}, {@code --counters},
 * {@code -o}, {@code --timeout}) are declared here and inherited by every subcommand, so they may come before or
 * after the subcommand's name.
 * <pre>
 * exit  meaning
 * 0     done
 * 1     the agent answered with an error, or cannot be reached (the message says which)
 * 2     bad usage or a bad input file (nothing was sent)
 * 3     conflict: the change was based on a version that is no longer current (nothing changed)
 * </pre>
 */
@Command(name = "ctl", mixinStandardHelpOptions = true,
    subcommands = {StatusCommand.class, GetCommand.class, ApplyCommand.class, PoolCommand.class, StatsCommand.class,
        FlowsCommand.class},
    description = {"The node's command-line client.",
        "Watch and configure the node through its admin socket; 'stats' reads the counters file instead, so it " +
            "works also when the agent is busy. Output is tables for people, or JSON for scripts with -o json."},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
        "0:done",
        "1:the agent answered with an error, or cannot be reached (the message says which)",
        "2:bad usage or a bad input file (nothing was sent)",
        "3:conflict: the change was based on a stale version (nothing changed; read again and retry)"})
public final class CtlCommand
{
    /** Exit code: done. */
    public static final int EXIT_OK = 0;
    /** Exit code: the agent answered with an error, or cannot be reached. */
    public static final int EXIT_ERROR = 1;
    /** Exit code: bad usage or bad input; nothing was sent. */
    public static final int EXIT_USAGE = 2;
    /** Exit code: the change was based on a stale version; nothing changed. */
    public static final int EXIT_CONFLICT = 3;

    /** The program's name in messages. */
    static final String NAME = "tandem ctl";

    /** Output formats. */
    public enum Output
    {
        /** Tables for people. */
        table,
        /** JSON for scripts. */
        json
    }

    @Option(names = "--socket", scope = ScopeType.INHERIT, paramLabel = "PATH",
        description = "the agent's admin socket (default: " + "/run/tandem/admin.sock" + ")")
    Path socket = NodeConfig.DEFAULT_ADMIN_SOCKET;

    @Option(names = "--counters", scope = ScopeType.INHERIT, paramLabel = "PATH",
        description = "the agent's counters file, for stats (default: /dev/shm/tandem-counters)")
    Path counters = NodeConfig.DEFAULT_COUNTERS_FILE;

    @Option(names = {"-o", "--output"}, scope = ScopeType.INHERIT, paramLabel = "FORMAT",
        description = "table (default) or json")
    Output output = Output.table;

    @Option(names = "--timeout", scope = ScopeType.INHERIT, paramLabel = "SECONDS",
        description = "how long the agent may take to answer (default: 10)")
    double timeoutSeconds = 10;

    /**
     * Runs {@code tandem ctl} alone, as {@code java -cp tandem.jar io.tandem.control.cli.CtlCommand ...}.
     *
     * @param args the command line.
     */
    public static void main(final String[] args)
    {
        System.exit(commandLine().execute(args));
    }

    /** @return a command line for {@code ctl}, case-insensitive for enum values ({@code -o JSON}). */
    public static CommandLine commandLine()
    {
        return new CommandLine(new CtlCommand()).setCaseInsensitiveEnumValuesAllowed(true);
    }

    /**
     * What every subcommand shares: the options of {@link CtlCommand}, its output streams, and turning a
     * {@link CtlException} into its message and exit code.
     */
    abstract static class Base implements Callable<Integer>
    {
        @Spec
        CommandSpec spec;

        @Override
        public final Integer call()
        {
            try
            {
                run();
                return EXIT_OK;
            }
            catch (final CtlException ex)
            {
                err().println(NAME + ": " + ex.getMessage());
                return ex.exitCode();
            }
            finally
            {
                out().flush();
                err().flush();
            }
        }

        /**
         * Does the work, printing to {@link #out()}.
         *
         * @throws CtlException to end with a message and an exit code other than 0.
         */
        abstract void run();

        /** @return the command that holds the common options. */
        CtlCommand ctl()
        {
            CommandSpec at = spec;
            while (null != at)
            {
                if (at.userObject() instanceof CtlCommand ctl)
                {
                    return ctl;
                }
                at = at.parent();
            }
            throw new IllegalStateException(spec.qualifiedName() + " is not under ctl");
        }

        boolean json()
        {
            return ctl().output == Output.json;
        }

        PrintWriter out()
        {
            return spec.commandLine().getOut();
        }

        PrintWriter err()
        {
            return spec.commandLine().getErr();
        }

        /**
         * @return a client for the admin socket.
         * @throws CtlException when --timeout is out of range.
         */
        AdminClient client()
        {
            final double seconds = ctl().timeoutSeconds;
            if (!(seconds > 0 && seconds <= 3600))
            {
                throw new CtlException(EXIT_USAGE, "--timeout must be more than 0 and at most 3600 seconds, got " +
                    seconds);
            }
            return new AdminClient(ctl().socket, Math.max(1, Math.round(seconds * 1000)));
        }

        /**
         * @param response an answer that is not 2xx.
         * @param doing    what was asked, e.g. {@code "reading the load balancer"}.
         * @return the exception that says what the agent answered: {@link #EXIT_CONFLICT} for 409 with the current
         *         version, else {@link #EXIT_ERROR}, with every field violation on its own line.
         */
        static CtlException refused(final AdminClient.Response response, final String doing)
        {
            JsonNode error = null;
            try
            {
                error = response.json();
            }
            catch (final CtlException notJson)
            {
                // an answer not from the admin handler, e.g. a proxy's: show its body as it is
            }
            final String message = null != error && error.path("message").isTextual() ?
                error.path("message").asText() : response.body().strip();
            final StringBuilder text = new StringBuilder()
                .append("the agent refused ").append(doing).append(" (HTTP ").append(response.status()).append("): ")
                .append(message.isEmpty() ? "(no message)" : message);
            String currentVersion = null;
            if (null != error)
            {
                for (final JsonNode detail : error.path("details"))
                {
                    for (final JsonNode field : detail.path("fieldViolations"))
                    {
                        // the agent's description starts with the path already
                        final String path = field.path("field").asText("");
                        final String description = field.path("description").asText("");
                        text.append("\n  ").append(description.startsWith(path) ? "" : path + ": ")
                            .append(description);
                    }
                    final JsonNode current = detail.path("metadata").path("currentVersion");
                    if (current.isTextual())
                    {
                        currentVersion = current.asText();
                    }
                }
            }
            if (response.status() == 409)
            {
                text.append("\nthe current version is ").append(null == currentVersion ? "unknown" : currentVersion)
                    .append("; nothing changed: read it again ('" + NAME + " get'), redo the change and retry");
                return new CtlException(EXIT_CONFLICT, text.toString());
            }
            return new CtlException(EXIT_ERROR, text.toString());
        }
    }
}
