package io.tandem.bench;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.CommandLineOptionException;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.ProfilerConfig;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;

/**
 * Entry point of the benchmark jar ({@code ./tandem bench core}):
 * <pre>
 *   java $TANDEM_JVM_FLAGS -jar tandem-bench.jar core [--quick] [--json FILE] [JMH options...]
 * </pre>
 * {@code core} runs the benchmarks of {@code io.tandem.bench.core} with JMH, always with the GC profiler so that
 * every result has its B/op, then prints a {@link CoreSummary}: each result with its error and B/op, and the goals
 * with whether they are met. Defaults keep the whole run near 4 minutes on 2 cores (1 fork, 3 × 2 s warmup,
 * 5 × 2 s measurement); {@code --quick} is a smoke test (1 × 1 s warmup, 2 × 1 s measurement). Any JMH
 * command-line option overrides these, e.g. {@code -f 3}, {@code -i 10}, {@code EstablishedSegment} (an include
 * pattern), {@code -p checksumVerified=true}. {@code --json FILE} makes JMH write its JSON result to FILE.
 * <p>
 * JMH forks inherit this JVM's input arguments, so launch it with the root pom's {@code tandem.jvm.flags}; any of
 * those flags this JVM lacks are appended to the forks' arguments, and every worker benchmark checks in its fork
 * that they arrived.
 * <p>
 * Exit status: 0 when every selected benchmark produced a result, 1 when one failed, 2 on a usage error. Goals
 * that are not met are reported, not turned into a failure: a shared 2-core machine is too noisy to gate on.
 */
public final class BenchMain
{
    /** The JMH include pattern of the core benchmarks. */
    public static final String CORE_INCLUDE = "io\\.tandem\\.bench\\.core\\..*";

    private static final String JMH_UNSAFE_FLAG_PREFIX = "--sun-misc-unsafe-memory-access=";
    private static final String JMH_UNSAFE_FLAG = JMH_UNSAFE_FLAG_PREFIX + "allow";

    static final String USAGE = String.join(System.lineSeparator(),
        "usage: tandem-bench core [--quick] [--json FILE] [JMH options...]",
        "  core          run the forwarding-core benchmarks (JMH, -prof gc) and print a summary with the goals",
        "  --quick       smoke test: 1 fork, 1 warmup iteration of 1 s, 2 measurement iterations of 1 s",
        "  --json FILE   also write JMH's JSON result to FILE (-rf json -rff FILE)",
        "  JMH options   override the defaults (-f 1 -wi 3 -w 2s -i 5 -r 2s), e.g. -f 3, -p checksumVerified=true,",
        "                or a pattern that selects benchmarks, e.g. EstablishedSegment ('core -l' lists them,",
        "                'core -h' shows every JMH option)",
        "usage: tandem-bench e2e [--seconds N] [--connections N]   (root)",
        "  e2e           on the demo topology with a real agent: an iperf3 stream and a burst of short connections",
        "                through Tandem and straight to a target, side by side, with Tandem's ratio to direct",
        "Launch with the JVM flags of tandem.jvm.flags in the root pom; JMH forks inherit them.");

    private BenchMain()
    {
    }

    /**
     * @param args the subcommand and its options.
     */
    public static void main(final String[] args)
    {
        System.exit(run(args, System.out, System.err));
    }

    /**
     * Runs a subcommand.
     *
     * @param args the subcommand and its options.
     * @param out  where the summary goes.
     * @param err  where usage and diagnostics go.
     * @return the exit status.
     */
    static int run(final String[] args, final PrintStream out, final PrintStream err)
    {
        if (args.length == 0)
        {
            err.println(USAGE);
            return 2;
        }
        switch (args[0])
        {
            case "core":
                return core(args, out, err);
            case "e2e":
                return e2e(args, out, err);
            case "help", "-h", "--help":
                out.println(USAGE);
                return 0;
            default:
                err.println("tandem-bench: unknown subcommand '" + args[0] + "'");
                err.println(USAGE);
                return 2;
        }
    }

    private static int e2e(final String[] args, final PrintStream out, final PrintStream err)
    {
        int seconds = 5;
        int connections = 2000;
        try
        {
            for (int i = 1; i < args.length; i++)
            {
                switch (args[i])
                {
                    case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                    case "--connections" -> connections = Integer.parseInt(args[++i]);
                    default -> throw new IllegalArgumentException("e2e: unknown option " + args[i]);
                }
            }
            if (seconds < 1 || seconds > 60 || connections < 1 || connections > 100_000)
            {
                throw new IllegalArgumentException("e2e: --seconds 1..60, --connections 1..100000");
            }
        }
        catch (final RuntimeException ex)
        {
            err.println("tandem-bench: " + ex.getMessage());
            err.println(USAGE);
            return 2;
        }
        try
        {
            return new io.tandem.bench.e2e.EndToEndBench(out, seconds, connections).run();
        }
        catch (final Exception ex)
        {
            err.println("tandem-bench e2e: " + ex);
            return 1;
        }
    }

    private static int core(final String[] args, final PrintStream out, final PrintStream err)
    {
        final CoreArguments parsed;
        final CommandLineOptions jmh;
        try
        {
            parsed = CoreArguments.parse(args);
            jmh = new CommandLineOptions(parsed.jmhArguments().toArray(new String[0]));
        }
        catch (final IllegalArgumentException | CommandLineOptionException ex)
        {
            err.println("tandem-bench: " + ex.getMessage());
            err.println(USAGE);
            return 2;
        }
        if (jmh.shouldHelp())
        {
            out.println(USAGE);
            out.println();
            try
            {
                jmh.showHelp();
            }
            catch (final IOException ex)
            {
                err.println("tandem-bench: " + ex.getMessage());
            }
            return 0;
        }

        if (jmh.shouldListProfilers())
        {
            jmh.listProfilers();
            return 0;
        }
        if (jmh.shouldListResultFormats())
        {
            jmh.listResultFormats();
            return 0;
        }
        final Options options = coreOptions(jmh, parsed.quick(), parsed.jsonFile(),
            ManagementFactory.getRuntimeMXBean().getInputArguments(), err);
        if (jmh.shouldList() || jmh.shouldListWithParams())
        {
            new Runner(options).list();
            return 0;
        }
        final Collection<RunResult> results;
        try
        {
            results = new Runner(options).run();
        }
        catch (final RunnerException ex)
        {
            err.println("tandem-bench: JMH failed: " + ex.getMessage());
            ex.printStackTrace(err);
            return 1;
        }
        final CoreSummary summary = new CoreSummary(results);
        summary.print(out, describe(options));
        if (null != parsed.jsonFile())
        {
            out.println("JSON result: " + parsed.jsonFile());
        }
        final boolean unfiltered = jmh.getIncludes().isEmpty() && jmh.getExcludes().isEmpty() &&
            !jmh.getParameter("checksumVerified").hasValue() && !jmh.getParameter("targets").hasValue();
        if (results.isEmpty() || (unfiltered && summary.hasMissingResults()))
        {
            err.println("tandem-bench: FAILED: a benchmark produced no result; see the JMH output above");
            return 1;
        }
        return 0;
    }

    /**
     * The JMH options of a core run: the command line's, on top of the defaults.
     *
     * @param jmh            the JMH command line.
     * @param quick          smoke-test defaults.
     * @param jsonFile       where to write the JSON result, or null.
     * @param hostJvmArgs    this JVM's input arguments, which the forks inherit unless {@code -jvmArgs} is given.
     * @param err            where to note fork flags that had to be added.
     * @return the options.
     */
    static Options coreOptions(
        final CommandLineOptions jmh,
        final boolean quick,
        final String jsonFile,
        final List<String> hostJvmArgs,
        final PrintStream err)
    {
        final ChainedOptionsBuilder builder = new OptionsBuilder().parent(jmh);
        if (jmh.getIncludes().isEmpty())
        {
            builder.include(CORE_INCLUDE);
        }
        if (!jmh.getForkCount().hasValue())
        {
            builder.forks(1);
        }
        if (!jmh.getWarmupIterations().hasValue())
        {
            builder.warmupIterations(quick ? 1 : 3);
        }
        if (!jmh.getWarmupTime().hasValue())
        {
            builder.warmupTime(TimeValue.seconds(quick ? 1 : 2));
        }
        if (!jmh.getMeasurementIterations().hasValue())
        {
            builder.measurementIterations(quick ? 2 : 5);
        }
        if (!jmh.getMeasurementTime().hasValue())
        {
            builder.measurementTime(TimeValue.seconds(quick ? 1 : 2));
        }
        if (!hasGcProfiler(jmh.getProfilers()))
        {
            builder.addProfiler(GCProfiler.class);
        }
        if (null != jsonFile)
        {
            builder.resultFormat(ResultFormatType.JSON).result(jsonFile);
        }

        // JMH forks get -jvmArgs if given, else this JVM's input arguments; either way, plus prepend and append
        final List<String> forkArgs = new ArrayList<>(jmh.getJvmArgs().hasValue() ? jmh.getJvmArgs().get() :
            hostJvmArgs);
        final List<String> append = new ArrayList<>();
        if (jmh.getJvmArgsPrepend().hasValue())
        {
            forkArgs.addAll(jmh.getJvmArgsPrepend().get());
        }
        if (jmh.getJvmArgsAppend().hasValue())
        {
            forkArgs.addAll(jmh.getJvmArgsAppend().get());
            append.addAll(jmh.getJvmArgsAppend().get());
        }
        final List<String> missing = JvmFlags.missingFrom(forkArgs);
        if (!missing.isEmpty())
        {
            err.println("tandem-bench: the forks would run without " + missing + "; appending them (launch with " +
                "the flags of tandem.jvm.flags to silence this)");
            append.addAll(missing);
        }
        if (forkArgs.stream().noneMatch(arg -> arg.startsWith(JMH_UNSAFE_FLAG_PREFIX)))
        {
            // JMH itself (org.openjdk.jmh.util.Utils) calls sun.misc.Unsafe::objectFieldOffset, which JDK 24+ warns
            // about in every fork. Tandem does not use sun.misc.Unsafe (Agrona 2 uses jdk.internal.misc.Unsafe,
            // hence --add-exports), so allowing it changes nothing under test and keeps real warnings visible.
            append.add(JMH_UNSAFE_FLAG);
        }
        if (!append.isEmpty())
        {
            builder.jvmArgsAppend(append.toArray(new String[0]));
        }
        return builder.build();
    }

    private static boolean hasGcProfiler(final List<ProfilerConfig> profilers)
    {
        for (final ProfilerConfig profiler : profilers)
        {
            if ("gc".equals(profiler.getKlass()) || GCProfiler.class.getName().equals(profiler.getKlass()))
            {
                return true;
            }
        }
        return false;
    }

    private static String describe(final Options options)
    {
        return options.getForkCount().orElse(-1) + " fork(s), warmup " + options.getWarmupIterations().orElse(-1) +
            " x " + options.getWarmupTime().orElse(null) + ", measurement " +
            options.getMeasurementIterations().orElse(-1) + " x " + options.getMeasurementTime().orElse(null) +
            ", -prof gc";
    }

    /**
     * The options of {@code core} that are Tandem's rather than JMH's.
     *
     * @param quick        smoke-test defaults.
     * @param jsonFile     JSON result file, or null.
     * @param jmhArguments everything else, for JMH.
     */
    record CoreArguments(boolean quick, String jsonFile, List<String> jmhArguments)
    {
        static CoreArguments parse(final String[] args)
        {
            boolean quick = false;
            String jsonFile = null;
            final List<String> rest = new ArrayList<>();
            for (int i = 1; i < args.length; i++)
            {
                final String arg = args[i];
                if ("--quick".equals(arg))
                {
                    quick = true;
                }
                else if ("--json".equals(arg))
                {
                    if (i + 1 >= args.length || args[i + 1].isEmpty())
                    {
                        throw new IllegalArgumentException("--json needs a file name");
                    }
                    jsonFile = args[++i];
                }
                else if (arg.startsWith("--json="))
                {
                    jsonFile = arg.substring("--json=".length());
                    if (jsonFile.isEmpty())
                    {
                        throw new IllegalArgumentException("--json needs a file name");
                    }
                }
                else
                {
                    rest.add(arg);
                }
            }
            return new CoreArguments(quick, jsonFile, rest);
        }
    }
}
