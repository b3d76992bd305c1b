package io.tandem.control.config;

import java.nio.file.Path;

/**
 * The {@link ConfigStore} cannot do its job: the persisted file is corrupt, or reading or writing the state directory
 * failed. Unlike a {@link ConfigStoreConflictException} it is not the client's fault; the admin API answers it with
 * HTTP 500, and at start the agent refuses to run. The message names the file and says what to do.
 */
public final class ConfigStoreException extends RuntimeException
{
    private final Path file;

    /**
     * @param file    the file concerned.
     * @param message what went wrong and what to do, naming the file.
     * @param cause   the underlying failure, or null.
     */
    public ConfigStoreException(final Path file, final String message, final Throwable cause)
    {
        super(message, cause);
        this.file = file;
    }

    /** @return the file concerned: the persisted configuration or the state directory. */
    public Path file()
    {
        return file;
    }
}
