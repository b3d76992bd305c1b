package io.tandem.control.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.config.ConfigViolation;

import java.util.List;
import java.util.Objects;

/**
 * An error answer of the admin socket in the API's {@code Status} shape: {@code {code, message, details}}, where
 * {@code code} is a {@code google.rpc.Code} value, as the spec asks, and each detail is a {@code GoogleProtobufAny}
 * with an {@code @type}. The HTTP status travels beside it. Immutable.
 * <pre>
 * HTTP  code                    when
 * 400   3  INVALID_ARGUMENT     malformed request, bad JSON, violations of the configuration rules
 * 403   7  PERMISSION_DENIED    the peer is neither root nor in the admin group
 * 404   5  NOT_FOUND            no such resource or target pool
 * 405   12 UNIMPLEMENTED        the resource does not support the method (Allow names those it does)
 * 408   4  DEADLINE_EXCEEDED    the request did not arrive in time
 * 409   10 ABORTED              the change is based on a stale version
 * 413   3  INVALID_ARGUMENT     the body is larger than the limit
 * 415   3  INVALID_ARGUMENT     the body is not application/json in UTF-8
 * 431   3  INVALID_ARGUMENT     the request line and headers are too large
 * 505   3  INVALID_ARGUMENT     the request is not HTTP/1.x (a line without a version reads as HTTP/0.9)
 * 500   13 INTERNAL             a bug or a failure of the agent
 * </pre>
 *
 * @param httpStatus the HTTP status.
 * @param code       the {@code google.rpc.Code}.
 * @param message    a sentence for people.
 * @param details    the details, each an object with {@code @type}; copied.
 */
public record ApiError(int httpStatus, int code, String message, List<ObjectNode> details)
{
    /** {@code google.rpc.Code.INVALID_ARGUMENT}. */
    public static final int INVALID_ARGUMENT = 3;
    /** {@code google.rpc.Code.DEADLINE_EXCEEDED}. */
    public static final int DEADLINE_EXCEEDED = 4;
    /** {@code google.rpc.Code.NOT_FOUND}. */
    public static final int NOT_FOUND = 5;
    /** {@code google.rpc.Code.PERMISSION_DENIED}. */
    public static final int PERMISSION_DENIED = 7;
    /** {@code google.rpc.Code.RESOURCE_EXHAUSTED}. */
    public static final int RESOURCE_EXHAUSTED = 8;
    /** {@code google.rpc.Code.ABORTED}. */
    public static final int ABORTED = 10;
    /** {@code google.rpc.Code.UNIMPLEMENTED}. */
    public static final int UNIMPLEMENTED = 12;
    /** {@code google.rpc.Code.INTERNAL}. */
    public static final int INTERNAL = 13;
    /** {@code google.rpc.Code.UNAVAILABLE}. */
    public static final int UNAVAILABLE = 14;

    /** {@code @type} of the detail that lists configuration violations. */
    public static final String BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest";
    /** {@code @type} of the detail that names the reason of an error and its values. */
    public static final String ERROR_INFO_TYPE = "type.googleapis.com/google.rpc.ErrorInfo";
    /** {@code ErrorInfo.domain} of Tandem's errors. */
    public static final String DOMAIN = "tandem.admin";

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    /**
     * @param httpStatus the HTTP status.
     * @param code       the rpc code.
     * @param message    the message.
     * @param details    the details; copied.
     */
    public ApiError
    {
        Objects.requireNonNull(message, "message");
        details = List.copyOf(details);
    }

    /**
     * @param httpStatus an HTTP error status.
     * @param message    the message.
     * @return an error without details, its rpc code the one that fits the status.
     */
    public static ApiError of(final int httpStatus, final String message)
    {
        return new ApiError(httpStatus, codeFor(httpStatus), message, List.of());
    }

    /**
     * @param httpStatus an HTTP status.
     * @param message    the message.
     * @param reason     an {@code UPPER_SNAKE} reason for programs, e.g. {@code STALE_VERSION}.
     * @param metadata   alternating keys and values for the {@code ErrorInfo}; null values are left out.
     * @return an error with one {@code google.rpc.ErrorInfo} detail.
     */
    public static ApiError withInfo(
        final int httpStatus, final String message, final String reason, final String... metadata)
    {
        final ObjectNode info = NODES.objectNode().put("@type", ERROR_INFO_TYPE).put("reason", reason)
            .put("domain", DOMAIN);
        final ObjectNode values = info.putObject("metadata");
        for (int i = 0; i + 1 < metadata.length; i += 2)
        {
            if (null != metadata[i + 1])
            {
                values.put(metadata[i], metadata[i + 1]);
            }
        }
        return new ApiError(httpStatus, codeFor(httpStatus), message, List.of(info));
    }

    /**
     * @param message    the message.
     * @param violations every violation, in order.
     * @return a 400 whose one {@code google.rpc.BadRequest} detail lists each violation as a field violation:
     *         {@code field} the JSON path, {@code description} the sentence, {@code reason} the rule.
     */
    public static ApiError badRequest(final String message, final List<ConfigViolation> violations)
    {
        final ObjectNode badRequest = NODES.objectNode().put("@type", BAD_REQUEST_TYPE);
        final ArrayNode fields = badRequest.putArray("fieldViolations");
        for (final ConfigViolation violation : violations)
        {
            fields.addObject()
                .put("field", violation.path())
                .put("description", violation.message())
                .put("reason", violation.rule());
        }
        return new ApiError(400, INVALID_ARGUMENT, message, List.of(badRequest));
    }

    /**
     * As Google maps HTTP to {@code google.rpc.Code}; statuses it leaves out map to what the client must do.
     *
     * @param httpStatus an HTTP status.
     * @return the rpc code that fits.
     */
    public static int codeFor(final int httpStatus)
    {
        return switch (httpStatus)
        {
            case 403 -> PERMISSION_DENIED;
            case 404 -> NOT_FOUND;
            case 405, 501 -> UNIMPLEMENTED;
            case 408, 504 -> DEADLINE_EXCEEDED;
            case 409 -> ABORTED;
            case 429 -> RESOURCE_EXHAUSTED;
            case 503 -> UNAVAILABLE;
            case 505 -> INVALID_ARGUMENT;
            default -> httpStatus >= 500 ? INTERNAL : INVALID_ARGUMENT;
        };
    }

    /** @return the body: {@code {"code": .., "message": .., "details": [..]}}. */
    public ObjectNode toTree()
    {
        final ObjectNode o = NODES.objectNode();
        o.put("code", code);
        o.put("message", message);
        final ArrayNode array = o.putArray("details");
        details.forEach(array::add);
        return o;
    }
}
