package io.tandem.control.health;

/**
 * What the checker knows about one target at one moment, for status output and metrics. Immutable.
 *
 * @param poolName              the target pool's name.
 * @param targetIp              the target's address as dotted quad.
 * @param probePort             the port the probes go to: the pool's {@code targetPort} or the check's {@code altPort}.
 * @param healthy               whether new connections may go to the target.
 * @param consecutiveSuccesses  successful probes in a row, up to the last one (0 when it failed).
 * @param consecutiveFailures   failed probes in a row, up to the last one (0 when it succeeded).
 * @param probeCount            probes completed since the target (with these probe settings) was added.
 * @param lastResult            the last probe's result, or null before the first one has completed.
 * @param lastProbeEpochMs      when the last completed probe started, epoch ms; 0 before the first.
 * @param lastTransitionEpochMs when {@code healthy} last changed, epoch ms; until it first changes, when the checker
 *                              started to check the target.
 */
public record TargetStatus(
    String poolName,
    String targetIp,
    int probePort,
    boolean healthy,
    int consecutiveSuccesses,
    int consecutiveFailures,
    long probeCount,
    ProbeResult lastResult,
    long lastProbeEpochMs,
    long lastTransitionEpochMs)
{
}
