package io.tandem.control.health;

import java.util.Objects;

/**
 * The outcome of one probe of one target. Immutable.
 *
 * @param outcome    what happened.
 * @param httpStatus the status code an HTTP check read (healthy or not), or {@link #NO_STATUS}.
 * @param error      a short text for {@link Outcome#ERROR}, else null.
 */
public record ProbeResult(Outcome outcome, int httpStatus, String error)
{
    /** {@link #httpStatus()} when no status line was read: TCP checks, and HTTP checks that failed before one. */
    public static final int NO_STATUS = 0;

    /** A TCP check that connected. */
    public static final ProbeResult OK = new ProbeResult(Outcome.OK, NO_STATUS, null);
    /** The target answered the SYN with a RST: nothing listens on the port. */
    public static final ProbeResult REFUSED = new ProbeResult(Outcome.REFUSED, NO_STATUS, null);
    /** No connection, or no status line, within the check's timeout. */
    public static final ProbeResult TIMEOUT = new ProbeResult(Outcome.TIMEOUT, NO_STATUS, null);

    /** What a probe saw. */
    public enum Outcome
    {
        /** Healthy: connected (TCP), or a status from {@code okStatuses} (HTTP). */
        OK,
        /** Connection refused. */
        REFUSED,
        /** Timed out. */
        TIMEOUT,
        /** An HTTP status line with a status that is not in {@code okStatuses}. */
        HTTP_STATUS,
        /** Anything else: unreachable, reset, closed before or malformed status line, local failure. */
        ERROR
    }

    /**
     * @param outcome    what happened.
     * @param httpStatus the status read, or {@link #NO_STATUS}.
     * @param error      error text for {@link Outcome#ERROR}, else null.
     */
    public ProbeResult
    {
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.ERROR)
        {
            Objects.requireNonNull(error, "error");
        }
    }

    /**
     * @param status a status code read from the target.
     * @param ok     whether it is one of the check's {@code okStatuses}.
     * @return the result of an HTTP check that read a status line.
     */
    public static ProbeResult http(final int status, final boolean ok)
    {
        return new ProbeResult(ok ? Outcome.OK : Outcome.HTTP_STATUS, status, null);
    }

    /**
     * @param text what went wrong, e.g. "no route to host".
     * @return an {@link Outcome#ERROR} result.
     */
    public static ProbeResult error(final String text)
    {
        return new ProbeResult(Outcome.ERROR, NO_STATUS, text);
    }

    /** @return true when the probe counts as a success. */
    public boolean success()
    {
        return outcome == Outcome.OK;
    }

    /** @return "ok", "ok (http status 200)", "refused", "timeout", "http status 404" or "error: text". */
    @Override
    public String toString()
    {
        return switch (outcome)
        {
            case OK -> httpStatus == NO_STATUS ? "ok" : "ok (http status " + httpStatus + ")";
            case REFUSED -> "refused";
            case TIMEOUT -> "timeout";
            case HTTP_STATUS -> "http status " + httpStatus;
            case ERROR -> "error: " + error;
        };
    }
}
