package io.tandem.control.cli;

import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

/**
 * One run of {@code tandem ctl} in the test's JVM, through picocli as {@code Main} runs it, with its output captured.
 *
 * @param exitCode the exit code.
 * @param out      what it printed to standard output.
 * @param err      what it printed to standard error.
 */
record CtlRun(int exitCode, String out, String err)
{
    static CtlRun of(final String... args)
    {
        final StringWriter out = new StringWriter();
        final StringWriter err = new StringWriter();
        final CommandLine commandLine = CtlCommand.commandLine();
        commandLine.setOut(new PrintWriter(out, true));
        commandLine.setErr(new PrintWriter(err, true));
        final int exitCode = commandLine.execute(args);
        return new CtlRun(exitCode, out.toString(), err.toString());
    }

    @Override
    public String toString()
    {
        return "exit " + exitCode + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }
}
