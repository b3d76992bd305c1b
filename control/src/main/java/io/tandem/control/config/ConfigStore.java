package io.tandem.control.config;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The load balancer a node serves, persisted in its state directory and changed with optimistic concurrency: every
 * change names the version it was based on, and a change based on any other version is refused with a
 * {@link ConfigStoreConflictException}. The node's own settings are not kept here; they come from the node file.
 *
 * <h2>Versions</h2>
 * The store assigns the {@code version} of the API's {@code LoadBalancer}; a version in a proposed payload is ignored.
 * A version reads {@code <counter>-<hash8>}, e.g. {@code 42-9f86d081}:
 * <ul>
 *     <li>{@code counter} is a decimal count of accepted changes, starting at 0 for the configuration of the node
 *     file and growing by one with every accepted change, including one that changes nothing. Versions are ordered
 *     by it ({@link #counterOf(String)}), which is what replication between a pair of nodes needs.</li>
 *     <li>{@code hash8} is the first 8 hex digits of the SHA-256 of the configuration's canonical JSON
 *     ({@link ConfigWriter}) without its version. It tells two configurations apart that two nodes reached with the
 *     same counter, and it lets {@link #load} check that the persisted content is the content that was accepted.</li>
 * </ul>
 * Clients treat a version as opaque and compare it only for equality.
 *
 * <h2>Persistence</h2>
 * The current configuration lives in {@value #FILE_NAME} in the state directory, as canonical JSON with its version.
 * Until the first change is accepted there is no file, and the node file's {@code loadBalancer} is served with
 * version {@code 0-<hash8>}; once there is a file, it wins over the node file's {@code loadBalancer}, which is only the
 * seed. To go back to the seed, stop the agent and remove the file.
 * <p>
 * A change is written atomically: to a temporary file in the same directory, which is forced to disk, renamed over
 * the target, and then the directory is forced too. A crash of the process or of the machine at any moment therefore
 * leaves either the old or the new file, never a mixture; {@link #load} removes the temporary files such a crash
 * leaves behind. {@link #replace} returns only when the change is durable.
 *
 * <h2>A corrupt file</h2>
 * If the file does not parse, has no store version, or its content does not match its version's hash, {@link #load}
 * refuses with a {@link ConfigStoreException} naming the file, and the agent does not start. It does not fall back to
 * the node file or to an older copy, because:
 * <ul>
 *     <li>atomic writes rule out a torn file from any crash, so corruption means something outside the store's
 *     control (a failing disk, an edit by hand, other software), which needs a person to look;</li>
 *     <li>a fallback would silently undo changes that clients were told had been accepted, and move the version
 *     counter backwards: a client still holding an old version could then succeed, and a peer would see an older
 *     configuration than it already has;</li>
 *     <li>an older copy would sit on the same disk, which is likely to have damaged it too.</li>
 * </ul>
 *
 * <h2>Threads</h2>
 * Thread-safe. {@link #current()} never blocks; changes are serialised by a lock, held while the file is written.
 */
public final class ConfigStore
{
    /** The name of the persisted configuration in the state directory. */
    public static final String FILE_NAME = "loadbalancer.json";

    // Files.createTempFile(dir, PREFIX, SUFFIX) names them loadbalancer.json.<random>.tmp.
    private static final String TEMP_PREFIX = FILE_NAME + ".";
    private static final String TEMP_SUFFIX = ".tmp";
    private static final String TEMP_GLOB = TEMP_PREFIX + "*" + TEMP_SUFFIX;
    private static final Pattern VERSION = Pattern.compile("(0|[1-9][0-9]{0,17})-([0-9a-f]{8})");
    private static final int HASH_HEX_DIGITS = 8;

    private final Path directory;
    private final Path file;
    private final Object lock = new Object();
    private volatile LoadBalancerConfig current;
    // Set when a write failed after its rename: what is on disk is then uncertain, and changes are refused until
    // a restart reads it again. Guarded by lock.
    private ConfigStoreException failure;

    private ConfigStore(final Path directory, final LoadBalancerConfig current)
    {
        this.directory = directory;
        this.file = directory.resolve(FILE_NAME);
        this.current = current;
    }

    /**
     * Opens the store at start: creates the state directory if needed, removes temporary files left by a crash, and
     * reads the persisted configuration; without one, the store serves {@code initial} with version
     * {@code 0-<hash8>} and writes nothing until the first change.
     *
     * @param directory the node's state directory.
     * @param initial   the node file's load balancer, served while nothing has been persisted; its version is
     *                  ignored.
     * @return the store.
     * @throws ConfigStoreException when the persisted file is corrupt (see the class documentation: there is no
     *                              fallback) or the directory cannot be read.
     */
    public static ConfigStore load(final Path directory, final LoadBalancerConfig initial)
    {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(initial, "initial");
        final Path file = directory.resolve(FILE_NAME);
        try
        {
            Files.createDirectories(directory);
            removeTempFiles(directory);
        }
        catch (final IOException ex)
        {
            throw new ConfigStoreException(directory, "cannot prepare the state directory " + directory + ": " + ex,
                ex);
        }
        final byte[] bytes;
        try
        {
            bytes = Files.readAllBytes(file);
        }
        catch (final NoSuchFileException ex)
        {
            return new ConfigStore(directory, initial.withVersion(version(0, initial)));
        }
        catch (final IOException ex)
        {
            throw new ConfigStoreException(file, "cannot read the persisted configuration " + file + ": " + ex, ex);
        }
        return new ConfigStore(directory, read(file, bytes));
    }

    /** @return the current configuration, with its version; never blocks. */
    public LoadBalancerConfig current()
    {
        return current;
    }

    /** @return the current configuration's version. */
    public String currentVersion()
    {
        return current.version();
    }

    /** @return the file the store persists to; it exists once a change has been accepted. */
    public Path file()
    {
        return file;
    }

    /**
     * Replaces the configuration if it is still at {@code expectedVersion}, and returns when the change is durable.
     *
     * @param proposed        the new configuration, validated (from {@link ConfigReader}); its own version is
     *                        ignored.
     * @param expectedVersion the version the change is based on: the current one, or the change is refused.
     * @return the stored configuration, carrying its new version.
     * @throws ConfigStoreConflictException when {@code expectedVersion} is null or not the current version; nothing
     *                                      changed.
     * @throws ConfigException              when the configuration would not read back, e.g. a record built by hand
     *                                      that breaks a rule; nothing changed.
     * @throws ConfigStoreException         when writing failed. If it failed before the rename, nothing changed. If
     *                                      only forcing the directory failed, the new configuration is current but
     *                                      may not survive a crash, and every later change is refused until the
     *                                      agent restarts and reads the file again.
     */
    public LoadBalancerConfig replace(final LoadBalancerConfig proposed, final String expectedVersion)
    {
        Objects.requireNonNull(proposed, "proposed");
        synchronized (lock)
        {
            if (null != failure)
            {
                throw new ConfigStoreException(file, "the configuration store failed earlier and takes no changes " +
                    "until the agent restarts: " + failure.getMessage(), failure);
            }
            final LoadBalancerConfig before = current;
            if (!before.version().equals(expectedVersion))
            {
                throw new ConfigStoreConflictException(expectedVersion, before.version());
            }
            final LoadBalancerConfig next = proposed.withVersion(version(counterOf(before.version()) + 1, proposed));
            persist(next);
            return next;
        }
    }

    /**
     * Takes a configuration the peer node accepted, with the version the peer's store gave it, when it is newer
     * than the current one: a higher counter, or the same counter and a higher hash (two nodes that each accepted a
     * change while apart agree on one of them, the same one on both). Written as {@link #replace} writes.
     *
     * @param replicated the peer's configuration, validated, carrying its store version.
     * @return true when it is now current; false when the current one is as new or newer (nothing is written).
     * @throws IllegalArgumentException when its version is not a store version or does not match its content.
     * @throws ConfigStoreException     as {@link #replace}.
     */
    public boolean adopt(final LoadBalancerConfig replicated)
    {
        Objects.requireNonNull(replicated, "replicated");
        final long counter = counterOf(replicated.version());
        if (!replicated.version().equals(version(counter, replicated)))
        {
            throw new IllegalArgumentException("version " + replicated.version() + " does not match the content " +
                "(hash " + contentHash(replicated) + ")");
        }
        synchronized (lock)
        {
            if (null != failure)
            {
                throw new ConfigStoreException(file, "the configuration store failed earlier and takes no changes " +
                    "until the agent restarts: " + failure.getMessage(), failure);
            }
            if (compareVersions(replicated.version(), current.version()) <= 0)
            {
                return false;
            }
            persist(replicated);
            return true;
        }
    }

    /**
     * @return negative, zero or positive as version {@code a} is older than, equal to or newer than {@code b}: by
     * counter, then by hash, so that two nodes order any two versions the same way.
     */
    public static int compareVersions(final String a, final String b)
    {
        final int byCounter = Long.compare(counterOf(a), counterOf(b));
        return byCounter != 0 ? byCounter : a.substring(a.indexOf('-')).compareTo(b.substring(b.indexOf('-')));
    }

    /** Writes {@code next} atomically and makes it current; the caller holds {@link #lock}. */
    private void persist(final LoadBalancerConfig next)
    {
        {
            final String json = ConfigWriter.toJson(next);
            // Never write what load would refuse: the reader is the judge of what is valid.
            ConfigReader.parseLoadBalancer(json);
            final Path temp = writeTemp(json.getBytes(StandardCharsets.UTF_8));
            try
            {
                // rename(2): the target is replaced in one step, so readers and crashes see old or new.
                Files.move(temp, file, StandardCopyOption.ATOMIC_MOVE);
            }
            catch (final IOException ex)
            {
                deleteQuietly(temp, ex);
                throw new ConfigStoreException(file, "cannot rename " + temp + " to " + file + ": " + ex +
                    "; the configuration is unchanged", ex);
            }
            // From here on the new file is what a reader of the directory sees; memory follows it.
            current = next;
            try
            {
                forceDirectory(directory);
            }
            catch (final IOException ex)
            {
                failure = new ConfigStoreException(file, "wrote " + file + " but cannot force its directory to " +
                    "disk: " + ex + "; version " + next.version() + " is current but may not survive a crash", ex);
                throw failure;
            }
        }
    }

    /**
     * @param version a version the store assigned.
     * @return its counter: the number of changes accepted before it; a higher counter is a later version.
     * @throws IllegalArgumentException when {@code version} is not of the form {@code <counter>-<hash8>}.
     */
    public static long counterOf(final String version)
    {
        final Matcher m = null == version ? null : VERSION.matcher(version);
        if (null == m || !m.matches())
        {
            throw new IllegalArgumentException("not a store version (<counter>-<hash8>): " + version);
        }
        return Long.parseLong(m.group(1));
    }

    /**
     * @param config a configuration; its version is ignored.
     * @return the first {@value #HASH_HEX_DIGITS} hex digits of the SHA-256 of its canonical JSON without version.
     */
    static String contentHash(final LoadBalancerConfig config)
    {
        final byte[] json = ConfigWriter.toJson(config.withVersion(null)).getBytes(StandardCharsets.UTF_8);
        try
        {
            final byte[] digest = MessageDigest.getInstance("SHA-256").digest(json);
            return HexFormat.of().formatHex(digest).substring(0, HASH_HEX_DIGITS);
        }
        catch (final NoSuchAlgorithmException ex)
        {
            // Every Java platform must provide SHA-256.
            throw new IllegalStateException(ex);
        }
    }

    private static String version(final long counter, final LoadBalancerConfig config)
    {
        return counter + "-" + contentHash(config);
    }


    private static LoadBalancerConfig read(final Path file, final byte[] bytes)
    {
        final String advice = ". It was written atomically, so a crash cannot have caused this: suspect the disk or " +
            "an edit by hand. The agent does not fall back to an older configuration; repair or restore the file, " +
            "or remove it to start from the node file's loadBalancer.";
        final LoadBalancerConfig config;
        try
        {
            final String json = StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
            config = ConfigReader.parseLoadBalancer(json);
        }
        catch (final CharacterCodingException ex)
        {
            throw new ConfigStoreException(file, "the persisted configuration " + file + " is not UTF-8" + advice,
                ex);
        }
        catch (final ConfigException ex)
        {
            throw new ConfigStoreException(file, "the persisted configuration " + file + " is corrupt: " +
                ex.getMessage() + "\n" + advice.substring(2), ex);
        }
        final Matcher m = null == config.version() ? null : VERSION.matcher(config.version());
        if (null == m || !m.matches())
        {
            throw new ConfigStoreException(file, "the persisted configuration " + file + " has no store version " +
                "(<counter>-<hash8>) but " + config.version() + advice, null);
        }
        final String hash = contentHash(config);
        if (!hash.equals(m.group(2)))
        {
            throw new ConfigStoreException(file, "the persisted configuration " + file + " does not match its " +
                "version " + config.version() + ": its content hashes to " + hash + advice, null);
        }
        return config;
    }

    private Path writeTemp(final byte[] bytes)
    {
        final Path temp;
        try
        {
            temp = Files.createTempFile(directory, TEMP_PREFIX, TEMP_SUFFIX);
        }
        catch (final IOException ex)
        {
            throw new ConfigStoreException(directory, "cannot create a temporary file in " + directory + ": " + ex +
                "; the configuration is unchanged", ex);
        }
        try (FileChannel channel = FileChannel.open(temp, StandardOpenOption.WRITE))
        {
            final ByteBuffer buffer = ByteBuffer.wrap(bytes);
            while (buffer.hasRemaining())
            {
                channel.write(buffer);
            }
            // The data must be on disk before the rename makes it the target, or a power cut could leave the new
            // name pointing at an empty file (the ext4 delayed-allocation lesson).
            channel.force(true);
        }
        catch (final IOException ex)
        {
            deleteQuietly(temp, ex);
            throw new ConfigStoreException(temp, "cannot write " + temp + ": " + ex +
                "; the configuration is unchanged", ex);
        }
        return temp;
    }

    private static void forceDirectory(final Path directory) throws IOException
    {
        // fsync(2) on the directory makes the rename itself durable.
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ))
        {
            channel.force(true);
        }
    }

    private static void removeTempFiles(final Path directory) throws IOException
    {
        try (DirectoryStream<Path> temps = Files.newDirectoryStream(directory, TEMP_GLOB))
        {
            for (final Path temp : temps)
            {
                Files.deleteIfExists(temp);
            }
        }
    }

    private static void deleteQuietly(final Path temp, final Exception failure)
    {
        try
        {
            Files.deleteIfExists(temp);
        }
        catch (final IOException ex)
        {
            // load removes it at the next start.
            failure.addSuppressed(ex);
        }
    }
}
