package io.tandem.control.health;

import io.tandem.control.config.ActiveHealthCheckConfig;
import io.tandem.control.config.HttpHealthCheckConfig;
import io.tandem.control.config.LoadBalancerConfig;
import io.tandem.control.config.TargetConfig;
import io.tandem.control.config.TargetPoolConfig;
import io.tandem.dataplane.snapshot.Plan;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

/** Configurations and a recording listener for the checker's tests. */
final class HealthFixtures
{
    private HealthFixtures()
    {
    }

    static ActiveHealthCheckConfig check(final long intervalMs, final long timeoutMs, final int healthyThreshold,
        final int unhealthyThreshold)
    {
        return check(intervalMs, 0, timeoutMs, healthyThreshold, unhealthyThreshold, 0, null);
    }

    static ActiveHealthCheckConfig check(final long intervalMs, final long jitterMs, final long timeoutMs,
        final int healthyThreshold, final int unhealthyThreshold, final int altPort, final HttpHealthCheckConfig http)
    {
        return new ActiveHealthCheckConfig(Duration.ofMillis(intervalMs), Duration.ofMillis(jitterMs),
            Duration.ofMillis(timeoutMs), healthyThreshold, unhealthyThreshold, altPort, http);
    }

    static HttpHealthCheckConfig http(final String path, final Integer... okStatuses)
    {
        return new HttpHealthCheckConfig(path, List.of(okStatuses));
    }

    static TargetPoolConfig pool(final String name, final int port, final ActiveHealthCheckConfig check,
        final String... ips)
    {
        final List<TargetConfig> targets = new ArrayList<>();
        for (final String ip : ips)
        {
            targets.add(new TargetConfig("t-" + ip, ip));
        }
        return new TargetPoolConfig(name, port, targets, check, false);
    }

    static LoadBalancerConfig config(final TargetPoolConfig... pools)
    {
        return new LoadBalancerConfig("lb", "198.18.0.100", List.of(), List.of(pools), List.of(), Plan.DEFAULT,
            Map.of(), null);
    }

    /** One call of {@link HealthListener#onTransition}, with the monotonic time it arrived. */
    record Transition(String poolName, String targetIp, boolean healthy, String reason, long atNs)
    {
    }

    /** Records transitions for a test to wait on. */
    static final class Recorder implements HealthListener
    {
        /** Every transition so far, oldest first; guarded by this. */
        final List<Transition> transitions = new ArrayList<>();
        private final Map<String, Integer> consumed = new HashMap<>();

        @Override
        public synchronized void onTransition(final String poolName, final String targetIp, final boolean healthy,
            final String reason)
        {
            transitions.add(new Transition(poolName, targetIp, healthy, reason, System.nanoTime()));
            notifyAll();
        }

        /** @return transitions of the target so far. */
        synchronized List<Transition> of(final String poolName, final String targetIp)
        {
            return transitions.stream()
                .filter(t -> t.poolName().equals(poolName) && t.targetIp().equals(targetIp)).toList();
        }

        /**
         * Waits for the target's next transition that no earlier call returned; fails after {@code timeoutMs} or
         * when it goes the wrong way. Transitions of other targets stay for their own calls.
         */
        synchronized Transition await(final String poolName, final String targetIp, final boolean healthy,
            final long timeoutMs) throws InterruptedException
        {
            final String key = poolName + "/" + targetIp;
            final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true)
            {
                final List<Transition> mine = of(poolName, targetIp);
                final int seen = consumed.getOrDefault(key, 0);
                if (mine.size() > seen)
                {
                    consumed.put(key, seen + 1);
                    final Transition t = mine.get(seen);
                    assertEquals(healthy, t.healthy(), "transition of " + key + ": " + t);
                    return t;
                }
                final long leftNs = deadlineNs - System.nanoTime();
                if (leftNs <= 0)
                {
                    fail("no transition of " + key + " to " + (healthy ? "up" : "down") + " within " + timeoutMs +
                        " ms; all so far: " + transitions);
                }
                TimeUnit.NANOSECONDS.timedWait(this, leftNs);
            }
        }
    }

    /** Polls until {@code condition} holds; fails after {@code timeoutMs}. */
    static void await(final String what, final long timeoutMs, final java.util.function.BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadlineNs = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() - deadlineNs > 0)
            {
                fail("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }
}
