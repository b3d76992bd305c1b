/**
 * {@code tandem ctl}, the command-line client of a node: {@link io.tandem.control.cli.CtlCommand} and its
 * subcommands talk HTTP/1.1 to the admin socket through {@link io.tandem.control.cli.AdminClient}, except
 * {@code stats}, which reads the memory-mapped counters file directly so that it answers also when the agent is busy.
 * Output is a table for people or, with {@code -o json}, JSON for scripts; exit codes are listed at
 * {@link io.tandem.control.cli.CtlCommand}.
 */
package io.tandem.control.cli;
