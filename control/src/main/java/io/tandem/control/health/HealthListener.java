package io.tandem.control.health;

/**
 * Told by the {@link HealthChecker} when a target changes health, and optionally after every probe.
 * <p>
 * Both methods run on the checker's own thread, which probes every target: they must return quickly and must not
 * block (hand the work to another thread, e.g. the agent's conductor). While one runs, no probe starts or completes.
 * When {@link #onTransition} runs, {@link HealthChecker#isHealthy} already answers the new state, so a snapshot
 * built from the checker after the call sees it. An exception thrown here goes to the checker's error handler.
 */
@FunctionalInterface
public interface HealthListener
{
    /** Ignores everything. */
    HealthListener NONE = (poolName, targetIp, healthy, reason) -> { };

    /**
     * A target crossed its threshold.
     *
     * @param poolName the target pool's name.
     * @param targetIp the target's address as dotted quad.
     * @param healthy  the new state.
     * @param reason   why, for people: e.g. "3 failed probes in a row, last: refused".
     */
    void onTransition(String poolName, String targetIp, boolean healthy, String reason);

    /**
     * A probe completed; called before {@link #onTransition} when it caused one. Does nothing by default.
     *
     * @param status the target's status after the probe.
     */
    default void onProbe(final TargetStatus status)
    {
    }
}
