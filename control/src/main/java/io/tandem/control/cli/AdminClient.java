package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * A small HTTP/1.1 client for the admin socket: one request per connection ({@code Connection: close}), a
 * {@code Content-Length} body, the answer read by its {@code Content-Length}, chunk by chunk, or until the agent
 * closes. {@code java.net.http} cannot connect to a Unix socket.
 * <p>
 * Every exchange is bounded: connecting, sending and reading together must finish within the timeout, the status
 * line and headers within {@link #MAX_HEADER_BYTES} and the body within {@link #MAX_BODY_BYTES}. Failures to reach
 * the agent or to understand its answer are {@link CtlException}s with {@link CtlCommand#EXIT_ERROR} and a message
 * that names the socket; an answer with an error status is returned like any other. Not thread-safe; cheap to make.
 */
public final class AdminClient
{
    /** Most bytes of the status line and headers of an answer. */
    public static final int MAX_HEADER_BYTES = 64 * 1024;
    /** Most bytes of an answer's body. */
    public static final int MAX_BODY_BYTES = 16 * 1024 * 1024;
    /** What to check when the socket cannot be reached. */
    public static final String HINT = "is the agent running? are you root or in group tandem?";

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final byte[] HEAD_END = {'\r', '\n', '\r', '\n'};

    private final Path socketPath;
    private final long timeoutMs;

    /**
     * @param socketPath the admin socket.
     * @param timeoutMs  how long one exchange may take in all, connecting included; at least 1.
     */
    public AdminClient(final Path socketPath, final long timeoutMs)
    {
        this.socketPath = Objects.requireNonNull(socketPath, "socketPath");
        if (timeoutMs < 1)
        {
            throw new IllegalArgumentException("timeoutMs must be positive, got " + timeoutMs);
        }
        this.timeoutMs = timeoutMs;
    }

    /** @return the admin socket this client talks to. */
    public Path socketPath()
    {
        return socketPath;
    }

    /**
     * @param path the request target, e.g. {@code /v2/status}.
     * @return the answer, whatever its status.
     * @throws CtlException when the agent cannot be reached, does not answer in time or answers garbage.
     */
    public Response get(final String path)
    {
        return send("GET", path, null, null);
    }

    /**
     * @param path    the request target.
     * @param json    the body, sent as {@code application/json; charset=utf-8}.
     * @param ifMatch a version for {@code If-Match: "version"}, or null for none.
     * @return the answer, whatever its status.
     * @throws CtlException when the agent cannot be reached, does not answer in time or answers garbage.
     */
    public Response put(final String path, final String json, final String ifMatch)
    {
        return send("PUT", path, json, ifMatch);
    }

    private Response send(final String method, final String path, final String json, final String ifMatch)
    {
        final byte[] body = null == json ? new byte[0] : json.getBytes(StandardCharsets.UTF_8);
        final StringBuilder head = new StringBuilder(256)
            .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
            .append("Host: localhost\r\n")
            .append("User-Agent: tandem-ctl\r\n")
            .append("Accept: application/json, text/plain\r\n")
            .append("Connection: close\r\n");
        if (null != json)
        {
            head.append("Content-Type: application/json; charset=utf-8\r\n")
                .append("Content-Length: ").append(body.length).append("\r\n");
        }
        if (null != ifMatch)
        {
            head.append("If-Match: \"").append(ifMatch).append("\"\r\n");
        }
        head.append("\r\n");
        final byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
        final ByteBuffer request = ByteBuffer.allocate(headBytes.length + body.length).put(headBytes).put(body).flip();

        final long deadlineNs = System.nanoTime() + timeoutMs * 1_000_000L;
        try (SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
            Selector selector = Selector.open())
        {
            connect(channel, selector, deadlineNs);
            try
            {
                while (request.hasRemaining())
                {
                    if (0 == channel.write(request))
                    {
                        await(channel, selector, SelectionKey.OP_WRITE, deadlineNs, "to take the request");
                    }
                }
                return read(channel, selector, deadlineNs);
            }
            catch (final IOException ex)
            {
                throw new CtlException(CtlCommand.EXIT_ERROR, "the connection to " + socketPath + " failed: " +
                    describe(ex));
            }
        }
        catch (final IOException ex)
        {
            throw new CtlException(CtlCommand.EXIT_ERROR, "cannot talk to " + socketPath + ": " + describe(ex));
        }
    }

    private void connect(final SocketChannel channel, final Selector selector, final long deadlineNs)
    {
        try
        {
            channel.configureBlocking(false);
            // A full listen backlog (a busy agent) makes a blocking connect(2) wait: wait here, up to the deadline.
            if (!channel.connect(UnixDomainSocketAddress.of(socketPath)))
            {
                await(channel, selector, SelectionKey.OP_CONNECT, deadlineNs, "to accept the connection");
                channel.finishConnect();
            }
        }
        catch (final CtlException ex)
        {
            throw ex;
        }
        catch (final IOException | RuntimeException ex)
        {
            throw new CtlException(CtlCommand.EXIT_ERROR, "cannot connect to " + socketPath + ": " + describe(ex) +
                " (" + HINT + ")");
        }
    }

    private void await(
        final SocketChannel channel, final Selector selector, final int op, final long deadlineNs, final String what)
        throws IOException
    {
        final SelectionKey key = channel.register(selector, op);
        try
        {
            while (true)
            {
                final long leftMs = (deadlineNs - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0)
                {
                    throw new CtlException(CtlCommand.EXIT_ERROR, "the agent on " + socketPath + " took more than " +
                        timeoutMs + " ms " + what + " (it may be busy or stuck; 'tandem ctl stats' reads the " +
                        "counters without it)");
                }
                selector.selectedKeys().clear();
                if (selector.select(leftMs) > 0)
                {
                    return;
                }
            }
        }
        finally
        {
            key.interestOps(0);
        }
    }

    private Response read(final SocketChannel channel, final Selector selector, final long deadlineNs)
        throws IOException
    {
        final ByteArrayOutputStream in = new ByteArrayOutputStream(4096);
        final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        int headEnd = -1;
        int status = 0;
        Map<String, String> headers = null;
        long contentLength = -1;
        boolean chunked = false;
        boolean eof = false;
        while (true)
        {
            buffer.clear();
            final int n = channel.read(buffer);
            if (n < 0)
            {
                eof = true;
            }
            else if (n == 0)
            {
                await(channel, selector, SelectionKey.OP_READ, deadlineNs, "to answer");
                continue;
            }
            else
            {
                in.write(buffer.array(), 0, n);
            }

            final byte[] bytes = in.toByteArray();
            if (headEnd < 0)
            {
                headEnd = indexOf(bytes, HEAD_END);
                if (headEnd < 0)
                {
                    if (bytes.length > MAX_HEADER_BYTES)
                    {
                        throw garbage("its headers are larger than " + MAX_HEADER_BYTES + " bytes");
                    }
                    if (eof)
                    {
                        throw garbage(bytes.length == 0 ? "it closed the connection without an answer" :
                            "it closed the connection in the middle of the headers");
                    }
                    continue;
                }
                headers = new LinkedHashMap<>();
                status = parseHead(new String(bytes, 0, headEnd, StandardCharsets.ISO_8859_1), headers);
                final String length = headers.get("content-length");
                chunked = headers.getOrDefault("transfer-encoding", "").toLowerCase(Locale.ROOT).contains("chunked");
                if (null != length && !chunked)
                {
                    try
                    {
                        contentLength = Long.parseLong(length.trim());
                    }
                    catch (final NumberFormatException ex)
                    {
                        throw garbage("Content-Length is not a number: " + length);
                    }
                    if (contentLength < 0 || contentLength > MAX_BODY_BYTES)
                    {
                        throw garbage("its body of " + contentLength + " bytes is larger than " + MAX_BODY_BYTES);
                    }
                }
            }
            final int bodyStart = headEnd + HEAD_END.length;
            final int received = bytes.length - bodyStart;
            if (received > MAX_BODY_BYTES + (chunked ? 64 * 1024 : 0))
            {
                throw garbage("its body is larger than " + MAX_BODY_BYTES + " bytes");
            }
            if (contentLength >= 0 && received >= contentLength)
            {
                return new Response(status, headers,
                    new String(bytes, bodyStart, (int)contentLength, StandardCharsets.UTF_8));
            }
            if (eof)
            {
                if (contentLength >= 0)
                {
                    throw garbage("it closed the connection after " + received + " of " + contentLength +
                        " bytes of the body");
                }
                final byte[] body = chunked ? dechunk(bytes, bodyStart) :
                    Arrays.copyOfRange(bytes, bodyStart, bytes.length);
                return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
            }
        }
    }

    private int parseHead(final String head, final Map<String, String> headers)
    {
        final String[] lines = head.split("\r\n");
        final String statusLine = lines[0];
        if (!statusLine.startsWith("HTTP/1.") || statusLine.length() < 12 || statusLine.charAt(8) != ' ')
        {
            throw garbage("the status line is " + quote(statusLine));
        }
        final int status;
        try
        {
            status = Integer.parseInt(statusLine.substring(9, 12));
        }
        catch (final NumberFormatException ex)
        {
            throw garbage("the status line is " + quote(statusLine));
        }
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            if (colon <= 0)
            {
                throw garbage("a header line is " + quote(lines[i]));
            }
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT),
                lines[i].substring(colon + 1).trim());
        }
        return status;
    }

    private byte[] dechunk(final byte[] bytes, final int start)
    {
        final ByteArrayOutputStream body = new ByteArrayOutputStream();
        int at = start;
        while (true)
        {
            final int lineEnd = indexOf(bytes, at, new byte[]{'\r', '\n'});
            if (lineEnd < 0)
            {
                throw garbage("a chunk is cut short");
            }
            final String sizeText = new String(bytes, at, lineEnd - at, StandardCharsets.ISO_8859_1);
            final int size;
            try
            {
                size = Integer.parseInt(sizeText.split(";", 2)[0].trim(), 16);
            }
            catch (final NumberFormatException ex)
            {
                throw garbage("a chunk size is " + quote(sizeText));
            }
            if (size == 0)
            {
                return body.toByteArray();
            }
            at = lineEnd + 2;
            if (size < 0 || at + size > bytes.length)
            {
                throw garbage("a chunk is cut short");
            }
            body.write(bytes, at, size);
            at += size + 2;
        }
    }

    private CtlException garbage(final String what)
    {
        return new CtlException(CtlCommand.EXIT_ERROR, "the answer on " + socketPath + " is not HTTP/1.1 as the " +
            "agent sends it: " + what + " (is it Tandem's admin socket?)");
    }

    private static String describe(final Throwable ex)
    {
        final String message = ex.getMessage();
        return null == message || message.isBlank() ? ex.getClass().getSimpleName() : message;
    }

    private static String quote(final String text)
    {
        return "\"" + (text.length() > 80 ? text.substring(0, 80) + "..." : text) + "\"";
    }

    private static int indexOf(final byte[] bytes, final byte[] pattern)
    {
        return indexOf(bytes, 0, pattern);
    }

    private static int indexOf(final byte[] bytes, final int from, final byte[] pattern)
    {
        outer:
        for (int i = from; i + pattern.length <= bytes.length; i++)
        {
            for (int j = 0; j < pattern.length; j++)
            {
                if (bytes[i + j] != pattern[j])
                {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * One answer of the agent. Immutable.
     *
     * @param status  the HTTP status.
     * @param headers the headers, names in lower case.
     * @param body    the body, decoded as UTF-8.
     */
    public record Response(int status, Map<String, String> headers, String body)
    {
        /**
         * @param status  the status.
         * @param headers the headers; copied.
         * @param body    the body.
         */
        public Response
        {
            headers = Map.copyOf(headers);
            Objects.requireNonNull(body, "body");
        }

        /** @return true for a 2xx status. */
        public boolean ok()
        {
            return status >= 200 && status < 300;
        }

        /**
         * @param name a header's name, any case.
         * @return its value, or null.
         */
        public String header(final String name)
        {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }

        /** @return the version the {@code ETag} carries ({@code "v"} or {@code W/"v"}), or null without one. */
        public String etagVersion()
        {
            final String etag = header("etag");
            if (null == etag || etag.isBlank())
            {
                return null;
            }
            String tag = etag.trim();
            if (tag.startsWith("W/"))
            {
                tag = tag.substring(2);
            }
            if (tag.length() >= 2 && tag.startsWith("\"") && tag.endsWith("\""))
            {
                tag = tag.substring(1, tag.length() - 1);
            }
            return tag;
        }

        /**
         * @return the body as a JSON tree.
         * @throws CtlException when the body is not JSON.
         */
        public JsonNode json()
        {
            try
            {
                final JsonNode tree = JSON.readTree(body);
                if (null != tree && !tree.isMissingNode())
                {
                    return tree;
                }
            }
            catch (final IOException ex)
            {
                // reported below
            }
            throw new CtlException(CtlCommand.EXIT_ERROR, "the agent answered HTTP " + status +
                " with a body that is not JSON: " + quote(body.strip()));
        }
    }
}
