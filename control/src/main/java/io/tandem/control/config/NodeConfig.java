package io.tandem.control.config;

import io.tandem.dataplane.packet.Bytes;

import java.nio.file.Path;
import java.util.Objects;

/**
 * The settings of one node that the STACKIT resource model has no place for: the interface packets arrive on, the
 * address connections to targets leave from, the number of workers and where the agent keeps its files. Immutable.
 *
 * @param dataInterface  name of the data interface, e.g. {@code eth1}.
 * @param snatAddress    the SNAT address as dotted quad; connections to targets come from it.
 * @param workers        number of forwarding workers, {@value #MIN_WORKERS}..{@value #MAX_WORKERS}.
 * @param adminSocket    absolute path of the admin socket.
 * @param stateDirectory absolute path of the directory the agent persists its state in.
 * @param countersFile   absolute path of the memory-mapped counters file.
 * @param maxConnections the node's own cap on concurrent connections, {@link #NO_LIMIT} for none; the plan's cap
 *                       applies whenever it is the lower (see {@link #connectionLimit(int)}).
 * @param pair           the node's part in an appliance pair, or null for a standalone node.
 */
public record NodeConfig(
    String dataInterface,
    String snatAddress,
    int workers,
    Path adminSocket,
    Path stateDirectory,
    Path countersFile,
    int maxConnections,
    PairConfig pair)
{
    /** {@link #maxConnections()} when the node sets no cap of its own. */
    public static final int NO_LIMIT = 0;

    /** Fewest workers. */
    public static final int MIN_WORKERS = 1;
    /** Most workers. */
    public static final int MAX_WORKERS = 64;
    /** Workers when the file names none. */
    public static final int DEFAULT_WORKERS = 1;
    /** Admin socket when the file names none. */
    public static final Path DEFAULT_ADMIN_SOCKET = Path.of("/run/tandem/admin.sock");
    /** State directory when the file names none. */
    public static final Path DEFAULT_STATE_DIRECTORY = Path.of("/var/lib/tandem");
    /** Counters file when the file names none. */
    public static final Path DEFAULT_COUNTERS_FILE = Path.of("/dev/shm/tandem-counters");

    /**
     * @param dataInterface  name of the data interface.
     * @param snatAddress    the SNAT address.
     * @param workers        number of forwarding workers.
     * @param adminSocket    path of the admin socket.
     * @param stateDirectory path of the state directory.
     * @param countersFile   path of the counters file.
     * @param maxConnections the node's own cap, or {@link #NO_LIMIT}.
     * @param pair           the pair, or null.
     */
    public NodeConfig
    {
        Objects.requireNonNull(dataInterface, "dataInterface");
        Objects.requireNonNull(snatAddress, "snatAddress");
        Objects.requireNonNull(adminSocket, "adminSocket");
        Objects.requireNonNull(stateDirectory, "stateDirectory");
        Objects.requireNonNull(countersFile, "countersFile");
    }

    /**
     * A standalone node.
     */
    public NodeConfig(
        final String dataInterface,
        final String snatAddress,
        final int workers,
        final Path adminSocket,
        final Path stateDirectory,
        final Path countersFile,
        final int maxConnections)
    {
        this(dataInterface, snatAddress, workers, adminSocket, stateDirectory, countersFile, maxConnections, null);
    }

    /**
     * A standalone node without a cap of its own, as most files describe it.
     */
    public NodeConfig(
        final String dataInterface,
        final String snatAddress,
        final int workers,
        final Path adminSocket,
        final Path stateDirectory,
        final Path countersFile)
    {
        this(dataInterface, snatAddress, workers, adminSocket, stateDirectory, countersFile, NO_LIMIT);
    }

    /**
     * @param planMaxConnections the load balancer's plan's cap.
     * @return the cap in force: the lower of the plan's and the node's own.
     */
    public int connectionLimit(final int planMaxConnections)
    {
        return maxConnections == NO_LIMIT ? planMaxConnections : Math.min(maxConnections, planMaxConnections);
    }

    /** @return the SNAT address as an int, as {@link Bytes#parseIpv4(String)} reads it. */
    public int snatIp()
    {
        return Bytes.parseIpv4(snatAddress);
    }
}
