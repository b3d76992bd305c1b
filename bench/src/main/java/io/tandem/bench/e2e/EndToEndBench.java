package io.tandem.bench.e2e;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.tandem.control.demo.AgentLauncher;
import io.tandem.control.demo.DemoConfig;
import io.tandem.control.demo.RunDirectory;
import io.tandem.control.demo.Topology;
import org.HdrHistogram.Histogram;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * {@code tandem-bench e2e}: on the demo topology with a real agent, in one run and side by side,
 * <ul>
 *   <li>an iperf3 stream from the client through the VIP to target 1, and the same stream straight to target 1;</li>
 *   <li>a burst of short connections (connect, one HTTP GET, close), through the VIP and straight to a target, with
 *   their latency recorded in HdrHistograms;</li>
 * </ul>
 * and prints Gbit/s, connections/s and latency percentiles with Tandem's ratio to direct. Every load is bounded in
 * count and time; traffic stays inside the namespaces the run builds (198.18.0.0/15) and removes.
 */
public final class EndToEndBench
{
    /** Listener and target port of the iperf3 stream. */
    public static final int IPERF_PORT = 5201;

    private final PrintStream out;
    private final int streamSeconds;
    private final int connections;

    /**
     * @param out           where results go.
     * @param streamSeconds length of each iperf3 run.
     * @param connections   short connections per side.
     */
    public EndToEndBench(final PrintStream out, final int streamSeconds, final int connections)
    {
        this.out = out;
        this.streamSeconds = streamSeconds;
        this.connections = connections;
    }

    /** @return 0 on success. */
    public int run() throws Exception
    {
        out.println("tandem bench e2e: building the demo topology and starting an agent ...");
        try (Topology topology = Topology.build(new Topology.Context().clients(1).targets(3)))
        {
            final RunDirectory dir = RunDirectory.create("tandem-bench-e2e");
            final Path config = dir.resolve("tandem.json");
            Files.writeString(config, new DemoConfig(topology).countersFile(dir.resolve("counters").toString())
                .listener(IPERF_PORT, IPERF_PORT, 1).json());
            final Process agent = AgentLauncher.start(topology.nodeNs(), config);
            final Process iperfServer = topology.target(1).ns().start("iperf3", "-s", "-B",
                topology.target(1).address(), "-p", String.valueOf(IPERF_PORT));
            try
            {
                AgentLauncher.awaitReady(agent, line -> { });
                Thread.sleep(500); // iperf3 server up

                final double viaGbps = iperf(topology, topology.vip());
                final double directGbps = iperf(topology, topology.target(1).address());

                final Histogram viaLatency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                final Histogram directLatency = new Histogram(TimeUnit.SECONDS.toNanos(10), 3);
                shortConnections(topology, topology.vip(), Topology.VIP_PORT, 200, new Histogram(3));
                shortConnections(topology, topology.target(1).address(), Topology.HTTP_PORT, 200,
                    new Histogram(3));
                final double viaRate = shortConnections(topology, topology.vip(), Topology.VIP_PORT, connections,
                    viaLatency);
                final double directRate = shortConnections(topology, topology.target(1).address(),
                    Topology.HTTP_PORT, connections, directLatency);

                out.println();
                out.printf("%-34s %14s %14s %10s%n", "measure", "via Tandem", "direct", "ratio");
                row("iperf3 stream, Gbit/s", viaGbps, directGbps);
                row("short connections, conn/s", viaRate, directRate);
                for (final double percentile : new double[]{50, 90, 99, 99.9})
                {
                    row(String.format(Locale.ROOT, "connection latency p%s, us", trim(percentile)),
                        viaLatency.getValueAtPercentile(percentile) / 1000.0,
                        directLatency.getValueAtPercentile(percentile) / 1000.0);
                }
                row("connection latency max, us", viaLatency.getMaxValue() / 1000.0,
                    directLatency.getMaxValue() / 1000.0);
                out.printf("%n(%d short connections each way, sequential, one HTTP GET each; iperf3 %d s, one stream;" +
                    " offloads off on every interface of the topology)%n", connections, streamSeconds);

                // What segmentation offloads are worth to the kernel's own path here: the same direct stream with
                // GSO/TSO/GRO and checksum offload on everywhere but the node. Tandem turns them off on its data
                // interface (its rings carry MTU frames); this bounds what PACKET_VNET_HDR support could win.
                enableOffloadsExceptNode(topology);
                final double directOffloadedGbps = iperf(topology, topology.target(1).address());
                out.printf(Locale.ROOT, "%niperf3 direct with offloads on (GSO super-frames): %.2f Gbit/s, %.2f x " +
                    "the direct stream with offloads off%n", directOffloadedGbps, directOffloadedGbps / directGbps);
                return 0;
            }
            finally
            {
                iperfServer.toHandle().destroy();
                agent.toHandle().destroy();
                if (!agent.waitFor(20, TimeUnit.SECONDS))
                {
                    agent.toHandle().destroyForcibly();
                }
                iperfServer.waitFor(5, TimeUnit.SECONDS);
                dir.close();
            }
        }
    }

    private static void enableOffloadsExceptNode(final Topology topology)
    {
        for (final io.tandem.ffi.Netns ns : topology.namespaces())
        {
            if (ns.name().equals(topology.nodeNs().name()))
            {
                continue;
            }
            for (final String line : ns.ip("-o", "link", "show").split("\n"))
            {
                final String[] fields = line.split(":\\s+|@", 3);
                if (fields.length >= 2 && !fields[1].equals("lo"))
                {
                    try
                    {
                        ns.exec("ethtool", "-K", fields[1], "tx", "on", "gso", "on", "tso", "on", "gro", "on");
                    }
                    catch (final RuntimeException ignore)
                    {
                        // a feature this interface does not have
                    }
                }
            }
        }
    }

    private static String trim(final double percentile)
    {
        return percentile == Math.rint(percentile) ? String.valueOf((long)percentile) : String.valueOf(percentile);
    }

    private void row(final String name, final double via, final double direct)
    {
        out.printf(Locale.ROOT, "%-34s %14.2f %14.2f %10.2f%n", name, via, direct, direct == 0 ? 0 : via / direct);
    }

    private double iperf(final Topology topology, final String address) throws IOException
    {
        final String json = topology.client(1).exec("timeout", String.valueOf(streamSeconds + 20), "iperf3", "-c",
            address, "-p", String.valueOf(IPERF_PORT), "-t", String.valueOf(streamSeconds), "-J");
        final JsonNode result = new ObjectMapper().readTree(json);
        return result.path("end").path("sum_received").path("bits_per_second").asDouble() / 1e9;
    }

    /** @return connections per second; latencies go into {@code histogram}. Bounded to 120 s. */
    private static double shortConnections(
        final Topology topology, final String address, final int port, final int count, final Histogram histogram)
        throws IOException
    {
        final byte[] request = ("GET / HTTP/1.1\r\nHost: " + address + "\r\nConnection: close\r\n\r\n")
            .getBytes(StandardCharsets.US_ASCII);
        final byte[] sink = new byte[4096];
        final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        final long start = System.nanoTime();
        int done = 0;
        for (; done < count && System.nanoTime() < deadline; done++)
        {
            final long t0 = System.nanoTime();
            try (Socket socket = topology.connect(1, address, port, Duration.ofSeconds(5)))
            {
                socket.setSoTimeout(5000);
                final OutputStream o = socket.getOutputStream();
                o.write(request);
                final InputStream in = socket.getInputStream();
                while (in.read(sink) >= 0)
                {
                    // read the response to its end
                }
            }
            histogram.recordValue(System.nanoTime() - t0);
        }
        return done / ((System.nanoTime() - start) / 1e9);
    }
}
