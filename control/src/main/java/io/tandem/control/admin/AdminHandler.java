package io.tandem.control.admin;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.agent.EventLog;
import io.tandem.control.config.ConfigException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigViolation;
import io.tandem.control.config.ConfigWriter;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetPoolConfig;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.ConnectionMetaData;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.SocketChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;

/**
 * The admin socket's routes, on Jetty's core handler API. Each request is checked against the {@link PeerPolicy}
 * first (once per connection, cached on it), then routed; a body is read without blocking a thread, up to a limit,
 * and only then is the backend called. Every error answer is an {@link ApiError}.
 * <pre>
 * GET  /v2/load-balancer                      LoadBalancer, ETag the version
 * PUT  /v2/load-balancer                      LoadBalancer with the version it is based on -> the new LoadBalancer
 * GET  /v2/load-balancer/target-pools/{name}  TargetPool
 * PUT  /v2/load-balancer/target-pools/{name}  UpdateTargetPoolPayload, optional If-Match: "version" -> TargetPool
 * GET  /v2/status                             role, versions, plan use, listeners, target health
 * GET  /v2/flows?limit=N                       a sample of tracked connections, at most N per worker
 * GET  /v2/plans                              ListPlansResponse
 * GET  /metrics                               Prometheus text
 * </pre>
 */
final class AdminHandler extends Handler.Abstract
{
    static final String LOAD_BALANCER = "/v2/load-balancer";
    static final String TARGET_POOLS = LOAD_BALANCER + "/target-pools/";
    static final String STATUS = "/v2/status";
    static final String PLANS = "/v2/plans";
    static final String FLOWS = "/v2/flows";
    static final String METRICS = "/metrics";

    private static final String JSON = "application/json";
    private static final String JSON_CONTENT_TYPE = JSON + "; charset=utf-8";
    private static final String PEER_ATTRIBUTE = AdminHandler.class.getName() + ".peerDenial";
    private static final String PEER_ALLOWED = "";
    private static final JsonMapper STRICT = JsonMapper.builder()
        .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
        .build();

    private final AdminBackend backend;
    private final PeerPolicy peers;
    private final int maxBodyBytes;
    private final EventLog log;

    AdminHandler(final AdminBackend backend, final PeerPolicy peers, final int maxBodyBytes, final EventLog log)
    {
        this.backend = backend;
        this.peers = peers;
        this.maxBodyBytes = maxBodyBytes;
        this.log = log;
    }

    @Override
    public boolean handle(final Request request, final Response response, final Callback callback)
    {
        final Exchange exchange = new Exchange(request, response, callback);
        try
        {
            final String denial = peerDenial(request);
            if (null != denial)
            {
                exchange.error(ApiError.of(403, denial));
                return true;
            }
            route(exchange);
        }
        catch (final RuntimeException ex)
        {
            exchange.error(failure(ex));
        }
        return true;
    }

    private String peerDenial(final Request request)
    {
        final ConnectionMetaData connection = request.getConnectionMetaData();
        if (connection.getAttribute(PEER_ATTRIBUTE) instanceof String cached)
        {
            return cached.isEmpty() ? null : cached;
        }
        final Object transport = connection.getConnection().getEndPoint().getTransport();
        final String denial = transport instanceof SocketChannel channel ? peers.denial(channel) :
            "the peer's credentials cannot be read: the connection is not a socket channel";
        connection.setAttribute(PEER_ATTRIBUTE, null == denial ? PEER_ALLOWED : denial);
        if (null != denial)
        {
            log.log("admin.peer.denied", "reason", denial);
        }
        return denial;
    }

    private void route(final Exchange exchange)
    {
        final String path = exchange.request.getHttpURI().getPath();
        final String method = exchange.request.getMethod();
        if (LOAD_BALANCER.equals(path))
        {
            switch (method)
            {
                case "GET" -> exchange.loadBalancer(200, backend.loadBalancer());
                case "PUT" -> exchange.readJson(this::replaceLoadBalancer);
                default -> exchange.notAllowed("GET, PUT");
            }
        }
        else if (path.startsWith(TARGET_POOLS) && path.indexOf('/', TARGET_POOLS.length()) < 0 &&
            path.length() > TARGET_POOLS.length())
        {
            final String name = path.substring(TARGET_POOLS.length());
            switch (method)
            {
                case "GET" -> getTargetPool(exchange, name);
                case "PUT" -> exchange.readJson((ex, body) -> updateTargetPool(ex, name, body));
                default -> exchange.notAllowed("GET, PUT");
            }
        }
        else if (STATUS.equals(path))
        {
            getOnly(exchange, () -> exchange.json(200, AdminJson.status(backend.status()), null));
        }
        else if (PLANS.equals(path))
        {
            getOnly(exchange, () -> exchange.json(200, AdminJson.plans(), null));
        }
        else if (FLOWS.equals(path))
        {
            getOnly(exchange, () -> exchange.json(200,
                AdminJson.flows(backend.flows(flowLimit(exchange.request.getHttpURI().getQuery()))), null));
        }
        else if (METRICS.equals(path))
        {
            getOnly(exchange, () -> exchange.text(200, PrometheusRenderer.CONTENT_TYPE, backend.metrics()));
        }
        else
        {
            exchange.error(ApiError.of(404, "no resource at " + path + "; there are " + LOAD_BALANCER + ", " +
                TARGET_POOLS + "{name}, " + STATUS + ", " + FLOWS + ", " + PLANS + " and " + METRICS));
        }
    }

    /** @return {@code limit=N} from the query, 1..256, default 50. */
    private static int flowLimit(final String query)
    {
        if (null != query)
        {
            for (final String part : query.split("&"))
            {
                if (part.startsWith("limit="))
                {
                    try
                    {
                        return Math.max(1, Math.min(256, Integer.parseInt(part.substring(6))));
                    }
                    catch (final NumberFormatException ignore)
                    {
                        return 50;
                    }
                }
            }
        }
        return 50;
    }

    private static void getOnly(final Exchange exchange, final Runnable get)
    {
        if ("GET".equals(exchange.request.getMethod()))
        {
            get.run();
        }
        else
        {
            exchange.notAllowed("GET");
        }
    }

    private void replaceLoadBalancer(final Exchange exchange, final String body)
    {
        final LoadBalancerConfig proposed = ConfigReader.parseLoadBalancer(body);
        if (null == proposed.version() || proposed.version().isEmpty())
        {
            throw new ConfigException(List.of(ConfigViolation.of("version", "is required: the version the change " +
                "is based on, as GET " + LOAD_BALANCER + " returned it", null)));
        }
        final LoadBalancerConfig now = backend.replaceLoadBalancer(proposed, proposed.version());
        log.log("admin.loadBalancer.replaced", "basedOn", proposed.version(), "version", now.version());
        exchange.loadBalancer(200, now);
    }

    private void getTargetPool(final Exchange exchange, final String name)
    {
        final LoadBalancerConfig lb = backend.loadBalancer();
        final TargetPoolConfig pool = lb.targetPool(name);
        if (null == pool)
        {
            throw new UnknownTargetPoolException(name);
        }
        exchange.json(200, ConfigWriter.toTree(pool), lb.version());
    }

    private void updateTargetPool(final Exchange exchange, final String name, final String body)
    {
        final TargetPoolConfig pool = ConfigReader.parseTargetPool(withName(body, name));
        if (!pool.name().equals(name))
        {
            throw new ConfigException(List.of(ConfigViolation.of("name", "must be the pool's name in the path",
                "got \"" + pool.name() + "\", the path names \"" + name + "\"")));
        }
        final String basedOn = ifMatch(exchange.request);
        final LoadBalancerConfig now = backend.updateTargetPool(name, pool, basedOn);
        log.log("admin.targetPool.updated", "pool", name, "basedOn", String.valueOf(basedOn), "version",
            String.valueOf(now.version()));
        final TargetPoolConfig updated = now.targetPool(name);
        exchange.json(200, ConfigWriter.toTree(null == updated ? pool : updated), now.version());
    }

    /**
     * The API's UpdateTargetPoolPayload may leave the name out, as the path carries it; the reader needs one. A body
     * that is not a JSON object is passed on unchanged, so that the reader names what is wrong with it.
     */
    private static String withName(final String body, final String name)
    {
        try
        {
            final JsonNode tree = STRICT.readTree(body);
            if (tree instanceof ObjectNode object && (!object.has("name") || object.get("name").isNull()))
            {
                object.put("name", name);
                return STRICT.writeValueAsString(object);
            }
        }
        catch (final Exception ex)
        {
            // Malformed: the reader reports it with line and column.
        }
        return body;
    }

    /** @return the version of {@code If-Match: "v"} (also unquoted, or weak {@code W/"v"}), or null without one. */
    private static String ifMatch(final Request request)
    {
        final String value = request.getHeaders().get(HttpHeader.IF_MATCH);
        if (null == value || value.isBlank() || value.trim().equals("*"))
        {
            return null;
        }
        String tag = value.trim();
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

    private ApiError failure(final Throwable ex)
    {
        return switch (ex)
        {
            case ConfigException config -> ApiError.badRequest(
                "the payload breaks " + config.violations().size() + " rule" +
                    (config.violations().size() == 1 ? "" : "s") + "; details list each", config.violations());
            case StaleVersionException stale -> ApiError.withInfo(409, stale.getMessage(), "STALE_VERSION",
                "currentVersion", stale.currentVersion(), "basedOnVersion", stale.basedOnVersion());
            case UnknownTargetPoolException unknown -> ApiError.withInfo(404, unknown.getMessage(),
                "UNKNOWN_TARGET_POOL", "targetPool", unknown.poolName());
            case IllegalArgumentException refused -> ApiError.of(400, String.valueOf(refused.getMessage()));
            default ->
            {
                log.log("admin.error", "exception", ex.toString());
                yield ApiError.of(500, "the agent failed to answer: " + ex);
            }
        };
    }

    /** One request and its answer. */
    private final class Exchange
    {
        private final Request request;
        private final Response response;
        private final Callback callback;

        Exchange(final Request request, final Response response, final Callback callback)
        {
            this.request = request;
            this.response = response;
            this.callback = callback;
        }

        void loadBalancer(final int status, final LoadBalancerConfig lb)
        {
            json(status, ConfigWriter.toTree(lb), lb.version());
        }

        void json(final int status, final JsonNode body, final String version)
        {
            if (null != version)
            {
                response.getHeaders().put(HttpHeader.ETAG, "\"" + version + "\"");
            }
            text(status, JSON_CONTENT_TYPE, AdminJson.write(body));
        }

        void text(final int status, final String contentType, final String body)
        {
            final byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
            response.setStatus(status);
            response.getHeaders().put(HttpHeader.CONTENT_TYPE, contentType);
            response.getHeaders().put(HttpHeader.CACHE_CONTROL, "no-store");
            response.getHeaders().put(HttpHeader.CONTENT_LENGTH, bytes.length);
            response.write(true, ByteBuffer.wrap(bytes), callback);
        }

        void error(final ApiError error)
        {
            response.getHeaders().remove(HttpHeader.ETAG);
            json(error.httpStatus(), error.toTree(), null);
        }

        void notAllowed(final String allow)
        {
            response.getHeaders().put(HttpHeader.ALLOW, allow);
            error(ApiError.of(405, request.getMethod() + " is not allowed on " + request.getHttpURI().getPath() +
                "; allowed: " + allow));
        }

        /**
         * Checks the content type, reads the body without holding a thread while it trickles in, decodes it as
         * UTF-8 and hands it on. Too large a body is refused as soon as its length is known or exceeded.
         */
        void readJson(final BodyHandler then)
        {
            final String contentType = request.getHeaders().get(HttpHeader.CONTENT_TYPE);
            if (!isJson(contentType))
            {
                error(ApiError.of(415, "the body must be " + JSON + " in UTF-8, got Content-Type " +
                    (null == contentType ? "(none)" : contentType)));
                return;
            }
            final long length = request.getLength();
            if (length > maxBodyBytes)
            {
                error(tooLarge(length));
                return;
            }
            new BodyReader(this, bytes ->
            {
                final String text;
                try
                {
                    text = StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(ByteBuffer.wrap(bytes)).toString();
                }
                catch (final CharacterCodingException ex)
                {
                    error(ApiError.of(400, "the body is not valid UTF-8"));
                    return;
                }
                try
                {
                    then.handle(this, text);
                }
                catch (final RuntimeException ex)
                {
                    error(failure(ex));
                }
            }).run();
        }

        ApiError tooLarge(final long length)
        {
            return ApiError.of(413, "the body must be at most " + maxBodyBytes + " bytes" +
                (length >= 0 ? ", got " + length : ""));
        }
    }

    private static boolean isJson(final String contentType)
    {
        if (null == contentType)
        {
            return false;
        }
        final String[] parts = contentType.split(";");
        if (!parts[0].trim().equalsIgnoreCase(JSON))
        {
            return false;
        }
        for (int i = 1; i < parts.length; i++)
        {
            final String parameter = parts[i].trim().toLowerCase(Locale.ROOT);
            if (parameter.startsWith("charset=") &&
                !parameter.substring("charset=".length()).replace("\"", "").equals("utf-8"))
            {
                return false;
            }
        }
        return true;
    }

    /** What to do with a body once it is read. */
    @FunctionalInterface
    private interface BodyHandler
    {
        void handle(Exchange exchange, String body);
    }

    /**
     * Reads chunks as they come: when none is ready it asks Jetty to call back on more data and returns, so a slow
     * sender holds no thread.
     */
    private final class BodyReader implements Runnable
    {
        private final Exchange exchange;
        private final Consumer<byte[]> then;
        private final ByteArrayOutputStream body = new ByteArrayOutputStream();

        BodyReader(final Exchange exchange, final Consumer<byte[]> then)
        {
            this.exchange = exchange;
            this.then = then;
        }

        @Override
        public void run()
        {
            while (true)
            {
                final Content.Chunk chunk = exchange.request.read();
                if (null == chunk)
                {
                    exchange.request.demand(this);
                    return;
                }
                if (Content.Chunk.isFailure(chunk))
                {
                    final Throwable cause = chunk.getFailure();
                    exchange.error(cause instanceof TimeoutException ?
                        ApiError.of(408, "the body did not arrive in time") :
                        ApiError.of(400, "the body cannot be read: " + cause.getMessage()));
                    return;
                }
                final ByteBuffer buffer = chunk.getByteBuffer();
                final boolean last = chunk.isLast();
                final int remaining = buffer.remaining();
                if (body.size() + remaining > maxBodyBytes)
                {
                    chunk.release();
                    exchange.error(exchange.tooLarge(-1));
                    return;
                }
                final byte[] bytes = new byte[remaining];
                buffer.get(bytes);
                chunk.release();
                body.write(bytes, 0, remaining);
                if (last)
                {
                    then.accept(body.toByteArray());
                    return;
                }
            }
        }
    }
}
