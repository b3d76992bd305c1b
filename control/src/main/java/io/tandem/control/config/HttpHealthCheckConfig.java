package io.tandem.control.config;

import java.util.List;
import java.util.Objects;

/**
 * The API's {@code HttpHealthChecks}: instead of a bare TCP connect, the prober sends {@code GET path} and counts the
 * target healthy when the status is one of {@code okStatuses}. Immutable.
 *
 * @param path       the request path; starts with {@code /}.
 * @param okStatuses the status codes that count as healthy, each 200..299, in the order given, without repeats.
 */
public record HttpHealthCheckConfig(String path, List<Integer> okStatuses)
{
    /** Healthy statuses when the file names none. */
    public static final List<Integer> DEFAULT_OK_STATUSES = List.of(200);

    /**
     * @param path       the request path.
     * @param okStatuses the healthy statuses; copied.
     */
    public HttpHealthCheckConfig
    {
        Objects.requireNonNull(path, "path");
        okStatuses = List.copyOf(okStatuses);
    }
}
