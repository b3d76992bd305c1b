package io.tandem.control.demo;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * A temporary directory for one run of the demo or a benchmark: the node's configuration file, counters file and
 * state directory live in it, and it is removed with everything inside when the run ends.
 */
public final class RunDirectory implements AutoCloseable
{
    private final Path path;

    private RunDirectory(final Path path)
    {
        this.path = path;
    }

    /**
     * @param prefix of the directory's name.
     * @return a new, empty directory under the system's temporary directory.
     */
    public static RunDirectory create(final String prefix) throws IOException
    {
        return new RunDirectory(Files.createTempDirectory(prefix));
    }

    /** @return the directory. */
    public Path path()
    {
        return path;
    }

    /** @return a path inside the directory. */
    public Path resolve(final String name)
    {
        return path.resolve(name);
    }

    /** Removes the directory and everything in it. */
    @Override
    public void close() throws IOException
    {
        if (!Files.exists(path))
        {
            return;
        }
        try (Stream<Path> paths = Files.walk(path))
        {
            for (final Path p : paths.sorted(Comparator.reverseOrder()).toList())
            {
                Files.deleteIfExists(p);
            }
        }
    }
}
