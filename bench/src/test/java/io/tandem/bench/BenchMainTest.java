package io.tandem.bench;

import org.junit.jupiter.api.Test;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.options.CommandLineOptions;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.TimeValue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class BenchMainTest
{
    private static final List<String> HOST_FLAGS = JvmFlags.REQUIRED;

    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(outBytes, true, StandardCharsets.UTF_8);
    private final PrintStream err = new PrintStream(errBytes, true, StandardCharsets.UTF_8);

    private Options options(final List<String> hostArgs, final String... args) throws Exception
    {
        final BenchMain.CoreArguments parsed = BenchMain.CoreArguments.parse(args);
        return BenchMain.coreOptions(new CommandLineOptions(parsed.jmhArguments().toArray(new String[0])),
            parsed.quick(), parsed.jsonFile(), hostArgs, err);
    }

    @Test
    void shouldPrintUsageAndExitWithTwoOnAnUnknownSubcommand()
    {
        assertEquals(2, BenchMain.run(new String[]{"frobnicate"}, out, err));
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("usage: tandem-bench core"));
        assertEquals(2, BenchMain.run(new String[0], out, err));
    }

    @Test
    void shouldRejectJsonWithoutAFile()
    {
        assertEquals(2, BenchMain.run(new String[]{"core", "--json"}, out, err));
        assertEquals(2, BenchMain.run(new String[]{"core", "-not-a-jmh-option"}, out, err));
    }

    @Test
    void shouldRunTheCoreBenchmarksWithDefaultsThatFitInSixMinutes() throws Exception
    {
        final Options options = options(HOST_FLAGS, "core");
        assertEquals(List.of(BenchMain.CORE_INCLUDE), options.getIncludes());
        assertEquals(1, options.getForkCount().get());
        assertEquals(3, options.getWarmupIterations().get());
        assertEquals(TimeValue.seconds(2), options.getWarmupTime().get());
        assertEquals(5, options.getMeasurementIterations().get());
        assertEquals(TimeValue.seconds(2), options.getMeasurementTime().get());
        assertEquals(1, options.getProfilers().stream().filter(p -> p.getKlass().contains("GCProfiler")).count());
        assertFalse(options.getResult().hasValue());
    }

    @Test
    void shouldUseQuickDefaultsAndLetJmhArgumentsOverrideThem() throws Exception
    {
        final Options quick = options(HOST_FLAGS, "core", "--quick");
        assertEquals(1, quick.getWarmupIterations().get());
        assertEquals(TimeValue.seconds(1), quick.getWarmupTime().get());
        assertEquals(2, quick.getMeasurementIterations().get());

        final Options overridden = options(HOST_FLAGS, "core", "--quick", "-f", "3", "-i", "7", "-prof", "gc",
            "EstablishedSegment");
        assertEquals(3, overridden.getForkCount().get());
        assertEquals(7, overridden.getMeasurementIterations().get());
        assertEquals(1, overridden.getProfilers().size());
        assertEquals(List.of("EstablishedSegment"), overridden.getIncludes());
    }

    @Test
    void shouldWriteJsonWhenAsked() throws Exception
    {
        final Options options = options(HOST_FLAGS, "core", "--json", "out/core.json");
        assertEquals(ResultFormatType.JSON, options.getResultFormat().get());
        assertEquals("out/core.json", options.getResult().get());
    }

    @Test
    void shouldAppendTheTandemFlagsTheForksWouldLack() throws Exception
    {
        final Options inherited = options(HOST_FLAGS, "core");
        assertEquals(List.of("--sun-misc-unsafe-memory-access=allow"),
            new ArrayList<>(inherited.getJvmArgsAppend().get()));

        final Options bare = options(List.of("-Xmx1g"), "core");
        final List<String> append = new ArrayList<>(bare.getJvmArgsAppend().get());
        assertTrue(append.containsAll(JvmFlags.REQUIRED), append.toString());
        assertTrue(errBytes.toString(StandardCharsets.UTF_8).contains("appending them"));

        final Options replaced = options(HOST_FLAGS, "core", "-jvmArgs", "-Xmx1g");
        assertTrue(new ArrayList<>(replaced.getJvmArgsAppend().get()).containsAll(JvmFlags.REQUIRED));
    }

    @Test
    void shouldRecogniseTheFlagsInEitherLauncherForm()
    {
        assertEquals(List.of(), JvmFlags.missingFrom(List.of(
            "--enable-native-access ALL-UNNAMED --add-exports java.base/jdk.internal.misc=ALL-UNNAMED",
            "-XX:+EnableDynamicAgentLoading")));
        assertEquals(List.of("-XX:+EnableDynamicAgentLoading"), JvmFlags.missingFrom(List.of(
            "--enable-native-access=ALL-UNNAMED", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED")));
    }
}
