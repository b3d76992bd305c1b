package io.tandem.bench;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * The JVM flags every Tandem JVM needs (the root pom's {@code tandem.jvm.flags}), and checks that a JVM, in
 * particular a JMH fork, really runs with them. Without {@code --add-exports java.base/jdk.internal.misc} Agrona's
 * buffers fail to load; without {@code --enable-native-access} the FFM bindings warn or fail. JMH forks inherit the
 * launching JVM's input arguments unless {@code -jvmArgs} replaces them, so a fork can silently lose a flag.
 */
public final class JvmFlags
{
    /** The flags, in the form {@link java.lang.management.RuntimeMXBean#getInputArguments()} reports them. */
    public static final List<String> REQUIRED = List.of(
        "--enable-native-access=ALL-UNNAMED",
        "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED",
        "-XX:+EnableDynamicAgentLoading");

    private JvmFlags()
    {
    }

    /**
     * @param arguments JVM arguments, in either form ({@code --add-exports X} or {@code --add-exports=X}), as one
     *                  argument per element or several separated by spaces.
     * @return the {@link #REQUIRED} flags that are not among them, in order.
     */
    public static List<String> missingFrom(final Collection<String> arguments)
    {
        final List<String> tokens = new ArrayList<>();
        for (final String argument : arguments)
        {
            for (final String token : argument.trim().split("\\s+"))
            {
                if (!token.isEmpty())
                {
                    tokens.add(token);
                }
            }
        }
        final List<String> normalised = new ArrayList<>();
        for (int i = 0; i < tokens.size(); i++)
        {
            final String token = tokens.get(i);
            // the launcher accepts "--add-exports X" as well as "--add-exports=X"; compare in the latter form
            if ((token.equals("--add-exports") || token.equals("--enable-native-access")) && i + 1 < tokens.size())
            {
                normalised.add(token + "=" + tokens.get(++i));
            }
            else
            {
                normalised.add(token);
            }
        }
        final List<String> missing = new ArrayList<>();
        for (final String flag : REQUIRED)
        {
            if (!normalised.contains(flag))
            {
                missing.add(flag);
            }
        }
        return missing;
    }

    /** @return the {@link #REQUIRED} flags this JVM was started without. */
    public static List<String> missingInThisJvm()
    {
        return missingFrom(ManagementFactory.getRuntimeMXBean().getInputArguments());
    }

    /**
     * Fails a benchmark's setup when its JVM lacks a required flag, rather than measuring a JVM unlike production.
     *
     * @throws IllegalStateException naming the missing flags.
     */
    public static void requireInThisJvm()
    {
        final List<String> missing = missingInThisJvm();
        if (!missing.isEmpty())
        {
            throw new IllegalStateException("this JVM (a JMH fork?) runs without " + missing + "; its arguments are " +
                ManagementFactory.getRuntimeMXBean().getInputArguments());
        }
    }
}
