package io.tandem.control.config;

/**
 * An update to the {@link ConfigStore} was based on a version that is no longer the current one, or on none: someone
 * else changed the configuration since the caller read it. Nothing was changed. The admin API answers it with HTTP
 * 409 Conflict and the current version, so that the client can read the configuration again, merge and retry.
 */
public final class ConfigStoreConflictException extends RuntimeException
{
    private final String expectedVersion;
    private final String currentVersion;

    /**
     * @param expectedVersion the version the update was based on, or null when it carried none.
     * @param currentVersion  the store's current version.
     */
    public ConfigStoreConflictException(final String expectedVersion, final String currentVersion)
    {
        super(null == expectedVersion ?
            "the update carries no version; it must carry the version it was based on, currently " + currentVersion :
            "the update is based on version " + expectedVersion + " but the current version is " + currentVersion +
                "; read the configuration again and retry");
        this.expectedVersion = expectedVersion;
        this.currentVersion = currentVersion;
    }

    /** @return the version the refused update was based on, or null when it carried none. */
    public String expectedVersion()
    {
        return expectedVersion;
    }

    /** @return the store's current version when the update was refused. */
    public String currentVersion()
    {
        return currentVersion;
    }
}
