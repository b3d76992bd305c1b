package io.tandem.control.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

import static io.tandem.control.config.ConfigStoreCrashWriter.base;
import static io.tandem.control.config.ConfigStoreCrashWriter.numbered;
import static io.tandem.control.config.ConfigStoreCrashWriter.withoutVersion;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ConfigStoreTest
{
    @TempDir
    Path dir;

    @Test
    void shouldServeTheInitialConfigurationAtVersionZeroWithoutWritingAFile()
    {
        final ConfigStore store = ConfigStore.load(dir, base());

        assertEquals(0, ConfigStore.counterOf(store.currentVersion()));
        assertEquals("0-" + ConfigStore.contentHash(base()), store.currentVersion());
        assertEquals(withoutVersion(base()), withoutVersion(store.current()));
        assertFalse(Files.exists(store.file()));
    }

    @Test
    void shouldAcceptAChangeBasedOnTheCurrentVersionAndBumpTheVersion() throws IOException
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final String v0 = store.currentVersion();

        final LoadBalancerConfig stored = store.replace(numbered(base(), 1), v0);

        assertEquals(1, ConfigStore.counterOf(stored.version()));
        assertEquals("1-" + ConfigStore.contentHash(numbered(base(), 1)), stored.version());
        assertSame(stored, store.current());
        assertEquals(withoutVersion(numbered(base(), 1)), withoutVersion(stored));
        assertEquals(ConfigWriter.toJson(stored), Files.readString(store.file()));

        final LoadBalancerConfig again = store.replace(numbered(base(), 2), stored.version());
        assertEquals(2, ConfigStore.counterOf(again.version()));
    }

    @Test
    void shouldBumpTheVersionEvenWhenTheContentIsTheSame()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final String v1 = store.replace(base(), store.currentVersion()).version();
        final String v2 = store.replace(base(), v1).version();

        assertNotEquals(v1, v2);
        assertEquals(v1.substring(v1.indexOf('-')), v2.substring(v2.indexOf('-')));
    }

    @Test
    void shouldIgnoreTheVersionInTheProposedPayload()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final LoadBalancerConfig proposed = base(); // carries "lb-7" from the example file
        assertEquals("lb-7", proposed.version());

        assertEquals(1, ConfigStore.counterOf(store.replace(proposed, store.currentVersion()).version()));
    }

    @Test
    void shouldRefuseAStaleVersionAndChangeNothing() throws IOException
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final String v0 = store.currentVersion();
        final LoadBalancerConfig v1 = store.replace(numbered(base(), 1), v0);
        final byte[] fileBefore = Files.readAllBytes(store.file());

        final ConfigStoreConflictException ex =
            assertThrows(ConfigStoreConflictException.class, () -> store.replace(numbered(base(), 99), v0));

        assertEquals(v0, ex.expectedVersion());
        assertEquals(v1.version(), ex.currentVersion());
        assertTrue(ex.getMessage().contains(v1.version()), ex.getMessage());
        assertSame(v1, store.current());
        assertArrayEquals(fileBefore, Files.readAllBytes(store.file()));
        assertEquals(List.of(store.file()), listDirectory());
    }

    @Test
    void shouldRefuseAChangeWithoutVersionOrWithAForeignOne()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final String v0 = store.currentVersion();

        assertEquals(v0, assertThrows(ConfigStoreConflictException.class,
            () -> store.replace(numbered(base(), 1), null)).currentVersion());
        assertThrows(ConfigStoreConflictException.class, () -> store.replace(numbered(base(), 1), "lb-7"));
        assertThrows(ConfigStoreConflictException.class, () -> store.replace(numbered(base(), 1), "1" + v0));
        assertEquals(v0, store.currentVersion());
        assertFalse(Files.exists(store.file()));
    }

    @Test
    void shouldRefuseAConfigurationThatWouldNotReadBack()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final LoadBalancerConfig b = base();
        final LoadBalancerConfig invalid = new LoadBalancerConfig("Not A Name", b.externalAddress(), b.listeners(),
            b.targetPools(), b.allowedSourceRanges(), b.plan(), b.labels(), null);

        assertThrows(ConfigException.class, () -> store.replace(invalid, store.currentVersion()));
        assertEquals(0, ConfigStore.counterOf(store.currentVersion()));
        assertEquals(List.of(), listDirectory());
    }

    @Test
    void shouldLetExactlyOneChangeWinPerVersionUnderConcurrentReplaces() throws Exception
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final int threads = 8;
        final int attemptsPerThread = 25;
        final Map<String, List<String>> winnersByBase = new ConcurrentHashMap<>();
        final AtomicInteger conflicts = new AtomicInteger();
        final CountDownLatch start = new CountDownLatch(1);
        final ExecutorService pool = Executors.newFixedThreadPool(threads);
        try
        {
            final List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++)
            {
                final int thread = t;
                futures.add(pool.submit(() ->
                {
                    start.await();
                    for (int i = 0; i < attemptsPerThread; i++)
                    {
                        final String seen = store.currentVersion();
                        try
                        {
                            final String won = store.replace(numbered(base(), thread * 1000L + i), seen).version();
                            winnersByBase.computeIfAbsent(seen, k -> new CopyOnWriteArrayList<>())
                                .add(won);
                        }
                        catch (final ConfigStoreConflictException ex)
                        {
                            conflicts.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (final Future<?> future : futures)
            {
                future.get();
            }
        }
        finally
        {
            pool.shutdownNow();
        }

        final int wins = winnersByBase.values().stream().mapToInt(List::size).sum();
        System.out.println("concurrent replaces: " + wins + " won, " + conflicts.get() + " refused as stale");
        assertEquals(threads * attemptsPerThread, wins + conflicts.get());
        winnersByBase.forEach((seen, won) -> assertEquals(1, won.size(), "winners based on " + seen + ": " + won));
        // Every accepted change was based on the one before: the versions form an unbroken chain 0, 1, ..., wins.
        for (final Map.Entry<String, List<String>> e : winnersByBase.entrySet())
        {
            assertEquals(ConfigStore.counterOf(e.getKey()) + 1, ConfigStore.counterOf(e.getValue().getFirst()));
        }
        assertEquals(wins, ConfigStore.counterOf(store.currentVersion()));
        assertEquals(store.current(), ConfigStore.load(dir, base()).current());
    }

    @Test
    void shouldReloadTheLastAcceptedConfiguration()
    {
        final ConfigStore first = ConfigStore.load(dir, base());
        String version = first.currentVersion();
        for (int n = 1; n <= 3; n++)
        {
            version = first.replace(numbered(base(), n), version).version();
        }

        final ConfigStore second = ConfigStore.load(dir, numbered(base(), 77));

        assertEquals(first.current(), second.current());
        assertEquals(version, second.currentVersion());
        assertEquals("3", second.current().labels().get(ConfigStoreCrashWriter.SEQ));
        // And it goes on from there.
        assertEquals(4, ConfigStore.counterOf(second.replace(numbered(base(), 4), version).version()));
    }

    @Test
    void shouldCreateTheStateDirectoryAndRemoveLeftoverTempFilesAtLoad() throws IOException
    {
        final Path state = dir.resolve("var/lib/tandem");
        final ConfigStore store = ConfigStore.load(state, base());
        store.replace(numbered(base(), 1), store.currentVersion());
        Files.writeString(state.resolve("loadbalancer.json.12345.tmp"), "{\"name\": \"half");
        Files.writeString(state.resolve("loadbalancer.json.678.tmp"), "");
        Files.writeString(state.resolve("unrelated.tmp"), "kept");

        final ConfigStore reloaded = ConfigStore.load(state, base());

        assertEquals(store.current(), reloaded.current());
        try (var files = Files.list(state))
        {
            assertEquals(List.of("loadbalancer.json", "unrelated.tmp"),
                files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void shouldRefuseATruncatedFileNamingItAndLeaveItInPlace() throws IOException
    {
        final Path file = persistOne();
        final byte[] whole = Files.readAllBytes(file);
        Files.write(file, Arrays.copyOf(whole, whole.length / 2));

        final ConfigStoreException ex = assertThrows(ConfigStoreException.class, () -> ConfigStore.load(dir, base()));

        assertEquals(file, ex.file());
        assertTrue(ex.getMessage().contains(file.toString()), ex.getMessage());
        assertTrue(ex.getMessage().contains("corrupt"), ex.getMessage());
        assertTrue(ex.getMessage().contains("does not fall back"), ex.getMessage());
        assertTrue(ex.getCause() instanceof ConfigException);
        assertEquals(whole.length / 2, Files.size(file));
    }

    @Test
    void shouldRefuseAnEmptyFileAndOneThatIsNotUtf8() throws IOException
    {
        final Path file = persistOne();
        Files.write(file, new byte[0]);
        assertEquals(file, assertThrows(ConfigStoreException.class, () -> ConfigStore.load(dir, base())).file());

        Files.write(file, new byte[] {'{', (byte)0xC3, '}'});
        final ConfigStoreException ex = assertThrows(ConfigStoreException.class, () -> ConfigStore.load(dir, base()));
        assertTrue(ex.getMessage().contains("not UTF-8"), ex.getMessage());
    }

    @Test
    void shouldRefuseAFileWhoseContentDoesNotMatchItsVersion() throws IOException
    {
        // Still valid JSON and a valid configuration, but not what was accepted: one target's address changed.
        final Path file = persistOne();
        final String json = Files.readString(file);
        assertTrue(json.contains("198.18.2.22"));
        Files.writeString(file, json.replace("198.18.2.22", "198.18.2.23"));

        final ConfigStoreException ex = assertThrows(ConfigStoreException.class, () -> ConfigStore.load(dir, base()));

        assertEquals(file, ex.file());
        assertTrue(ex.getMessage().contains("does not match its version"), ex.getMessage());
    }

    @Test
    void shouldRefuseAFileWithoutAStoreVersion() throws IOException
    {
        final Path file = persistOne();
        Files.writeString(file, ConfigWriter.toJson(base())); // version "lb-7", as the API might carry

        final ConfigStoreException ex = assertThrows(ConfigStoreException.class, () -> ConfigStore.load(dir, base()));

        assertTrue(ex.getMessage().contains("has no store version"), ex.getMessage());
    }

    @Test
    void shouldReadOnlyVersionsOfTheStoreForm()
    {
        assertEquals(0, ConfigStore.counterOf("0-0123abcd"));
        assertEquals(42, ConfigStore.counterOf("42-9f86d081"));
        for (final String bad : new String[] {null, "", "lb-7", "01-0123abcd", "1-0123ABCD", "1-0123abc", "-1-0123abcd",
            "1-0123abcd\n", "1234567890123456789-0123abcd"})
        {
            assertThrows(IllegalArgumentException.class, () -> ConfigStore.counterOf(bad), String.valueOf(bad));
        }
    }

    private Path persistOne()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        store.replace(numbered(base(), 1), store.currentVersion());
        return store.file();
    }

    private List<Path> listDirectory()
    {
        try (var files = Files.list(dir))
        {
            return files.toList();
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    @Test
    void shouldAdoptThePeersNewerConfigurationWithItsVersionAndPersistIt() throws IOException
    {
        final Path peerDir = Files.createDirectory(dir.resolve("peer"));
        final ConfigStore peer = ConfigStore.load(peerDir, base());
        final LoadBalancerConfig peers = peer.replace(numbered(base(), 1), peer.currentVersion());
        final ConfigStore store = ConfigStore.load(Files.createDirectory(dir.resolve("self")), base());

        assertTrue(store.adopt(peers));
        assertEquals(peers.version(), store.currentVersion());
        assertEquals(ConfigWriter.toJson(peers), Files.readString(store.file()));
        assertEquals(peers.version(), ConfigStore.load(store.file().getParent(), base()).currentVersion(),
            "survives a restart");

        assertFalse(store.adopt(peers), "the same version again changes nothing");
        final LoadBalancerConfig local = store.replace(numbered(base(), 2), store.currentVersion());
        assertFalse(store.adopt(peers), "an older one neither");
        assertEquals(local.version(), store.currentVersion());
    }

    @Test
    void shouldOrderTwoChangesMadeApartTheSameWayOnBothNodes()
    {
        final ConfigStore a = ConfigStore.load(dir.resolve("a"), base());
        final ConfigStore b = ConfigStore.load(dir.resolve("b"), base());
        dir.resolve("a").toFile().mkdirs();
        dir.resolve("b").toFile().mkdirs();
        final LoadBalancerConfig fromA = a.replace(numbered(base(), 3), a.currentVersion());
        final LoadBalancerConfig fromB = b.replace(numbered(base(), 4), b.currentVersion());
        assertNotEquals(fromA.version(), fromB.version());

        final boolean aTakesB = a.adopt(fromB);
        final boolean bTakesA = b.adopt(fromA);
        assertTrue(aTakesB ^ bTakesA, "exactly one of them gives way");
        assertEquals(a.currentVersion(), b.currentVersion());
    }

    @Test
    void shouldRefuseAReplicatedConfigurationWhoseVersionDoesNotMatchItsContent()
    {
        final ConfigStore store = ConfigStore.load(dir, base());
        final LoadBalancerConfig forged = numbered(base(), 1).withVersion("9-00000000");
        assertThrows(IllegalArgumentException.class, () -> store.adopt(forged));
        assertEquals(0, ConfigStore.counterOf(store.currentVersion()));
    }
}
