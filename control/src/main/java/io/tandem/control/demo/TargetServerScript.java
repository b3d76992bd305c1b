package io.tandem.control.demo;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;

/**
 * The Python (stdlib only) program that the targets run, written to a temporary file for the life of a
 * {@link Topology}.
 * <pre>
 *   python3 script http NAME ADDRESS PORT   HTTP/1.1 server, one thread per connection:
 *       GET /                 -> "NAME\n"                        (every path but the two below)
 *       GET /peer             -> "CLIENT_IP:CLIENT_PORT\n"       (the source the target saw: SNAT shows here)
 *       GET /bytes?n=N&amp;seed=S -> N pseudo-random bytes, deterministic in (N, S); header X-Sha256 = their sha256
 *       PUT|POST (any path)   -> "SHA256\n" of the request body  (Content-Length required), headers X-Sha256, X-Length
 *       every reply carries X-Target: NAME
 *   python3 script echo ADDRESS PORT        TCP echo, one thread per connection, no timeouts of its own
 * </pre>
 * Both print one line when they listen and end on SIGTERM. Neither makes a DNS query (the stock
 * {@code HTTPServer.server_bind} would, for its own name).
 */
final class TargetServerScript
{
    /** The interpreter: the distribution's, so that no version-manager shim sits between the PID and Python. */
    static final String PYTHON = Files.isExecutable(Path.of("/usr/bin/python3")) ? "/usr/bin/python3" : "python3";

    /** The most bytes that one /bytes download or one upload may carry. */
    static final long MAX_TRANSFER_BYTES = 1L << 31;

    private static final String SCRIPT = """
        import hashlib
        import random
        import socketserver
        import sys
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
        from urllib.parse import parse_qs, urlsplit

        CHUNK = 65536
        MAX_BYTES = %d
        SUMS = {}
        SUMS_LOCK = threading.Lock()


        def pseudo_random(n, seed):
            rng = random.Random(seed)
            left = n
            while left > 0:
                k = min(CHUNK, left)
                yield rng.randbytes(k)
                left -= k


        def sha256_of(n, seed):
            key = (n, seed)
            with SUMS_LOCK:
                if key in SUMS:
                    return SUMS[key]
            h = hashlib.sha256()
            for block in pseudo_random(n, seed):
                h.update(block)
            with SUMS_LOCK:
                SUMS[key] = h.hexdigest()
            return SUMS[key]


        def http_handler(name):
            class Handler(BaseHTTPRequestHandler):
                protocol_version = 'HTTP/1.1'
                server_version = 'tandem-target'
                # the head and the body are two writes: with Nagle the body waits for the client's delayed ACK of
                # the head, 40 ms per request on a kept-alive connection
                disable_nagle_algorithm = True

                def log_message(self, fmt, *args):
                    pass

                def reply(self, status, text, extra=()):
                    body = text.encode()
                    self.send_response(status)
                    self.send_header('Content-Type', 'text/plain')
                    self.send_header('Content-Length', str(len(body)))
                    self.send_header('X-Target', name)
                    for key, value in extra:
                        self.send_header(key, value)
                    self.end_headers()
                    self.wfile.write(body)

                def do_GET(self):
                    url = urlsplit(self.path)
                    if url.path == '/peer':
                        self.reply(200, '%%s:%%d\\n' %% self.client_address[:2])
                        return
                    if url.path != '/bytes':
                        self.reply(200, name + '\\n')
                        return
                    query = parse_qs(url.query)
                    try:
                        n = int(query.get('n', ['0'])[0])
                        seed = int(query.get('seed', ['1'])[0])
                    except ValueError:
                        self.reply(400, 'n and seed must be integers\\n')
                        return
                    if n < 0 or n > MAX_BYTES:
                        self.reply(400, 'n out of range\\n')
                        return
                    self.send_response(200)
                    self.send_header('Content-Type', 'application/octet-stream')
                    self.send_header('Content-Length', str(n))
                    self.send_header('X-Target', name)
                    self.send_header('X-Sha256', sha256_of(n, seed))
                    self.end_headers()
                    for block in pseudo_random(n, seed):
                        self.wfile.write(block)

                def do_PUT(self):
                    try:
                        n = int(self.headers.get('Content-Length', ''))
                    except ValueError:
                        self.reply(411, 'Content-Length required\\n')
                        return
                    if n < 0 or n > MAX_BYTES:
                        self.reply(413, 'body out of range\\n')
                        return
                    h = hashlib.sha256()
                    left = n
                    while left > 0:
                        block = self.rfile.read(min(CHUNK, left))
                        if not block:
                            self.close_connection = True
                            return
                        h.update(block)
                        left -= len(block)
                    digest = h.hexdigest()
                    self.reply(200, digest + '\\n', (('X-Sha256', digest), ('X-Length', str(n))))

                do_POST = do_PUT

            return Handler


        class HttpServer(ThreadingHTTPServer):
            def server_bind(self):
                # HTTPServer.server_bind asks DNS for the address's name (getfqdn): the targets never talk to DNS.
                socketserver.TCPServer.server_bind(self)
                self.server_name, self.server_port = self.server_address[:2]


        class Echo(socketserver.BaseRequestHandler):
            # one line per connection when it ends, so tests see how: 'echo-end eof PEER' or 'echo-end reset PEER'
            def handle(self):
                peer = self.client_address[0] + ':' + str(self.client_address[1])
                try:
                    while True:
                        data = self.request.recv(CHUNK)
                        if not data:
                            sys.stdout.write('echo-end eof %%s\\n' %% peer); sys.stdout.flush()
                            return
                        self.request.sendall(data)
                except ConnectionResetError:
                    sys.stdout.write('echo-end reset %%s\\n' %% peer); sys.stdout.flush()


        class EchoServer(socketserver.ThreadingTCPServer):
            allow_reuse_address = True
            daemon_threads = True
            # socketserver's default backlog of 5 overflows when many streams connect at once (EchoStreams opens
            # hundreds): the kernel then drops handshakes and, with syncookies, resets some of them a second later
            request_queue_size = 256


        def main():
            mode, address, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
            if mode == 'http':
                server = HttpServer((address, port), http_handler(sys.argv[4]))
            elif mode == 'echo':
                server = EchoServer((address, port), Echo)
            else:
                raise SystemExit('mode must be http or echo')
            print('%%s listening on %%s:%%d' %% (mode, address, port), flush=True)
            server.serve_forever()


        main()
        """.formatted(MAX_TRANSFER_BYTES);

    private TargetServerScript()
    {
    }

    /**
     * Writes the program to a new temporary file, readable only by its owner.
     *
     * @return the file; the caller deletes it.
     */
    static Path write()
    {
        try
        {
            final Path file = Files.createTempFile("tandem-target-", ".py",
                PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            Files.writeString(file, SCRIPT, StandardCharsets.UTF_8);
            return file;
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException("cannot write the target server script", ex);
        }
    }
}
