package io.tandem.dataplane.worker;

import io.tandem.dataplane.port.PacketPort;
import io.tandem.dataplane.snapshot.SnapshotExchange;
import io.tandem.dataplane.status.TrafficCounters;
import io.tandem.dataplane.status.WorkerCounters;
import org.agrona.CloseHelper;
import org.agrona.ErrorHandler;
import org.agrona.concurrent.AgentRunner;
import org.agrona.concurrent.IdleStrategy;
import org.agrona.concurrent.status.AtomicCounter;
import org.agrona.concurrent.status.CountersManager;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.IntFunction;

/**
 * The node's workers: one {@link ForwardingAgent} per port, each on its own {@link AgentRunner} thread, sharing a
 * {@link SnapshotExchange} and a {@link ConnectionBudget}, with their counters in one {@link CountersManager}.
 * <p>
 * Worker {@code i} gets the {@code i}-th equal share of the SNAT port range, so the destination port of a segment
 * from a target tells which worker owns its connection. Created and closed by the control thread.
 */
public final class WorkerGroup implements AutoCloseable
{
    private final List<ForwardingAgent> agents = new ArrayList<>();
    private final List<AgentRunner> runners = new ArrayList<>();
    private final List<PacketPort> ports = new ArrayList<>();
    private final ConnectionBudget budget = new ConnectionBudget();
    private final AtomicCounter errors;

    /**
     * Builds the workers; {@link #start()} starts their threads.
     *
     * @param workers       how many.
     * @param contextFor    a fresh context for worker {@code i} (capacity, clock, timeouts…); the group sets the id,
     *                      the SNAT port share, the counters and the budget.
     * @param portFor       the port of worker {@code i}, owned by the group from here on.
     * @param exchange      where snapshots come from.
     * @param counters      where counters are allocated (e.g. the counters file).
     * @param idleStrategy  the idle strategy of the worker on a port, e.g. one that polls the port after a short
     *                      spin.
     * @param errorHandler  where exceptions caught on a worker go, besides being counted.
     * @param snatFirstPort first port of the node's SNAT range.
     * @param snatLastPort  last port of the range.
     */
    public WorkerGroup(
        final int workers,
        final IntFunction<WorkerContext> contextFor,
        final IntFunction<PacketPort> portFor,
        final SnapshotExchange exchange,
        final CountersManager counters,
        final Function<PacketPort, IdleStrategy> idleStrategy,
        final ErrorHandler errorHandler,
        final int snatFirstPort,
        final int snatLastPort)
    {
        if (workers < 1 || snatLastPort - snatFirstPort + 1 < workers)
        {
            throw new IllegalArgumentException("need at least one worker and one SNAT port per worker");
        }
        this.errors = counters.newCounter("worker errors (all workers)");
        final int share = (snatLastPort - snatFirstPort + 1) / workers;
        try
        {
            for (int i = 0; i < workers; i++)
            {
                final int first = snatFirstPort + i * share;
                final int last = i == workers - 1 ? snatLastPort : first + share - 1;
                final WorkerContext context = contextFor.apply(i)
                    .workerId(i)
                    .snatPortRange(first, last)
                    .counters(new WorkerCounters(counters, i))
                    .budget(budget)
                    .errorHandler(errorHandler);
                final PacketPort port = portFor.apply(i);
                ports.add(port);
                final ForwardingAgent agent = new ForwardingAgent(context, port, exchange);
                agents.add(agent);
                runners.add(new AgentRunner(idleStrategy.apply(port), errorHandler, errors, agent));
            }
        }
        catch (final RuntimeException ex)
        {
            CloseHelper.quietCloseAll(ports);
            throw ex;
        }
    }

    /** Starts every worker on a thread of its own, named after its role. */
    public void start()
    {
        for (final AgentRunner runner : runners)
        {
            AgentRunner.startOnThread(runner);
        }
    }

    /** @return the workers, for status; read their tables only when stopped. */
    public List<ForwardingAgent> agents()
    {
        return List.copyOf(agents);
    }

    /**
     * @param port a listener's port.
     * @return connections all workers track for listeners on that port; any thread.
     */
    public long activeConnections(final int port)
    {
        long total = 0;
        for (final ForwardingAgent agent : agents)
        {
            total += agent.activeConnections(port);
        }
        return total;
    }

    /**
     * @param port a listener's port.
     * @return packets to targets, bytes to targets, packets to clients, bytes to clients, over all workers; any
     * thread.
     */
    public long[] listenerTraffic(final int port)
    {
        final long[] t = new long[4];
        for (final ForwardingAgent agent : agents)
        {
            final TrafficCounters c = agent.traffic();
            t[0] += c.listenerPackets(port, TrafficCounters.TO_TARGET);
            t[1] += c.listenerBytes(port, TrafficCounters.TO_TARGET);
            t[2] += c.listenerPackets(port, TrafficCounters.TO_CLIENT);
            t[3] += c.listenerBytes(port, TrafficCounters.TO_CLIENT);
        }
        return t;
    }

    /**
     * @param slot a target's slot.
     * @return packets to the target, bytes to it, packets from it, bytes from it, over all workers; any thread.
     */
    public long[] targetTraffic(final int slot)
    {
        final long[] t = new long[4];
        for (final ForwardingAgent agent : agents)
        {
            final TrafficCounters c = agent.traffic();
            t[0] += c.targetPackets(slot, TrafficCounters.TO_TARGET);
            t[1] += c.targetBytes(slot, TrafficCounters.TO_TARGET);
            t[2] += c.targetPackets(slot, TrafficCounters.TO_CLIENT);
            t[3] += c.targetBytes(slot, TrafficCounters.TO_CLIENT);
        }
        return t;
    }

    /**
     * Asks every running worker for a sample of its connections; control plane only.
     *
     * @param limit most connections per worker.
     * @return the samples, worker by worker; a worker that does not answer within 1 s contributes none.
     */
    public List<FlowSample> sampleFlows(final int limit) throws InterruptedException
    {
        final List<FlowSample> all = new ArrayList<>();
        for (final ForwardingAgent agent : agents)
        {
            all.addAll(agent.sampleFlows(limit, TimeUnit.SECONDS.toNanos(1)));
        }
        return all;
    }

    /** @return the connections tracked by all workers. */
    public long activeConnections()
    {
        return budget.active();
    }

    /** Stops the workers (each finishes its duty cycle), frees their tables and closes their ports. */
    @Override
    public void close()
    {
        CloseHelper.quietCloseAll(runners);
        CloseHelper.quietCloseAll(ports);
        errors.close();
    }
}
