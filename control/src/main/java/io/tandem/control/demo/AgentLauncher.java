package io.tandem.control.demo;

import io.tandem.ffi.Netns;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Starts a Tandem agent as a child process inside a network namespace, the way an operator runs it
 * ({@code io.tandem.control.Main agent --config FILE}), with this JVM's own java binary, class path and the JVM flags
 * Tandem needs (those of the root pom's {@code tandem.jvm.flags} that this JVM was started with). Used by the demo,
 * the end-to-end benchmark and the end-to-end tests.
 */
public final class AgentLauncher
{
    private AgentLauncher()
    {
    }

    /**
     * @param netns  the namespace of the node's data interface.
     * @param config the node's configuration file.
     * @return the command line.
     */
    public static List<String> command(final Netns netns, final Path config)
    {
        final List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", netns.name()));
        command.addAll(javaCommand("agent", "--config", config.toString()));
        return command;
    }

    /**
     * @param args the arguments of {@code io.tandem.control.Main}, e.g. {@code ctl status}.
     * @return a command line that runs Tandem's main class in a new JVM like this one.
     */
    public static List<String> javaCommand(final String... args)
    {
        final List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java")));
        for (final String argument : ManagementFactory.getRuntimeMXBean().getInputArguments())
        {
            if (argument.startsWith("--enable-native-access") || argument.startsWith("--add-exports") ||
                argument.startsWith("-XX:+EnableDynamicAgentLoading") || argument.startsWith("--sun-misc") ||
                argument.equals("-ea"))
            {
                command.add(argument);
            }
        }
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), "io.tandem.control.Main"));
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Starts the agent; its standard error is merged into its standard output.
     *
     * @return the process; the caller ends it (by its handle) and reads its output.
     */
    public static Process start(final Netns netns, final Path config) throws IOException
    {
        return new ProcessBuilder(command(netns, config)).redirectErrorStream(true).start();
    }

    /**
     * Reads the agent's output until it reports {@code agent.ready}, then keeps reading it on a daemon thread so the
     * pipe never fills. Every line goes to {@code onLine}.
     *
     * @throws IllegalStateException when the agent ends before it is ready.
     */
    public static void awaitReady(final Process agent, final Consumer<String> onLine) throws IOException
    {
        final BufferedReader in = new BufferedReader(new InputStreamReader(agent.getInputStream(),
            StandardCharsets.UTF_8));
        String line;
        while ((line = in.readLine()) != null)
        {
            onLine.accept(line);
            if (line.contains("agent.ready"))
            {
                final Thread pump = new Thread(() ->
                {
                    try
                    {
                        String more;
                        while ((more = in.readLine()) != null)
                        {
                            onLine.accept(more);
                        }
                    }
                    catch (final IOException ignore)
                    {
                        // the agent ended
                    }
                }, "tandem-agent-output-" + agent.pid());
                pump.setDaemon(true);
                pump.start();
                return;
            }
        }
        throw new IllegalStateException("the agent ended before it was ready");
    }
}
