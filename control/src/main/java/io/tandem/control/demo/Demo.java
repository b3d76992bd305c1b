package io.tandem.control.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * {@code tandem demo}: builds a {@link Topology} (a client behind a router, the node, three targets running an
 * HTTP server), starts a real agent on the node, sends requests through the VIP and prints how they spread, then
 * stays up for the user to try until the duration passes or Ctrl-C, and removes everything on the way out.
 */
public final class Demo
{
    private final PrintStream out;
    private final int requests;
    private final Duration duration;
    private final boolean sourceIpPersistence;

    /**
     * @param out                 where the demo talks.
     * @param requests            how many requests to send through the VIP.
     * @param duration            how long to stay up afterwards; null until Ctrl-C.
     * @param sourceIpPersistence Maglev on the client address instead of round robin.
     */
    public Demo(final PrintStream out, final int requests, final Duration duration, final boolean sourceIpPersistence)
    {
        this.out = out;
        this.requests = requests;
        this.duration = duration;
        this.sourceIpPersistence = sourceIpPersistence;
    }

    /**
     * Runs the demo.
     *
     * @return 0 when every request got an answer, 1 otherwise.
     */
    public int run() throws Exception
    {
        out.println("tandem demo: building the topology in network namespaces (198.18.0.0/15 only) ...");
        final CountDownLatch done = new CountDownLatch(1);
        try (Topology topology = Topology.build(new Topology.Context().clients(1).targets(3)))
        {
            final RunDirectory dir = RunDirectory.create("tandem-demo");
            final Path config = dir.resolve("tandem.json");
            Files.writeString(config, new DemoConfig(topology).sourceIpPersistence(sourceIpPersistence)
                .countersFile(dir.resolve("counters").toString()).json());
            final Process agent = AgentLauncher.start(topology.nodeNs(), config);
            final Thread stopper = new Thread(() ->
            {
                agent.toHandle().destroy();
                try
                {
                    agent.waitFor(20, TimeUnit.SECONDS);
                    done.await(20, TimeUnit.SECONDS);
                }
                catch (final InterruptedException ignore)
                {
                    Thread.currentThread().interrupt();
                }
            }, "tandem-demo-stop");
            Runtime.getRuntime().addShutdownHook(stopper);
            try
            {
                AgentLauncher.awaitReady(agent, line -> out.println("  agent: " + line));
                out.printf("%ntopology: client %s -> router -> VIP %s:%d on node %s (%s) -> targets %s%n",
                    topology.client(1).address(), topology.vip(), Topology.VIP_PORT, topology.node().name(),
                    topology.nodeInterface(), targetAddresses(topology));
                out.printf("sending %d requests through the VIP (%s) ...%n%n", requests,
                    sourceIpPersistence ? "Maglev on the client address" : "round robin");
                final DemoTraffic.Result result = DemoTraffic.runAndPrint(topology, topology.vipUrl(), requests,
                    Duration.ofSeconds(120), out);
                out.printf("%nTandem is up. Try it from the client namespace:%n");
                out.printf("  sudo ip netns exec %s curl http://%s/%n", topology.client(1).ns().name(), topology.vip());
                out.printf("counters: %s (./tandem ctl stats comes with the admin issue)%n", dir.resolve("counters"));
                if (null == duration)
                {
                    out.println("Ctrl-C stops the agent and removes everything.");
                    agent.waitFor();
                }
                else
                {
                    out.printf("stopping by itself in %d s (or Ctrl-C) ...%n", duration.toSeconds());
                    agent.waitFor(duration.toMillis(), TimeUnit.MILLISECONDS);
                }
                return result.succeeded() == requests ? 0 : 1;
            }
            finally
            {
                agent.toHandle().destroy();
                if (!agent.waitFor(20, TimeUnit.SECONDS))
                {
                    agent.toHandle().destroyForcibly();
                }
                try
                {
                    Runtime.getRuntime().removeShutdownHook(stopper);
                }
                catch (final IllegalStateException ignore)
                {
                    // already shutting down: the hook is running
                }
                out.println("tandem demo: agent stopped, removing the namespaces.");
                dir.close();
            }
        }
        finally
        {
            done.countDown();
        }
    }

    private static String targetAddresses(final Topology topology)
    {
        final List<String> addresses = new ArrayList<>();
        for (int i = 1; i <= topology.targetCount(); i++)
        {
            addresses.add(topology.target(i).address() + ":" + Topology.HTTP_PORT);
        }
        return String.join(", ", addresses);
    }
}
