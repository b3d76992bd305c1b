package io.tandem.control.config;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A configuration was refused. Carries every violation found, not just the first, so that one round of editing can
 * fix them all: in the order the reader checks them, section by section, listeners before target pools. The message
 * lists them, one per line.
 */
public final class ConfigException extends RuntimeException
{
    private final List<ConfigViolation> violations;

    /**
     * @param violations what is wrong; at least one.
     */
    public ConfigException(final List<ConfigViolation> violations)
    {
        super(describe(violations));
        if (violations.isEmpty())
        {
            throw new IllegalArgumentException("a ConfigException needs at least one violation");
        }
        this.violations = List.copyOf(violations);
    }

    /** @return every violation, in the order they were found. */
    public List<ConfigViolation> violations()
    {
        return violations;
    }

    private static String describe(final List<ConfigViolation> violations)
    {
        return violations.size() + (violations.size() == 1 ? " violation" : " violations") + " in the configuration:" +
            violations.stream().map(v -> "\n  " + v.message()).collect(Collectors.joining());
    }
}
