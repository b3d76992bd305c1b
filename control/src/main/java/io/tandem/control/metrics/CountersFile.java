package io.tandem.control.metrics;

import org.agrona.IoUtil;
import org.agrona.concurrent.UnsafeBuffer;
import org.agrona.concurrent.status.CountersManager;
import org.agrona.concurrent.status.CountersReader;

import java.io.File;
import java.nio.MappedByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The counters file: Agrona counters (metadata and values) in a memory-mapped file, so that the CLI and tests read
 * the data plane's counters without asking the agent, also when the agent is busy or stuck.
 * <pre>
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +---------------------------------------------------------------+
 *  |                    magic "TNDMCNTR" (8 bytes)                 |
 *  +---------------------------------------------------------------+
 *  |                       layout version                          |
 *  +---------------------------------------------------------------+
 *  |                    metadata length (bytes)                    |
 *  +---------------------------------------------------------------+
 *  |                     values length (bytes)                     |
 *  +---------------------------------------------------------------+
 *  |                    agent PID (8 bytes)                        |
 *  +---------------------------------------------------------------+
 *  |               start time, epoch ms (8 bytes)                  |
 *  +---------------------------------------------------------------+
 *  |             ... padding to HEADER_LENGTH (128) ...            |
 *  +---------------------------------------------------------------+
 *  |             metadata: CountersManager.METADATA_LENGTH each    |
 *  +---------------------------------------------------------------+
 *  |             values: CountersManager.COUNTER_LENGTH each       |
 *  +---------------------------------------------------------------+
 * </pre>
 * The agent creates the file anew at start (a stale file of a dead agent is replaced), writes the header last with
 * a release store of the version so that a reader never maps a half-written header.
 */
public final class CountersFile implements AutoCloseable
{
    /** Bytes before the metadata. */
    public static final int HEADER_LENGTH = 128;
    /** Layout version. */
    public static final int VERSION = 1;
    private static final long MAGIC = 0x544E_444D_434E_5452L; // "TNDMCNTR"
    private static final int MAGIC_OFFSET = 0;
    private static final int VERSION_OFFSET = 8;
    private static final int METADATA_LENGTH_OFFSET = 12;
    private static final int VALUES_LENGTH_OFFSET = 16;
    private static final int PID_OFFSET = 24;
    private static final int START_MS_OFFSET = 32;

    private final MappedByteBuffer mapped;
    private final UnsafeBuffer header;
    private final UnsafeBuffer metadata;
    private final UnsafeBuffer values;

    private CountersFile(final MappedByteBuffer mapped, final int metadataLength, final int valuesLength)
    {
        this.mapped = mapped;
        this.header = new UnsafeBuffer(mapped, 0, HEADER_LENGTH);
        this.metadata = new UnsafeBuffer(mapped, HEADER_LENGTH, metadataLength);
        this.values = new UnsafeBuffer(mapped, HEADER_LENGTH + metadataLength, valuesLength);
    }

    /**
     * Creates (or replaces) the file with room for {@code counters} counters.
     *
     * @param path     of the file.
     * @param counters how many counters it can hold.
     * @return the file, mapped.
     */
    public static CountersFile create(final Path path, final int counters)
    {
        final int metadataLength = counters * CountersManager.METADATA_LENGTH;
        final int valuesLength = counters * CountersManager.COUNTER_LENGTH;
        final File file = path.toFile();
        IoUtil.deleteIfExists(file);
        final File parent = file.getAbsoluteFile().getParentFile();
        if (null != parent)
        {
            IoUtil.ensureDirectoryExists(parent, "counters file directory");
        }
        final MappedByteBuffer mapped = IoUtil.mapNewFile(file, HEADER_LENGTH + metadataLength + valuesLength);
        final CountersFile counterFile = new CountersFile(mapped, metadataLength, valuesLength);
        counterFile.header.putLong(MAGIC_OFFSET, MAGIC);
        counterFile.header.putInt(METADATA_LENGTH_OFFSET, metadataLength);
        counterFile.header.putInt(VALUES_LENGTH_OFFSET, valuesLength);
        counterFile.header.putLong(PID_OFFSET, ProcessHandle.current().pid());
        counterFile.header.putLong(START_MS_OFFSET, System.currentTimeMillis());
        counterFile.header.putIntRelease(VERSION_OFFSET, VERSION);
        return counterFile;
    }

    /**
     * Maps an existing file for reading.
     *
     * @param path of the file.
     * @return the file.
     * @throws IllegalStateException when it is missing, not a counters file, or of another layout version.
     */
    public static CountersFile open(final Path path)
    {
        if (!Files.isRegularFile(path))
        {
            throw new IllegalStateException("no counters file at " + path + " (is the agent running?)");
        }
        final MappedByteBuffer mapped = IoUtil.mapExistingFile(path.toFile(), "counters file");
        final UnsafeBuffer header = new UnsafeBuffer(mapped, 0, Math.min(HEADER_LENGTH, mapped.capacity()));
        if (mapped.capacity() < HEADER_LENGTH || header.getLong(MAGIC_OFFSET) != MAGIC)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException(path + " is not a Tandem counters file");
        }
        final int version = header.getIntVolatile(VERSION_OFFSET);
        if (version != VERSION)
        {
            IoUtil.unmap(mapped);
            throw new IllegalStateException(path + " has layout version " + version + ", this tool reads " + VERSION);
        }
        return new CountersFile(mapped, header.getInt(METADATA_LENGTH_OFFSET), header.getInt(VALUES_LENGTH_OFFSET));
    }

    /** @return a manager to allocate counters in; for the agent. */
    public CountersManager manager()
    {
        return new CountersManager(metadata, values);
    }

    /** @return a reader; for the CLI and tests. */
    public CountersReader reader()
    {
        return new CountersReader(metadata, values);
    }

    /** @return the PID of the agent that created the file. */
    public long pid()
    {
        return header.getLong(PID_OFFSET);
    }

    /** @return when the agent created the file, epoch ms. */
    public long startTimeMs()
    {
        return header.getLong(START_MS_OFFSET);
    }

    /**
     * Sums every counter whose label ends with {@code ": " + name} (the same counter of every worker).
     *
     * @param name a {@link io.tandem.dataplane.status.WorkerCounter} label.
     * @return the total.
     */
    public long total(final String name)
    {
        final long[] total = {0};
        final String suffix = ": " + name;
        reader().forEach((counterId, typeId, keyBuffer, label) ->
        {
            if (label.endsWith(suffix))
            {
                total[0] += reader().getCounterValue(counterId);
            }
        });
        return total[0];
    }

    @Override
    public void close()
    {
        IoUtil.unmap(mapped);
    }
}
