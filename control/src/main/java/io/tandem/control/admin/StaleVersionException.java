package io.tandem.control.admin;

import java.util.Objects;

/**
 * A change was based on a version of the load balancer that is no longer current: someone else changed it in
 * between. The caller should read the load balancer again, redo its edit and retry. The admin socket answers
 * HTTP 409 with the current version in the error's details.
 */
public final class StaleVersionException extends RuntimeException
{
    private final String currentVersion;
    private final String basedOnVersion;

    /**
     * @param currentVersion the version in force, or null when the load balancer has none.
     * @param basedOnVersion the version the change was based on, or null when it named none.
     */
    public StaleVersionException(final String currentVersion, final String basedOnVersion)
    {
        super("the change is based on version " + quote(basedOnVersion) + " but the load balancer is at version " +
            quote(currentVersion) + ": read it again and redo the change");
        this.currentVersion = currentVersion;
        this.basedOnVersion = basedOnVersion;
    }

    /** @return the version in force, or null. */
    public String currentVersion()
    {
        return currentVersion;
    }

    /** @return the version the change was based on, or null. */
    public String basedOnVersion()
    {
        return basedOnVersion;
    }

    private static String quote(final String version)
    {
        return null == version ? "(none)" : "\"" + version + "\"";
    }

    /**
     * @param current the version in force.
     * @param basedOn the version a change was based on.
     * @return true when they are equal, as the API compares versions: for equality only.
     */
    public static boolean isCurrent(final String current, final String basedOn)
    {
        return Objects.equals(current, basedOn);
    }
}
