package io.tandem.control.net;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs the system tools the agent drives ({@code nft}, {@code ethtool}), bounded in time, with their output in any
 * error. Control-plane only.
 */
final class Commands
{
    private static final long TIMEOUT_SECONDS = 30;

    private Commands()
    {
    }

    /**
     * @param stdin   written to the tool's standard input, or null.
     * @param command the tool and its arguments.
     * @return standard output and error.
     * @throws IllegalStateException naming the command, its exit code and output when it fails, times out or
     *                               cannot be started (for example because the tool is not installed).
     */
    static String run(final String stdin, final List<String> command)
    {
        final String line = String.join(" ", command);
        try
        {
            final Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
            try (var in = process.getOutputStream())
            {
                if (null != stdin)
                {
                    in.write(stdin.getBytes(StandardCharsets.UTF_8));
                }
            }
            final byte[] out = process.getInputStream().readAllBytes();
            if (!process.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS))
            {
                process.destroyForcibly();
                throw new IllegalStateException(line + ": no answer within " + TIMEOUT_SECONDS + " s");
            }
            final String text = new String(out, StandardCharsets.UTF_8).strip();
            if (process.exitValue() != 0)
            {
                throw new IllegalStateException(line + " failed with exit code " + process.exitValue() +
                    (text.isEmpty() ? "" : ": " + text));
            }
            return text;
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot run " + command.get(0) + " (is it installed?): " + line, ex);
        }
        catch (final InterruptedException ex)
        {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while running " + line, ex);
        }
    }
}
