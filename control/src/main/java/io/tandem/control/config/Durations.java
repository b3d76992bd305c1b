package io.tandem.control.config;

import java.time.Duration;
import java.util.regex.Pattern;

/**
 * Durations as the STACKIT API writes them: the JSON form of {@code google.protobuf.Duration}, decimal seconds with a
 * trailing {@code s}, e.g. {@code "300s"} or {@code "0.5s"}, matching the spec's pattern
 * {@value #PATTERN}. Nothing else is read: no units other than {@code s}, no exponent, no leading zeros, no spaces.
 */
public final class Durations
{
    /** The spec's pattern for every duration field. */
    public static final String PATTERN = "^-?(?:0|[1-9][0-9]{0,11})(?:\\.[0-9]{1,9})?s$";

    private static final Pattern DURATION = Pattern.compile(PATTERN);
    private static final int NANOS_DIGITS = 9;

    private Durations()
    {
    }

    /**
     * @param text a duration in the API's format.
     * @return the duration; negative when the text starts with {@code -}.
     * @throws IllegalArgumentException when the text does not match {@link #PATTERN}.
     */
    public static Duration parse(final String text)
    {
        // matches() covers the whole text, so "$" cannot accept a trailing line break as it would with find().
        if (!DURATION.matcher(text).matches())
        {
            throw new IllegalArgumentException("not a duration in seconds like \"300s\" or \"0.5s\": '" + text + "'");
        }
        final boolean negative = text.charAt(0) == '-';
        final String number = text.substring(negative ? 1 : 0, text.length() - 1);
        final int dot = number.indexOf('.');
        final long seconds = Long.parseLong(dot < 0 ? number : number.substring(0, dot));
        long nanos = 0;
        if (dot >= 0)
        {
            // "0.5" means 500 000 000 ns: pad the fraction on the right to nine digits.
            nanos = Long.parseLong((number.substring(dot + 1) + "000000000").substring(0, NANOS_DIGITS));
        }
        final Duration duration = Duration.ofSeconds(seconds, nanos);
        return negative ? duration.negated() : duration;
    }

    /**
     * @param duration any duration.
     * @return its canonical text: whole seconds without a fraction ({@code "300s"}), otherwise the fraction without
     * trailing zeros ({@code "0.5s"}).
     */
    public static String format(final Duration duration)
    {
        final Duration abs = duration.abs();
        final StringBuilder text = new StringBuilder();
        if (duration.isNegative())
        {
            text.append('-');
        }
        text.append(abs.getSeconds());
        if (abs.getNano() != 0)
        {
            final String fraction = String.format("%09d", abs.getNano());
            int end = fraction.length();
            while (fraction.charAt(end - 1) == '0')
            {
                end--;
            }
            text.append('.').append(fraction, 0, end);
        }
        return text.append('s').toString();
    }
}
