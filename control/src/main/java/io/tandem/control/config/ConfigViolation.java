package io.tandem.control.config;

import java.util.Objects;

/**
 * One thing wrong with a configuration: where, which rule, and a sentence for people. Immutable.
 *
 * @param path    the JSON path of the offending field, e.g. {@code loadBalancer.listeners[1].tcp.idleTimeout};
 *                empty for the document as a whole (malformed JSON).
 * @param rule    the rule that is broken, e.g. {@code must be at most 3600s}; stable text, no values.
 * @param message path, rule and what was found, e.g.
 *                {@code loadBalancer.listeners[1].tcp.idleTimeout: must be at most 3600s, got "7200s"}.
 */
public record ConfigViolation(String path, String rule, String message)
{
    /**
     * @param path    the JSON path.
     * @param rule    the rule.
     * @param message the sentence.
     */
    public ConfigViolation
    {
        Objects.requireNonNull(path, "path");
        Objects.requireNonNull(rule, "rule");
        Objects.requireNonNull(message, "message");
    }

    /**
     * @param path   the JSON path, or empty for the whole document.
     * @param rule   the rule.
     * @param detail what was found, or null.
     * @return the violation, its message built as {@code path: rule, detail}.
     */
    public static ConfigViolation of(final String path, final String rule, final String detail)
    {
        final StringBuilder message = new StringBuilder();
        if (!path.isEmpty())
        {
            message.append(path).append(": ");
        }
        message.append(rule);
        if (null != detail)
        {
            message.append(", ").append(detail);
        }
        return new ConfigViolation(path, rule, message.toString());
    }
}
