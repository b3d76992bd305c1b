package io.tandem.control.demo;

import io.tandem.ffi.Netns;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A minimal HTTP/1.1 client for the demo and the tests, one TCP connection per exchange ({@code Connection: close}),
 * so that every request is a new flow for the load balancer. It runs on a namespace's own thread
 * ({@link Netns#call}), so its socket is a plain Linux TCP socket of that namespace: no process per request.
 * <p>
 * Bodies are hashed (sha256) while they stream, and only the first {@link #KEPT_BODY_BYTES} bytes are kept, so
 * large transfers cost no memory. Every exchange is bounded by its timeout (a watchdog closes the socket), and it
 * refuses any destination outside 198.18.0.0/15 and the loopback range. Thread-safe. For probes that keep one
 * connection across requests, {@link #getOn} runs an exchange over a caller's open socket.
 */
public final class HttpProbe
{
    /** How many leading bytes of a response body {@link Response#body()} keeps. */
    public static final int KEPT_BODY_BYTES = 64 * 1024;

    /** The longest timeout: {@link Netns#call} gives up after 60 s. */
    public static final Duration MAX_TIMEOUT = Duration.ofSeconds(55);

    private static final int MAX_HEADER_LINE = 8192;
    private static final int MAX_HEADERS = 100;
    private static final int BUFFER_BYTES = 64 * 1024;

    private static final ScheduledThreadPoolExecutor WATCHDOG = new ScheduledThreadPoolExecutor(1, r ->
    {
        final Thread t = new Thread(r, "http-probe-watchdog");
        t.setDaemon(true);
        return t;
    });

    static
    {
        WATCHDOG.setRemoveOnCancelPolicy(true);
    }

    /**
     * One response.
     *
     * @param status             the HTTP status code.
     * @param headers            header fields, names in lower case.
     * @param body               the first {@link #KEPT_BODY_BYTES} bytes of the body.
     * @param bodyLength         the body's full length in bytes.
     * @param bodySha256         sha256 of the full body, lower-case hex.
     * @param requestBodySha256  sha256 of the request body that was sent, or null when there was none.
     */
    public record Response(
        int status,
        Map<String, String> headers,
        byte[] body,
        long bodyLength,
        String bodySha256,
        String requestBodySha256)
    {
        /** @return the kept body as UTF-8 text. */
        public String bodyText()
        {
            return new String(body, StandardCharsets.UTF_8);
        }

        /** @return a header's value, or null; the name in any case. */
        public String header(final String name)
        {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    private HttpProbe()
    {
    }

    /**
     * GETs {@code url} from inside {@code ns}.
     *
     * @param source  the local address to send from (one of the namespace's), or null for the kernel's choice.
     * @param timeout for the whole exchange, at most {@link #MAX_TIMEOUT}.
     */
    public static Response get(final Netns ns, final String source, final String url, final Duration timeout)
        throws IOException
    {
        return inNamespace(ns, () -> exchange("GET", source, url, -1, 0, timeout));
    }

    /**
     * PUTs {@code length} deterministic pseudo-random bytes (a function of {@code seed}) to {@code url} from inside
     * {@code ns}; {@link Response#requestBodySha256()} holds their sha256.
     */
    public static Response put(
        final Netns ns,
        final String source,
        final String url,
        final long length,
        final long seed,
        final Duration timeout) throws IOException
    {
        if (length < 0)
        {
            throw new IllegalArgumentException("length < 0: " + length);
        }
        return inNamespace(ns, () -> exchange("PUT", source, url, length, seed, timeout));
    }

    /**
     * Whether {@code address} is one the project may send test traffic to: 198.18.0.0/15 or 127.0.0.0/8.
     */
    public static boolean isTestAddress(final InetAddress address)
    {
        if (!(address instanceof Inet4Address))
        {
            return false;
        }
        final byte[] b = address.getAddress();
        return (b[0] & 0xFF) == 127 || ((b[0] & 0xFF) == 198 && (b[1] & 0xFE) == 18);
    }

    /**
     * Parses a literal IPv4 address (never a host name: no DNS) and checks it with {@link #isTestAddress}.
     *
     * @throws IllegalArgumentException when it is not a literal test address.
     */
    public static InetAddress requireTestAddress(final String literal)
    {
        final InetAddress address;
        try
        {
            address = InetAddress.ofLiteral(literal);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException("not a literal IP address: " + literal, ex);
        }
        if (!isTestAddress(address))
        {
            throw new IllegalArgumentException(literal + " is outside 198.18.0.0/15 and 127.0.0.0/8");
        }
        return address;
    }

    /**
     * Runs one exchange on the calling thread, in the calling thread's network namespace.
     *
     * @param requestLength body bytes to send, or -1 for none.
     */
    static Response exchange(
        final String method,
        final String source,
        final String url,
        final long requestLength,
        final long seed,
        final Duration timeout) throws IOException
    {
        final URI uri = httpUri(url);
        final int timeoutMs = timeoutMs(timeout);
        final InetAddress host = requireTestAddress(uri.getHost());
        final int port = port(uri);

        try (Socket socket = new Socket())
        {
            final AtomicBoolean expired = new AtomicBoolean();
            final ScheduledFuture<?> watchdog = WATCHDOG.schedule(() ->
            {
                expired.set(true);
                closeQuietly(socket);
            }, timeoutMs, TimeUnit.MILLISECONDS);
            try
            {
                if (source != null)
                {
                    socket.bind(new InetSocketAddress(InetAddress.ofLiteral(source), 0));
                }
                socket.connect(new InetSocketAddress(host, port), timeoutMs);
                socket.setSoTimeout(timeoutMs);
                socket.setTcpNoDelay(true);

                final OutputStream out = new BufferedOutputStream(socket.getOutputStream(), BUFFER_BYTES);
                final StringBuilder head = requestHead(method, uri, true);
                if (requestLength >= 0)
                {
                    head.append("Content-Type: application/octet-stream\r\n")
                        .append("Content-Length: ").append(requestLength).append("\r\n");
                }
                out.write(head.append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
                final String requestSha256 = requestLength >= 0 ? writeBody(out, requestLength, seed) : null;
                out.flush();

                return readResponse(new BufferedInputStream(socket.getInputStream(), BUFFER_BYTES), requestSha256);
            }
            catch (final SocketException ex)
            {
                if (expired.get())
                {
                    throw new SocketTimeoutException(method + " " + url + " took longer than " + timeoutMs + " ms");
                }
                throw ex;
            }
            finally
            {
                watchdog.cancel(false);
            }
        }
    }

    /**
     * GETs {@code url} over {@code socket}, an open connection to the URL's host and port, and asks the server to
     * keep it open (HTTP/1.1 persistent connection): for probes that send many requests over one connection. Runs on
     * the calling thread; the socket stays in the namespace it was created in. Bounded by {@code timeout}: past it, a
     * watchdog closes the socket and this throws {@link SocketTimeoutException}.
     * <p>
     * The response must carry a Content-Length (the targets' do); without one the body runs to the connection's end.
     *
     * @param socket  connected; the caller owns it, and closes it after any exception and when the response's
     *                "connection" header is "close".
     * @param in      the socket's input, buffered, and the same stream for every exchange on this socket (it may hold
     *                bytes read ahead).
     * @param timeout for the whole exchange, at most {@link #MAX_TIMEOUT}.
     */
    static Response getOn(final Socket socket, final InputStream in, final String url, final Duration timeout)
        throws IOException
    {
        final URI uri = httpUri(url);
        final int timeoutMs = timeoutMs(timeout);
        requireTestAddress(uri.getHost());
        final AtomicBoolean expired = new AtomicBoolean();
        final ScheduledFuture<?> watchdog = WATCHDOG.schedule(() ->
        {
            expired.set(true);
            closeQuietly(socket);
        }, timeoutMs, TimeUnit.MILLISECONDS);
        try
        {
            socket.setSoTimeout(timeoutMs);
            final OutputStream out = socket.getOutputStream();
            out.write(requestHead("GET", uri, false).append("\r\n").toString().getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return readResponse(in, null);
        }
        catch (final SocketException ex)
        {
            if (expired.get())
            {
                throw new SocketTimeoutException("GET " + url + " took longer than " + timeoutMs + " ms");
            }
            throw ex;
        }
        finally
        {
            watchdog.cancel(false);
        }
    }

    private static URI httpUri(final String url)
    {
        final URI uri = URI.create(url);
        if (!"http".equals(uri.getScheme()) || uri.getHost() == null)
        {
            throw new IllegalArgumentException("not an http URL with a host: " + url);
        }
        return uri;
    }

    private static int port(final URI uri)
    {
        return uri.getPort() == -1 ? 80 : uri.getPort();
    }

    private static int timeoutMs(final Duration timeout)
    {
        if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0)
        {
            throw new IllegalArgumentException("timeout must be in (0, " + MAX_TIMEOUT + "]: " + timeout);
        }
        return (int)Math.max(1, timeout.toMillis());
    }

    /** The request line and the common header fields, without the blank line that ends the head. */
    private static StringBuilder requestHead(final String method, final URI uri, final boolean close)
    {
        final String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath()) +
            (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
        final StringBuilder head = new StringBuilder()
            .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
            .append("Host: ").append(uri.getRawAuthority()).append("\r\n")
            .append("User-Agent: tandem-probe\r\n");
        if (close)
        {
            head.append("Connection: close\r\n");
        }
        return head;
    }

    private static String writeBody(final OutputStream out, final long length, final long seed) throws IOException
    {
        final MessageDigest sha = sha256();
        final SplittableRandom random = new SplittableRandom(seed);
        final byte[] buffer = new byte[BUFFER_BYTES];
        long left = length;
        while (left > 0)
        {
            final int n = (int)Math.min(buffer.length, left);
            random.nextBytes(buffer);
            sha.update(buffer, 0, n);
            out.write(buffer, 0, n);
            left -= n;
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    private static Response readResponse(final InputStream in, final String requestSha256) throws IOException
    {
        final String statusLine = readLine(in);
        final String[] parts = statusLine.split(" ", 3);
        if (parts.length < 2 || !parts[0].startsWith("HTTP/1."))
        {
            throw new IOException("not an HTTP status line: " + statusLine);
        }
        final int status;
        try
        {
            status = Integer.parseInt(parts[1]);
        }
        catch (final NumberFormatException ex)
        {
            throw new IOException("bad status: " + statusLine, ex);
        }

        final Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 0; ; i++)
        {
            if (i > MAX_HEADERS)
            {
                throw new IOException("more than " + MAX_HEADERS + " header fields");
            }
            final String line = readLine(in);
            if (line.isEmpty())
            {
                break;
            }
            final int colon = line.indexOf(':');
            if (colon <= 0)
            {
                throw new IOException("bad header field: " + line);
            }
            headers.put(line.substring(0, colon).trim().toLowerCase(Locale.ROOT), line.substring(colon + 1).trim());
        }
        if (headers.containsKey("transfer-encoding"))
        {
            throw new IOException("transfer-encoding is not supported: " + headers.get("transfer-encoding"));
        }
        final long contentLength;
        try
        {
            contentLength = headers.containsKey("content-length") ?
                Long.parseLong(headers.get("content-length")) : -1;
        }
        catch (final NumberFormatException ex)
        {
            throw new IOException("bad content-length: " + headers.get("content-length"), ex);
        }

        final MessageDigest sha = sha256();
        final ByteArrayOutputStream kept = new ByteArrayOutputStream();
        final byte[] buffer = new byte[BUFFER_BYTES];
        long total = 0;
        while (contentLength < 0 || total < contentLength)
        {
            final int want = contentLength < 0 ? buffer.length : (int)Math.min(buffer.length, contentLength - total);
            final int n = in.read(buffer, 0, want);
            if (n < 0)
            {
                break;
            }
            sha.update(buffer, 0, n);
            if (kept.size() < KEPT_BODY_BYTES)
            {
                kept.write(buffer, 0, Math.min(n, KEPT_BODY_BYTES - kept.size()));
            }
            total += n;
        }
        if (contentLength >= 0 && total < contentLength)
        {
            throw new EOFException("body ended after " + total + " of " + contentLength + " bytes");
        }
        return new Response(status, Map.copyOf(headers), kept.toByteArray(), total,
            HexFormat.of().formatHex(sha.digest()), requestSha256);
    }

    private static String readLine(final InputStream in) throws IOException
    {
        final StringBuilder line = new StringBuilder();
        while (true)
        {
            final int b = in.read();
            if (b < 0)
            {
                throw new EOFException("connection closed inside the response head");
            }
            if (b == '\n')
            {
                final int end = line.length();
                return end > 0 && line.charAt(end - 1) == '\r' ? line.substring(0, end - 1) : line.toString();
            }
            if (line.length() >= MAX_HEADER_LINE)
            {
                throw new IOException("response head line longer than " + MAX_HEADER_LINE);
            }
            line.append((char)b);
        }
    }

    private static <T> T inNamespace(final Netns ns, final Callable<T> task) throws IOException
    {
        try
        {
            return ns.call(task);
        }
        catch (final IOException | RuntimeException ex)
        {
            throw ex;
        }
        catch (final Exception ex)
        {
            throw new IOException("in " + ns.name() + ": " + ex, ex);
        }
    }

    private static MessageDigest sha256()
    {
        try
        {
            return MessageDigest.getInstance("SHA-256");
        }
        catch (final NoSuchAlgorithmException ex)
        {
            throw new IllegalStateException("every JDK has SHA-256", ex);
        }
    }

    private static void closeQuietly(final Socket socket)
    {
        try
        {
            socket.close();
        }
        catch (final IOException ignore)
        {
            // closing only to unblock a reader or writer past its deadline
        }
    }
}
