package io.tandem.control.health;

/**
 * The threshold logic of one target: down after {@code unhealthyThreshold} failures in a row, up after
 * {@code healthyThreshold} successes in a row. Counters keep counting past the threshold (saturating), so status
 * output shows how long a streak has lasted. Not thread-safe: owned by the checker's thread.
 */
final class HealthState
{
    private final int healthyThreshold;
    private final int unhealthyThreshold;
    private boolean healthy;
    private int successes;
    private int failures;

    /**
     * @param healthyThreshold   successes in a row that make an unhealthy target healthy, at least 1.
     * @param unhealthyThreshold failures in a row that make a healthy target unhealthy, at least 1.
     * @param healthy            the state to start from.
     */
    HealthState(final int healthyThreshold, final int unhealthyThreshold, final boolean healthy)
    {
        if (healthyThreshold < 1 || unhealthyThreshold < 1)
        {
            throw new IllegalArgumentException(
                "thresholds must be at least 1: " + healthyThreshold + ", " + unhealthyThreshold);
        }
        this.healthyThreshold = healthyThreshold;
        this.unhealthyThreshold = unhealthyThreshold;
        this.healthy = healthy;
    }

    /**
     * Counts one probe.
     *
     * @param success whether the probe succeeded.
     * @return true when this probe changed {@link #healthy()}.
     */
    boolean onProbe(final boolean success)
    {
        if (success)
        {
            failures = 0;
            successes = successes == Integer.MAX_VALUE ? successes : successes + 1;
            if (!healthy && successes >= healthyThreshold)
            {
                healthy = true;
                return true;
            }
        }
        else
        {
            successes = 0;
            failures = failures == Integer.MAX_VALUE ? failures : failures + 1;
            if (healthy && failures >= unhealthyThreshold)
            {
                healthy = false;
                return true;
            }
        }
        return false;
    }

    boolean healthy()
    {
        return healthy;
    }

    int successes()
    {
        return successes;
    }

    int failures()
    {
        return failures;
    }
}
