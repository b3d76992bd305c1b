package io.tandem.control.admin;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.agent.EventLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.UnixDomainSocketAddress;
import java.net.StandardProtocolFamily;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The HTTP layer over a real Unix socket, against an in-memory backend. Runs as any user: the admin group is the
 * user's own primary group, so the peer check lets the test in.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class AdminServerTest
{
    private static final long IDLE_TIMEOUT_MS = 1_500;

    @TempDir
    Path dir;

    private Path socket;
    private InMemoryAdminBackend backend;
    private AdminServer server;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();

    @BeforeEach
    void start() throws Exception
    {
        socket = dir.resolve("admin.sock");
        backend = new InMemoryAdminBackend();
        final GroupPrincipal group = (GroupPrincipal)Files.getAttribute(dir, "posix:group");
        server = AdminServer.start(new AdminServer.Context()
            .socketPath(socket)
            .groupName(group.getName())
            .idleTimeoutMs(IDLE_TIMEOUT_MS)
            .backend(backend)
            .log(new EventLog(new PrintStream(logged, true, StandardCharsets.UTF_8), false)));
    }

    @AfterEach
    void stop()
    {
        server.close();
    }

    // ---- good requests ---------------------------------------------------------------------------------------------

    @Test
    void shouldServeTheLoadBalancerAndReplaceItBasedOnItsVersion()
    {
        final UdsHttp.Answer get = UdsHttp.get(socket, "/v2/load-balancer");
        assertEquals(200, get.status(), get.body());
        assertTrue(get.header("content-type").startsWith("application/json"), get.headers().toString());
        assertEquals("\"v1\"", get.header("etag"));
        final ObjectNode lb = (ObjectNode)get.json();
        assertEquals("shop", lb.get("name").asText());
        assertEquals("v1", lb.get("version").asText());

        lb.put("planId", "p50");
        final UdsHttp.Answer put = UdsHttp.put(socket, "/v2/load-balancer", lb.toString());
        assertEquals(200, put.status(), put.body());
        assertEquals("v2", put.json().get("version").asText());
        assertEquals("p50", put.json().get("planId").asText());
        assertEquals("\"v2\"", put.header("etag"));

        final JsonNode again = UdsHttp.get(socket, "/v2/load-balancer").json();
        assertEquals("v2", again.get("version").asText());
        assertEquals("p50", again.get("planId").asText());
        assertEquals("p50", backend.loadBalancer().plan().id());
    }

    @Test
    void shouldUpdateOneTargetPoolAsTheApisUpdateTargetPool()
    {
        final String pool = """
            {"targetPort": 9090, "targets": [{"displayName": "web-9", "ip": "198.18.1.19"}],
             "activeHealthCheck": {"interval": "1s"}}""";
        final UdsHttp.Answer put = UdsHttp.put(socket, "/v2/load-balancer/target-pools/web", pool);
        assertEquals(200, put.status(), put.body());
        assertEquals("web", put.json().get("name").asText());
        assertEquals(9090, put.json().get("targetPort").asInt());
        assertEquals("\"v2\"", put.header("etag"));

        final UdsHttp.Answer get = UdsHttp.get(socket, "/v2/load-balancer/target-pools/web");
        assertEquals(200, get.status(), get.body());
        assertEquals("198.18.1.19", get.json().get("targets").get(0).get("ip").asText());
        assertEquals("1s", get.json().get("activeHealthCheck").get("interval").asText());

        final UdsHttp.Answer conditional = UdsHttp.send(socket, "PUT", "/v2/load-balancer/target-pools/db",
            "application/json", "{\"name\": \"db\", \"targetPort\": 5433, \"targets\": " +
                "[{\"displayName\": \"db-b\", \"ip\": \"198.18.2.22\"}]}", "If-Match: \"v2\"");
        assertEquals(200, conditional.status(), conditional.body());
        assertEquals(5433, backend.loadBalancer().targetPool("db").targetPort());
        assertEquals("v3", backend.loadBalancer().version());
    }

    @Test
    void shouldShowStatusWithRoleHealthConnectionsAndPlanUsage()
    {
        final UdsHttp.Answer answer = UdsHttp.get(socket, "/v2/status");
        assertEquals(200, answer.status(), answer.body());
        final JsonNode status = answer.json();
        assertEquals("active", status.get("role").asText());
        assertEquals("v1", status.get("version").asText());
        assertEquals(7, status.get("snapshotVersion").asLong());
        assertEquals("p10", status.get("plan").get("planId").asText());
        assertEquals(10_000, status.get("plan").get("maxConnections").asInt());
        assertEquals(6, status.get("plan").get("activeConnections").asLong());
        assertEquals("http", status.get("listeners").get(0).get("name").asText());
        assertEquals("tcp-5432", status.get("listeners").get(1).get("name").asText());
        assertEquals(3, status.get("listeners").get(1).get("activeConnections").asLong());

        final JsonNode web1 = status.get("targets").get(0);
        assertEquals("web", web1.get("pool").asText());
        assertEquals("198.18.1.11", web1.get("ip").asText());
        assertTrue(web1.get("healthy").asBoolean());
        assertEquals("ok", web1.get("lastResult").asText());
        assertEquals("2025-01-01T00:00:00.123Z", web1.get("lastProbe").asText());
        assertEquals(1_735_689_600_123L, web1.get("lastProbeEpochMs").asLong());
        final JsonNode web2 = status.get("targets").get(1);
        assertFalse(web2.get("healthy").asBoolean());
        assertTrue(web2.get("lastResult").isNull());
        assertTrue(web2.get("lastProbe").isNull());
    }

    @Test
    void shouldListThePlans()
    {
        final UdsHttp.Answer answer = UdsHttp.get(socket, "/v2/plans");
        assertEquals(200, answer.status(), answer.body());
        final JsonNode plans = answer.json().get("validPlans");
        assertEquals(5, plans.size());
        assertEquals("p10", plans.get(0).get("planId").asText());
        assertEquals(10_000, plans.get(0).get("maxConnections").asInt());
        assertEquals("p1500", plans.get(4).get("planId").asText());
        assertEquals(1_500_000, plans.get(4).get("maxConnections").asInt());
    }

    @Test
    void shouldServeMetricsInPrometheusTextFormat()
    {
        final UdsHttp.Answer answer = UdsHttp.get(socket, "/metrics");
        assertEquals(200, answer.status(), answer.body());
        assertTrue(answer.header("content-type").startsWith("text/plain; version=0.0.4"), answer.headers().toString());
        PrometheusRendererTest.assertParses(answer.body());
        assertTrue(answer.body().contains("tandem_target_healthy{pool=\"web\",target=\"198.18.1.12\",name=\"web-2\"} 0"),
            answer.body());
        assertTrue(answer.body().contains("tandem_role{role=\"active\"} 1"), answer.body());
    }

    @Test
    void shouldWorkWithCurlAsTheReadmeShowsIt() throws Exception
    {
        final UdsHttp.Answer get = UdsHttp.curl(socket, List.of(), "http://localhost/v2/load-balancer");
        assertEquals(200, get.status(), get.headers().toString());
        final ObjectNode lb = (ObjectNode)UdsHttp.JSON.readTree(get.body());
        lb.putObject("labels").put("team", "checkout");
        final Path payload = Files.writeString(dir.resolve("lb.json"), lb.toString());

        final UdsHttp.Answer put = UdsHttp.curl(socket, List.of(), "-X", "PUT",
            "-H", "Content-Type: application/json", "--data-binary", "@" + payload,
            "http://localhost/v2/load-balancer");
        assertEquals(200, put.status(), put.body());
        assertEquals("checkout", UdsHttp.JSON.readTree(put.body()).get("labels").get("team").asText());

        final UdsHttp.Answer status = UdsHttp.curl(socket, List.of(), "http://localhost/v2/status");
        assertEquals(200, status.status());
    }

    // ---- bad requests ----------------------------------------------------------------------------------------------

    @Test
    void shouldRefuseAStaleVersionWith409NamingTheCurrentOne()
    {
        final ObjectNode lb = (ObjectNode)UdsHttp.get(socket, "/v2/load-balancer").json();
        lb.put("version", "v0");
        final UdsHttp.Answer answer = UdsHttp.put(socket, "/v2/load-balancer", lb.toString());
        assertEquals(409, answer.status(), answer.body());
        final JsonNode error = answer.json();
        assertEquals(ApiError.ABORTED, error.get("code").asInt());
        assertTrue(error.get("message").asText().contains("\"v1\""), error.toString());
        final JsonNode info = error.get("details").get(0);
        assertEquals(ApiError.ERROR_INFO_TYPE, info.get("@type").asText());
        assertEquals("STALE_VERSION", info.get("reason").asText());
        assertEquals("v1", info.get("metadata").get("currentVersion").asText());
        assertEquals("v1", backend.loadBalancer().version());

        final UdsHttp.Answer pool = UdsHttp.send(socket, "PUT", "/v2/load-balancer/target-pools/db",
            "application/json", "{\"targetPort\": 1, \"targets\": [{\"displayName\": \"x\", \"ip\": \"198.18.2.9\"}]}",
            "If-Match: \"v0\"");
        assertEquals(409, pool.status(), pool.body());
    }

    @Test
    void shouldRequireTheVersionTheChangeIsBasedOn()
    {
        final ObjectNode lb = (ObjectNode)UdsHttp.get(socket, "/v2/load-balancer").json();
        lb.remove("version");
        final UdsHttp.Answer answer = UdsHttp.put(socket, "/v2/load-balancer", lb.toString());
        assertEquals(400, answer.status(), answer.body());
        assertEquals("version", violations(answer).get(0).get("field").asText());
    }

    @Test
    void shouldReportMalformedJsonWithLineAndColumn()
    {
        final UdsHttp.Answer answer = UdsHttp.put(socket, "/v2/load-balancer", "{\n  \"name\": ,\n}");
        assertEquals(400, answer.status(), answer.body());
        assertEquals(ApiError.INVALID_ARGUMENT, answer.json().get("code").asInt());
        final JsonNode violation = violations(answer).get(0);
        assertEquals(ApiError.BAD_REQUEST_TYPE, answer.json().get("details").get(0).get("@type").asText());
        assertTrue(violation.get("description").asText().contains("at line 2, column"), violation.toString());
    }

    @Test
    void shouldReportEveryViolationWithItsPath()
    {
        final ObjectNode lb = (ObjectNode)UdsHttp.get(socket, "/v2/load-balancer").json();
        ((ObjectNode)lb.get("listeners").get(0)).put("colour", "blue");
        ((ObjectNode)lb.get("listeners").get(1).get("tcp")).put("idleTimeout", "7200s");
        lb.put("planId", "p7");
        final UdsHttp.Answer answer = UdsHttp.put(socket, "/v2/load-balancer", lb.toString());
        assertEquals(400, answer.status(), answer.body());
        final List<String> fields = new ArrayList<>();
        violations(answer).forEach(v -> fields.add(v.get("field").asText()));
        assertTrue(fields.contains("listeners[0].colour"), fields.toString());
        assertTrue(fields.contains("listeners[1].tcp.idleTimeout"), fields.toString());
        assertTrue(fields.contains("planId"), fields.toString());
        assertEquals(3, fields.size(), fields.toString());
    }

    @Test
    void shouldRefuseAPoolThatDoesNotFitTheLoadBalancer()
    {
        final UdsHttp.Answer answer = UdsHttp.put(socket, "/v2/load-balancer/target-pools/web",
            "{\"targetPort\": 80, \"targets\": [{\"displayName\": \"vip\", \"ip\": \"198.18.0.100\"}]}");
        assertEquals(400, answer.status(), answer.body());
        assertTrue(violations(answer).get(0).get("field").asText().startsWith("targetPools[0].targets[0]"),
            answer.body());

        final UdsHttp.Answer renamed = UdsHttp.put(socket, "/v2/load-balancer/target-pools/web",
            "{\"name\": \"db\", \"targetPort\": 80, \"targets\": [{\"displayName\": \"a\", \"ip\": \"198.18.1.1\"}]}");
        assertEquals(400, renamed.status(), renamed.body());
        assertEquals("name", violations(renamed).get(0).get("field").asText());
    }

    @Test
    void shouldAnswer404ForAnUnknownPoolOrPath()
    {
        final String pool = "{\"targetPort\": 80, \"targets\": [{\"displayName\": \"a\", \"ip\": \"198.18.1.1\"}]}";
        final UdsHttp.Answer put = UdsHttp.put(socket, "/v2/load-balancer/target-pools/nope", pool);
        assertEquals(404, put.status(), put.body());
        assertEquals(ApiError.NOT_FOUND, put.json().get("code").asInt());
        assertEquals(404, UdsHttp.get(socket, "/v2/load-balancer/target-pools/nope").status());
        final UdsHttp.Answer path = UdsHttp.get(socket, "/v2/nothing-here");
        assertEquals(404, path.status());
        assertEquals(ApiError.NOT_FOUND, path.json().get("code").asInt());
    }

    @Test
    void shouldAnswer405WithTheAllowedMethods()
    {
        final UdsHttp.Answer delete = UdsHttp.send(socket, "DELETE", "/v2/load-balancer", null, null);
        assertEquals(405, delete.status(), delete.body());
        assertEquals("GET, PUT", delete.header("allow"));
        assertEquals(ApiError.UNIMPLEMENTED, delete.json().get("code").asInt());
        final UdsHttp.Answer post = UdsHttp.send(socket, "POST", "/v2/status", "application/json", "{}");
        assertEquals(405, post.status(), post.body());
        assertEquals("GET", post.header("allow"));
    }

    @Test
    void shouldAnswer415ForABodyThatIsNotJson()
    {
        final UdsHttp.Answer text = UdsHttp.send(socket, "PUT", "/v2/load-balancer", "text/plain", "{}");
        assertEquals(415, text.status(), text.body());
        final UdsHttp.Answer latin1 = UdsHttp.send(socket, "PUT", "/v2/load-balancer",
            "application/json; charset=iso-8859-1", "{}");
        assertEquals(415, latin1.status(), latin1.body());
        final UdsHttp.Answer none = UdsHttp.send(socket, "PUT", "/v2/load-balancer", null, "{}");
        assertEquals(415, none.status(), none.body());
    }

    @Test
    void shouldAnswer413ForAnOversizedBodyAnnouncedOrChunked() throws Exception
    {
        final String huge = "{\"name\": \"" + "x".repeat(AdminServer.Context.DEFAULT_MAX_BODY_BYTES) + "\"}";
        final byte[] request = ("PUT /v2/load-balancer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
            "Content-Type: application/json\r\nContent-Length: " + huge.length() + "\r\n\r\n" + huge)
            .getBytes(StandardCharsets.US_ASCII);
        final UdsHttp.Answer announced = UdsHttp.parse(exchangeTolerant(request));
        assertEquals(413, announced.status(), announced.body());
        assertEquals(ApiError.INVALID_ARGUMENT, announced.json().get("code").asInt());

        final ByteArrayOutputStream chunked = new ByteArrayOutputStream();
        chunked.writeBytes(("PUT /v2/load-balancer HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n" +
            "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
        final byte[] piece = "x".repeat(64 * 1024).getBytes(StandardCharsets.US_ASCII);
        for (int i = 0; i < 20; i++)
        {
            chunked.writeBytes((Integer.toHexString(piece.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
            chunked.writeBytes(piece);
            chunked.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        chunked.writeBytes("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        final UdsHttp.Answer streamed = UdsHttp.parse(exchangeTolerant(chunked.toByteArray()));
        assertEquals(413, streamed.status(), streamed.body());

        assertEquals(200, UdsHttp.get(socket, "/v2/status").status());
    }

    @Test
    void shouldAnswerGarbageWith400OrCloseAndServeTheNextClient()
    {
        final byte[] garbage = new byte[4096];
        new java.util.Random(42).nextBytes(garbage);
        garbage[0] = 'Z';
        final byte[] answer = exchangeTolerant(garbage);
        if (answer.length > 0)
        {
            final UdsHttp.Answer parsed = UdsHttp.parse(answer);
            assertEquals(400, parsed.status(), parsed.body());
            assertEquals(ApiError.INVALID_ARGUMENT, parsed.json().get("code").asInt());
        }
        final byte[] notHttp = exchangeTolerant("HELLO THERE\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
        if (notHttp.length > 0)
        {
            // Jetty reads a request line without a version as HTTP/0.9, which it does not speak.
            final UdsHttp.Answer parsed = UdsHttp.parse(notHttp);
            assertTrue(parsed.status() == 400 || parsed.status() == 505, parsed.body());
            assertEquals(ApiError.INVALID_ARGUMENT, parsed.json().get("code").asInt());
        }

        assertEquals(200, UdsHttp.get(socket, "/v2/status").status());
    }

    @Test
    void shouldAnswer431ForHugeHeaders()
    {
        final UdsHttp.Answer answer = UdsHttp.send(socket, "GET", "/v2/status", null, null,
            "X-Filler: " + "y".repeat(AdminServer.MAX_HEADER_BYTES));
        assertEquals(431, answer.status(), answer.body());
        assertEquals(ApiError.INVALID_ARGUMENT, answer.json().get("code").asInt());
        assertEquals(200, UdsHttp.get(socket, "/v2/status").status());
    }

    @Test
    void shouldServeOthersWhileAClientStallsMidRequestAndThenDropIt() throws Exception
    {
        try (SocketChannel stalledHead = UdsHttp.connect(socket);
            SocketChannel stalledBody = UdsHttp.connect(socket))
        {
            stalledHead.write(ByteBuffer.wrap("GET /v2/status HTTP/1.1\r\nHo".getBytes(StandardCharsets.US_ASCII)));
            stalledBody.write(ByteBuffer.wrap(("PUT /v2/load-balancer HTTP/1.1\r\nHost: localhost\r\n" +
                "Content-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"name\":")
                .getBytes(StandardCharsets.US_ASCII)));

            final long started = System.nanoTime();
            for (int i = 0; i < 20; i++)
            {
                assertEquals(200, UdsHttp.get(socket, "/v2/status").status());
            }
            assertTrue(System.nanoTime() - started < TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MS),
                "the other clients waited for the stalled ones");

            // The idle timeout ends both.
            final long closing = System.nanoTime();
            final String head = new String(UdsHttp.readToEnd(stalledHead), StandardCharsets.UTF_8);
            final String body = new String(UdsHttp.readToEnd(stalledBody), StandardCharsets.UTF_8);
            assertTrue(System.nanoTime() - closing < TimeUnit.MILLISECONDS.toNanos(IDLE_TIMEOUT_MS * 4),
                "the stalled clients were not dropped in time");
            // Jetty closes a connection whose request head never completed; a body that stalls gets 408.
            assertTrue(head.isEmpty() || head.startsWith("HTTP/1.1 408"), head);
            final UdsHttp.Answer timedOut = UdsHttp.parse(body.getBytes(StandardCharsets.UTF_8));
            assertEquals(408, timedOut.status(), body);
            assertEquals(ApiError.DEADLINE_EXCEEDED, timedOut.json().get("code").asInt());
        }
        assertEquals(200, UdsHttp.get(socket, "/v2/status").status());
    }

    @Test
    void shouldAnswerManyConcurrentClients() throws Exception
    {
        final int clients = 50;
        final int requests = 20;
        final AtomicInteger ok = new AtomicInteger();
        final ExecutorService pool = Executors.newFixedThreadPool(clients);
        try
        {
            final List<Future<?>> done = new ArrayList<>();
            for (int c = 0; c < clients; c++)
            {
                final int client = c;
                done.add(pool.submit(() ->
                {
                    for (int r = 0; r < requests; r++)
                    {
                        final String path = switch ((client + r) % 4)
                        {
                            case 0 -> "/v2/status";
                            case 1 -> "/v2/load-balancer";
                            case 2 -> "/metrics";
                            default -> "/v2/plans";
                        };
                        final UdsHttp.Answer answer = UdsHttp.get(socket, path);
                        assertEquals(200, answer.status(), path + ": " + answer.body());
                        ok.incrementAndGet();
                    }
                    return null;
                }));
            }
            for (final Future<?> future : done)
            {
                future.get(60, TimeUnit.SECONDS);
            }
        }
        finally
        {
            pool.shutdownNow();
        }
        assertEquals(clients * requests, ok.get());
    }

    // ---- the socket file -------------------------------------------------------------------------------------------

    @Test
    void shouldCreateTheSocketWithMode0660() throws Exception
    {
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
    }

    @Test
    void shouldRefuseToTakeOverALiveSocketButReplaceAStaleOne() throws Exception
    {
        final IllegalStateException live = assertThrows(IllegalStateException.class, () -> AdminServer.start(
            new AdminServer.Context().socketPath(socket).backend(backend).log(quiet())));
        assertTrue(live.getMessage().contains("another process serves"), live.getMessage());
        assertEquals(200, UdsHttp.get(socket, "/v2/status").status());

        final Path stale = dir.resolve("stale.sock");
        try (ServerSocketChannel dead = ServerSocketChannel.open(StandardProtocolFamily.UNIX))
        {
            dead.bind(UnixDomainSocketAddress.of(stale));
        }
        assertTrue(Files.exists(stale));
        try (AdminServer second = AdminServer.start(new AdminServer.Context().socketPath(stale)
            .groupName(((GroupPrincipal)Files.getAttribute(dir, "posix:group")).getName()).backend(backend)
            .log(quiet())))
        {
            assertEquals(200, UdsHttp.get(second.socketPath(), "/v2/plans").status());
        }
        assertFalse(Files.exists(stale), "the socket file is removed on close");

        final Path regular = Files.writeString(dir.resolve("regular"), "keep me");
        assertThrows(IllegalStateException.class, () -> AdminServer.start(
            new AdminServer.Context().socketPath(regular).backend(backend).log(quiet())));
        assertEquals("keep me", Files.readString(regular));
    }

    // ---- helpers ---------------------------------------------------------------------------------------------------

    private static EventLog quiet()
    {
        return new EventLog(new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8), false);
    }

    private static JsonNode violations(final UdsHttp.Answer answer)
    {
        final JsonNode detail = answer.json().get("details").get(0);
        assertEquals(ApiError.BAD_REQUEST_TYPE, detail.get("@type").asText(), answer.body());
        return detail.get("fieldViolations");
    }

    /** Sends bytes and reads the answer; the server may close before it has read all of them. */
    private byte[] exchangeTolerant(final byte[] request)
    {
        try (SocketChannel channel = UdsHttp.connect(socket))
        {
            try
            {
                final ByteBuffer out = ByteBuffer.wrap(request);
                while (out.hasRemaining())
                {
                    channel.write(out);
                }
            }
            catch (final java.io.IOException closedEarly)
            {
                // The server answered and closed before reading everything: read what it sent.
            }
            return UdsHttp.readToEnd(channel);
        }
        catch (final java.io.IOException ex)
        {
            throw new java.io.UncheckedIOException(ex);
        }
    }
}
