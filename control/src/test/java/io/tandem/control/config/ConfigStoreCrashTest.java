package io.tandem.control.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Kills a process that is writing the store, with SIGKILL at random moments, and checks that the store always opens
 * again on a configuration that was accepted: the last one the writer reported, or the one it was writing when it was
 * killed if its rename had already happened. This covers a crash of the process, not a power cut: the page cache
 * survives SIGKILL, so the fsyncs are not put to the test here.
 */
class ConfigStoreCrashTest
{
    private static final int KILLS = 20;
    private static final int MIN_DELAY_MS = 50;
    private static final int MAX_DELAY_MS = 400;

    @TempDir
    Path dir;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void shouldOpenOnAnAcceptedConfigurationAfterAKillAtAnyMoment() throws Exception
    {
        final Path state = dir.resolve("state");
        final long seed = System.nanoTime();
        final Random random = new Random(seed);
        final List<String> found = new ArrayList<>();
        int tempFilesLeft = 0;
        int killedAfterRename = 0;
        long previousCounter = 0;

        for (int kill = 0; kill < KILLS; kill++)
        {
            final Writer writer = Writer.start(state, dir.resolve("writer-" + kill + ".err"));
            final int delayMs = MIN_DELAY_MS + random.nextInt(MAX_DELAY_MS - MIN_DELAY_MS + 1);
            Thread.sleep(delayMs);
            writer.kill();

            final String lastReported = writer.lastVersion();
            final int temps = countTempFiles(state);
            tempFilesLeft += temps;

            final ConfigStore store = ConfigStore.load(state, ConfigStoreCrashWriter.base());

            assertEquals(0, countTempFiles(state), "temporary files after load");
            final LoadBalancerConfig config = store.current();
            final long counter = ConfigStore.counterOf(config.version());
            final long reported = ConfigStore.counterOf(lastReported);
            assertSelfConsistent(config, counter);
            // Durable once reported; at most the one change in flight beyond it.
            assertTrue(counter == reported || counter == reported + 1,
                "kill " + kill + ": found " + config.version() + ", the writer last reported " + lastReported);
            assertTrue(counter >= previousCounter, "the version went backwards");
            if (counter == reported + 1)
            {
                killedAfterRename++;
            }
            previousCounter = counter;
            found.add(config.version() + " (reported " + reported + ", " + writer.accepted() + " writes in " +
                delayMs + " ms, " + temps + " temp file" + (temps == 1 ? "" : "s") + ")");
        }

        System.out.println("crash test, seed " + seed + ": " + KILLS + " kills with SIGKILL, " + previousCounter +
            " changes accepted in all, " + tempFilesLeft + " temporary files left by kills and removed at load, " +
            killedAfterRename + " kills between a rename and its report");
        found.forEach(v -> System.out.println("  found " + v));
        assertTrue(previousCounter > KILLS, "the writer wrote too little to test anything: " + previousCounter);
    }

    private static void assertSelfConsistent(final LoadBalancerConfig config, final long counter)
    {
        if (counter == 0)
        {
            assertEquals(ConfigStoreCrashWriter.base().labels(), config.labels());
            return;
        }
        assertEquals(Long.toString(counter), config.labels().get(ConfigStoreCrashWriter.SEQ), config.version());
        assertEquals(Long.toHexString(counter), config.labels().get(ConfigStoreCrashWriter.SEQ_HEX), config.version());
        assertEquals(ConfigStoreCrashWriter.port(counter), config.listeners().getFirst().port(), config.version());
        // The whole configuration, not just the numbers: nothing else changed on the way to disk and back.
        assertEquals(ConfigStoreCrashWriter.numbered(ConfigStoreCrashWriter.base(), counter),
            ConfigStoreCrashWriter.withoutVersion(config));
    }

    private static int countTempFiles(final Path state) throws IOException
    {
        int count = 0;
        try (DirectoryStream<Path> files = Files.newDirectoryStream(state, "*.tmp"))
        {
            for (final Path ignored : files)
            {
                count++;
            }
        }
        return count;
    }

    /** A {@link ConfigStoreCrashWriter} in a child JVM on this JVM's class path, and the versions it reports. */
    private static final class Writer
    {
        private final Process process;
        private final Path stderr;
        private final CountDownLatch ready = new CountDownLatch(1);
        private final AtomicReference<String> lastVersion = new AtomicReference<>();
        private final AtomicLong accepted = new AtomicLong();
        private final Thread reader;

        private Writer(final Process process, final Path stderr)
        {
            this.process = process;
            this.stderr = stderr;
            this.reader = Thread.ofPlatform().daemon().start(this::read);
        }

        static Writer start(final Path state, final Path stderr) throws Exception
        {
            final String java = ProcessHandle.current().info().command().orElseThrow();
            final Process process = new ProcessBuilder(java, "-cp", System.getProperty("java.class.path"),
                ConfigStoreCrashWriter.class.getName(), state.toString())
                .redirectError(stderr.toFile())
                .start();
            final Writer writer = new Writer(process, stderr);
            if (!writer.ready.await(60, TimeUnit.SECONDS) || !process.isAlive())
            {
                process.destroyForcibly().waitFor();
                fail("the writer did not start: " + Files.readString(stderr));
            }
            return writer;
        }

        void kill() throws Exception
        {
            if (!process.isAlive())
            {
                fail("the writer died before it was killed: " + Files.readString(stderr));
            }
            process.toHandle().destroyForcibly();
            assertTrue(process.waitFor(30, TimeUnit.SECONDS), "the writer did not die");
            // SIGKILL closes the pipe, so the reader reaches the end and has seen every line written.
            reader.join(TimeUnit.SECONDS.toMillis(30));
        }

        String lastVersion()
        {
            return lastVersion.get();
        }

        long accepted()
        {
            return accepted.get();
        }

        private void read()
        {
            try (BufferedReader in = new BufferedReader(
                new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8)))
            {
                String line;
                while (null != (line = in.readLine()))
                {
                    // A line cut short by the kill matches neither form and is ignored.
                    if (line.startsWith("ready ") && isVersion(line.substring(6)))
                    {
                        lastVersion.set(line.substring(6));
                        ready.countDown();
                    }
                    else if (line.startsWith("accepted ") && isVersion(line.substring(9)))
                    {
                        lastVersion.set(line.substring(9));
                        accepted.incrementAndGet();
                    }
                }
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException(ex);
            }
        }

        private static boolean isVersion(final String text)
        {
            try
            {
                ConfigStore.counterOf(text);
                return true;
            }
            catch (final IllegalArgumentException ex)
            {
                return false;
            }
        }
    }
}
