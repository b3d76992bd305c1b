package io.tandem.control.admin;

import io.tandem.control.agent.EventLog;
import io.tandem.control.config.NodeConfig;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.unixdomain.server.UnixDomainServerConnector;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;

/**
 * The admin socket: HTTP/1.1 and JSON on a Unix domain socket, served by Jetty, answering for an
 * {@link AdminBackend}. {@code curl --unix-socket /run/tandem/admin.sock http://localhost/v2/status} works.
 * <p>
 * The socket file gets mode 0660 and the admin group ({@code tandem}); when the group does not exist it stays
 * {@code root:root} 0660 and the agent logs why, so only root can connect. Independently of the file's mode every
 * connection's peer is checked with {@code SO_PEERCRED} ({@link PeerPolicy}); a peer that is neither root nor in the
 * group gets 403. That also covers the moment between {@code bind(2)} and {@code chmod(2)}, when the file has the
 * mode of the process's umask.
 * <p>
 * Slow, malformed or oversized requests cannot starve others or the data plane: Jetty reads with a selector and
 * holds no thread while a request trickles in; an idle connection is closed after {@link Context#idleTimeoutMs};
 * headers are capped at {@link #MAX_HEADER_BYTES}, bodies at {@link Context#maxBodyBytes}; handlers run on a
 * bounded pool of {@link Context#maxThreads} threads with a bounded queue. The forwarding workers never wait on it.
 */
public final class AdminServer implements AutoCloseable
{
    /** Most bytes of a request line and its headers; more gets 431. */
    public static final int MAX_HEADER_BYTES = 16 * 1024;
    /** The mode of the socket file. */
    public static final String SOCKET_MODE = "rw-rw----";
    /** The mode of the socket's directory when the server creates it: traversable, so that the file's mode rules. */
    public static final String DIRECTORY_MODE = "rwxr-xr-x";

    private static final int S_IFMT = 0170000;
    private static final int S_IFSOCK = 0140000;

    private final Server server;
    private final Path socketPath;
    private final EventLog log;

    private AdminServer(final Server server, final Path socketPath, final EventLog log)
    {
        this.server = server;
        this.socketPath = socketPath;
        this.log = log;
    }

    /**
     * Binds the socket and starts serving.
     *
     * @param context the settings; concluded here.
     * @return the running server.
     * @throws IllegalStateException when another process serves the socket path, or it is not a socket.
     * @throws UncheckedIOException  when the socket cannot be set up.
     */
    public static AdminServer start(final Context context)
    {
        context.conclude();
        final Path path = context.socketPath;
        prepare(path, context.log);

        final QueuedThreadPool threads = new QueuedThreadPool(context.maxThreads, Math.min(2, context.maxThreads),
            60_000, 0, new ArrayBlockingQueue<>(context.queueCapacity),
            null);
        threads.setName("tandem-admin");
        threads.setDaemon(true);
        final Server server = new Server(threads);
        server.setStopAtShutdown(false);
        server.setStopTimeout(2_000);

        final HttpConfiguration http = new HttpConfiguration();
        http.setRequestHeaderSize(MAX_HEADER_BYTES);
        http.setSendServerVersion(false);
        http.setSendXPoweredBy(false);
        final UnixDomainServerConnector connector =
            new UnixDomainServerConnector(server, 1, 1, new HttpConnectionFactory(http));
        connector.setUnixDomainPath(path);
        connector.setIdleTimeout(context.idleTimeoutMs);
        connector.setAcceptQueueSize(context.acceptQueue);
        server.addConnector(connector);
        server.setHandler(new AdminHandler(context.backend, new PeerPolicy(context.groupName), context.maxBodyBytes,
            context.log));
        server.setErrorHandler(new JsonErrorHandler());

        final AdminServer admin = new AdminServer(server, path, context.log);
        try
        {
            server.start();
            secure(path, context.groupName, context.log);
        }
        catch (final Exception ex)
        {
            admin.close();
            if (ex instanceof IOException io)
            {
                throw new UncheckedIOException("cannot serve the admin socket " + path, io);
            }
            throw new IllegalStateException("cannot serve the admin socket " + path + ": " + ex.getMessage(), ex);
        }
        context.log.log("admin.listening", "socket", path);
        return admin;
    }

    /** @return the socket's path. */
    public Path socketPath()
    {
        return socketPath;
    }

    /** Stops serving: in-flight requests get up to two seconds, then the socket file is removed. */
    @Override
    public void close()
    {
        try
        {
            server.stop();
        }
        catch (final Exception ex)
        {
            log.log("admin.stop.failed", "exception", ex.toString());
        }
        try
        {
            Files.deleteIfExists(socketPath);
        }
        catch (final IOException ex)
        {
            log.log("admin.stop.failed", "socket", socketPath, "exception", ex.toString());
        }
    }

    /**
     * Creates the directory if missing and removes a stale socket file that a dead agent left, but refuses to take
     * over a socket that a live process still answers on, or to delete a file that is not a socket.
     */
    private static void prepare(final Path path, final EventLog log)
    {
        try
        {
            final Path directory = path.toAbsolutePath().getParent();
            if (null != directory && !Files.isDirectory(directory))
            {
                Files.createDirectories(directory);
                Files.setPosixFilePermissions(directory, PosixFilePermissions.fromString(DIRECTORY_MODE));
            }
            if (!Files.exists(path, LinkOption.NOFOLLOW_LINKS))
            {
                return;
            }
            final int mode = (Integer)Files.getAttribute(path, "unix:mode", LinkOption.NOFOLLOW_LINKS);
            if ((mode & S_IFMT) != S_IFSOCK)
            {
                throw new IllegalStateException(path + " exists and is not a socket; not replacing it");
            }
            try (SocketChannel probe = SocketChannel.open(StandardProtocolFamily.UNIX))
            {
                probe.connect(UnixDomainSocketAddress.of(path));
                throw new IllegalStateException("another process serves " + path + " (is an agent running?)");
            }
            catch (final IOException refused)
            {
                Files.deleteIfExists(path);
                log.log("admin.socket.stale", "socket", path, "removed", true);
            }
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot prepare the admin socket " + path, ex);
        }
    }

    /** Mode 0660 and the admin group; without the group, root:root 0660, said in the log. */
    private static void secure(final Path path, final String groupName, final EventLog log) throws IOException
    {
        Files.setPosixFilePermissions(path, PosixFilePermissions.fromString(SOCKET_MODE));
        try
        {
            final GroupPrincipal group =
                FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByGroupName(groupName);
            Files.getFileAttributeView(path, PosixFileAttributeView.class, LinkOption.NOFOLLOW_LINKS).setGroup(group);
        }
        catch (final UserPrincipalNotFoundException ex)
        {
            log.log("admin.socket.group.missing", "group", groupName, "socket", path, "mode", "0660",
                "effect", "only root can use the admin socket; create the group (groupadd --system " + groupName +
                ") and restart the agent to let its members in");
        }
    }

    /**
     * Jetty's own error answers (a request it cannot parse, headers too large, an idle timeout, a handler that
     * failed) in the API's shape, instead of Jetty's HTML page.
     */
    private static final class JsonErrorHandler implements Request.Handler
    {
        @Override
        public boolean handle(final Request request, final Response response, final Callback callback)
        {
            final int status = request.getAttribute(ErrorHandler.ERROR_STATUS) instanceof Integer s ? s :
                Math.max(response.getStatus(), 500);
            final String reason = request.getAttribute(ErrorHandler.ERROR_MESSAGE) instanceof String m ? m : null;
            final String message = switch (status)
            {
                case 400 -> "the request is not valid HTTP/1.1";
                case 408 -> "the request did not arrive in time";
                case 414 -> "the request target is too long";
                case 431 -> "the request headers are larger than " + MAX_HEADER_BYTES + " bytes";
                case 505 -> "the request is not HTTP/1.1";
                default -> "the request failed";
            } + (null == reason ? "" : ": " + reason);
            final byte[] body = AdminJson.write(ApiError.of(status, message).toTree()).getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json; charset=utf-8");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, body.length);
            response.write(true, ByteBuffer.wrap(body), callback);
            return true;
        }
    }

    /**
     * The admin server's settings, with the defaults the agent uses. Call the setters, then {@link AdminServer#start}
     * concludes and validates them.
     */
    public static final class Context
    {
        /** Default socket: {@code /run/tandem/admin.sock}. */
        public static final Path DEFAULT_SOCKET_PATH = NodeConfig.DEFAULT_ADMIN_SOCKET;
        /** Default admin group. */
        public static final String DEFAULT_GROUP = "tandem";
        /** Default body limit: 1 MiB, far above the largest valid load balancer. */
        public static final int DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
        /** Default idle timeout: a request must make progress within 10 s. */
        public static final long DEFAULT_IDLE_TIMEOUT_MS = 10_000;
        /** Default request threads; the selector and the acceptor take two of them. */
        public static final int DEFAULT_MAX_THREADS = 8;
        /** Default number of ready requests waiting for a thread before new ones are refused. */
        public static final int DEFAULT_QUEUE_CAPACITY = 256;
        /** Default listen backlog. */
        public static final int DEFAULT_ACCEPT_QUEUE = 128;

        private Path socketPath = DEFAULT_SOCKET_PATH;
        private String groupName = DEFAULT_GROUP;
        private int maxBodyBytes = DEFAULT_MAX_BODY_BYTES;
        private long idleTimeoutMs = DEFAULT_IDLE_TIMEOUT_MS;
        private int maxThreads = DEFAULT_MAX_THREADS;
        private int queueCapacity = DEFAULT_QUEUE_CAPACITY;
        private int acceptQueue = DEFAULT_ACCEPT_QUEUE;
        private AdminBackend backend;
        private EventLog log;

        /**
         * @param socketPath the socket file's path.
         * @return this.
         */
        public Context socketPath(final Path socketPath)
        {
            this.socketPath = socketPath;
            return this;
        }

        /**
         * @param groupName the admin group: the socket file's group, and whose members may use the socket.
         * @return this.
         */
        public Context groupName(final String groupName)
        {
            this.groupName = groupName;
            return this;
        }

        /**
         * @param maxBodyBytes the largest request body accepted; more gets 413.
         * @return this.
         */
        public Context maxBodyBytes(final int maxBodyBytes)
        {
            this.maxBodyBytes = maxBodyBytes;
            return this;
        }

        /**
         * @param idleTimeoutMs how long a connection may make no progress before it is closed.
         * @return this.
         */
        public Context idleTimeoutMs(final long idleTimeoutMs)
        {
            this.idleTimeoutMs = idleTimeoutMs;
            return this;
        }

        /**
         * @param maxThreads the most threads of the server's pool, at least 4.
         * @return this.
         */
        public Context maxThreads(final int maxThreads)
        {
            this.maxThreads = maxThreads;
            return this;
        }

        /**
         * @param queueCapacity how many ready requests may wait for a thread.
         * @return this.
         */
        public Context queueCapacity(final int queueCapacity)
        {
            this.queueCapacity = queueCapacity;
            return this;
        }

        /**
         * @param acceptQueue the listen backlog.
         * @return this.
         */
        public Context acceptQueue(final int acceptQueue)
        {
            this.acceptQueue = acceptQueue;
            return this;
        }

        /**
         * @param backend what the server answers for; required.
         * @return this.
         */
        public Context backend(final AdminBackend backend)
        {
            this.backend = backend;
            return this;
        }

        /**
         * @param log where the server logs; by default standard output, key=value.
         * @return this.
         */
        public Context log(final EventLog log)
        {
            this.log = log;
            return this;
        }

        /** Fills defaults and checks the settings. */
        void conclude()
        {
            Objects.requireNonNull(socketPath, "socketPath");
            Objects.requireNonNull(groupName, "groupName");
            Objects.requireNonNull(backend, "backend");
            if (null == log)
            {
                log = new EventLog(System.out, false);
            }
            if (socketPath.toString().getBytes(StandardCharsets.UTF_8).length >=
                UnixDomainServerConnector.MAX_UNIX_DOMAIN_PATH_LENGTH)
            {
                throw new IllegalArgumentException("socketPath is too long for a Unix socket: " + socketPath);
            }
            if (maxBodyBytes < 1 || idleTimeoutMs < 1 || maxThreads < 4 || queueCapacity < 1 || acceptQueue < 1)
            {
                throw new IllegalArgumentException("maxBodyBytes, idleTimeoutMs, queueCapacity and acceptQueue must " +
                    "be positive and maxThreads at least 4");
            }
        }
    }
}
