package io.tandem.control.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.StandardProtocolFamily;
import java.net.UnixDomainSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * A minimal HTTP/1.1 client over a Unix socket for tests: one request per connection ({@code Connection: close}),
 * the answer read until the server closes. java.net.http cannot connect to a Unix socket.
 */
final class UdsHttp
{
    static final ObjectMapper JSON = new ObjectMapper();

    private UdsHttp()
    {
    }

    /** A parsed answer. */
    record Answer(int status, Map<String, String> headers, String body)
    {
        JsonNode json()
        {
            try
            {
                return JSON.readTree(body);
            }
            catch (final IOException ex)
            {
                throw new UncheckedIOException("not JSON: " + body, ex);
            }
        }

        String header(final String name)
        {
            return headers.get(name.toLowerCase(Locale.ROOT));
        }
    }

    static Answer get(final Path socket, final String path)
    {
        return send(socket, "GET", path, null, null);
    }

    static Answer put(final Path socket, final String path, final String body)
    {
        return send(socket, "PUT", path, "application/json", body);
    }

    static Answer send(final Path socket, final String method, final String path, final String contentType,
        final String body, final String... headers)
    {
        final byte[] content = null == body ? new byte[0] : body.getBytes(StandardCharsets.UTF_8);
        final StringBuilder head = new StringBuilder()
            .append(method).append(' ').append(path).append(" HTTP/1.1\r\n")
            .append("Host: localhost\r\nConnection: close\r\n");
        if (null != contentType)
        {
            head.append("Content-Type: ").append(contentType).append("\r\n");
        }
        if (null != body)
        {
            head.append("Content-Length: ").append(content.length).append("\r\n");
        }
        for (final String header : headers)
        {
            head.append(header).append("\r\n");
        }
        head.append("\r\n");
        final byte[] headBytes = head.toString().getBytes(StandardCharsets.US_ASCII);
        final byte[] request = new byte[headBytes.length + content.length];
        System.arraycopy(headBytes, 0, request, 0, headBytes.length);
        System.arraycopy(content, 0, request, headBytes.length, content.length);
        return parse(exchange(socket, request));
    }

    /** Sends raw bytes, then reads until the server closes; the server must close. */
    static byte[] exchange(final Path socket, final byte[] request)
    {
        try (SocketChannel channel = connect(socket))
        {
            final ByteBuffer out = ByteBuffer.wrap(request);
            while (out.hasRemaining())
            {
                channel.write(out);
            }
            return readToEnd(channel);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static SocketChannel connect(final Path socket) throws IOException
    {
        final SocketChannel channel = SocketChannel.open(StandardProtocolFamily.UNIX);
        channel.connect(UnixDomainSocketAddress.of(socket));
        return channel;
    }

    static byte[] readToEnd(final SocketChannel channel) throws IOException
    {
        final ByteArrayOutputStream in = new ByteArrayOutputStream();
        final ByteBuffer buffer = ByteBuffer.allocate(16 * 1024);
        while (true)
        {
            buffer.clear();
            final int n;
            try
            {
                n = channel.read(buffer);
            }
            catch (final IOException reset)
            {
                // The server may reset a connection whose request it did not read to the end (413).
                break;
            }
            if (n < 0)
            {
                break;
            }
            in.write(buffer.array(), 0, n);
        }
        return in.toByteArray();
    }

    static Answer parse(final byte[] raw)
    {
        final String text = new String(raw, StandardCharsets.UTF_8);
        final int end = text.indexOf("\r\n\r\n");
        if (!text.startsWith("HTTP/1.1 ") || end < 0)
        {
            throw new IllegalStateException("not an HTTP answer: " + text);
        }
        final String[] lines = text.substring(0, end).split("\r\n");
        final int status = Integer.parseInt(lines[0].substring(9, 12));
        final Map<String, String> headers = new LinkedHashMap<>();
        for (int i = 1; i < lines.length; i++)
        {
            final int colon = lines[i].indexOf(':');
            headers.put(lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT), lines[i].substring(colon + 1).trim());
        }
        return new Answer(status, headers, text.substring(end + 4));
    }

    /**
     * Runs curl against the socket.
     *
     * @param asUser a setpriv prefix to run curl as another user, or empty.
     * @return stdout: the body, then a line with the status (curl's -w).
     */
    static Answer curl(final Path socket, final List<String> asUser, final String... args)
    {
        final List<String> command = new ArrayList<>(asUser);
        command.addAll(List.of("curl", "-sS", "--max-time", "10", "--unix-socket", socket.toString(),
            "-w", "\n%{http_code}"));
        command.addAll(List.of(args));
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(false).start();
            final String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            final String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
            if (!process.waitFor(20, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException("curl did not finish");
            }
            final int newline = out.lastIndexOf('\n');
            final int status = Integer.parseInt(out.substring(newline + 1).trim());
            return new Answer(status, Map.of("stderr", err), out.substring(0, newline));
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(ex);
        }
    }
}
