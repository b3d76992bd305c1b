package io.tandem.control.config;

import java.util.Map;
import java.util.Objects;

/**
 * The health of targets as the prober last saw them, asked by pool name and target address when a forwarding
 * snapshot is built. Implementations must answer consistently for the duration of one build.
 */
@FunctionalInterface
public interface TargetHealth
{
    /** Every target healthy: the state before the first probe has answered. */
    TargetHealth ALL_HEALTHY = (poolName, targetIp) -> true;

    /**
     * @param poolName the target pool's name.
     * @param targetIp the target's address as dotted quad, as in {@link TargetConfig#ip()}.
     * @return true when new connections may go to the target.
     */
    boolean isHealthy(String poolName, String targetIp);

    /**
     * @param health health by target; a target absent from the map counts as healthy.
     * @return a view of the map; later changes to the map show through.
     */
    static TargetHealth of(final Map<Key, Boolean> health)
    {
        Objects.requireNonNull(health, "health");
        return (poolName, targetIp) -> health.getOrDefault(new Key(poolName, targetIp), Boolean.TRUE);
    }

    /**
     * A target, named by its pool and address: the address is unique within a pool.
     *
     * @param poolName the target pool's name.
     * @param targetIp the target's address as dotted quad.
     */
    record Key(String poolName, String targetIp)
    {
        /**
         * @param poolName the target pool's name.
         * @param targetIp the target's address.
         */
        public Key
        {
            Objects.requireNonNull(poolName, "poolName");
            Objects.requireNonNull(targetIp, "targetIp");
        }
    }
}
