package io.tandem.control.cli;

/**
 * Ends a {@code tandem ctl} command with a message for its user and the exit code that says why; see
 * {@link CtlCommand} for the codes. Thrown by the subcommands and {@link AdminClient}, caught in
 * {@link CtlCommand.Base#call()}.
 */
public final class CtlException extends RuntimeException
{
    private final int exitCode;

    /**
     * @param exitCode one of {@link CtlCommand#EXIT_ERROR}, {@link CtlCommand#EXIT_USAGE},
     *                 {@link CtlCommand#EXIT_CONFLICT}.
     * @param message  one or more lines for people, without the program's name.
     */
    public CtlException(final int exitCode, final String message)
    {
        super(message);
        this.exitCode = exitCode;
    }

    /** @return the process's exit code. */
    public int exitCode()
    {
        return exitCode;
    }
}
