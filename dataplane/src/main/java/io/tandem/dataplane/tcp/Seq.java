package io.tandem.dataplane.tcp;

/**
 * Sequence-number arithmetic modulo 2<sup>32</sup> (RFC 9293 §3.4): comparisons are valid for numbers less than
 * 2<sup>31</sup> apart.
 */
public final class Seq
{
    private Seq()
    {
    }

    /** @return true when {@code a} comes before {@code b}. */
    public static boolean before(final int a, final int b)
    {
        return a - b < 0;
    }

    /** @return true when {@code a} comes after {@code b}. */
    public static boolean after(final int a, final int b)
    {
        return a - b > 0;
    }

    /** @return true when {@code a} is {@code b} or comes after it. */
    public static boolean atOrAfter(final int a, final int b)
    {
        return a - b >= 0;
    }
}
