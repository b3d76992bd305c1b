package io.tandem.bench.core;

import io.tandem.bench.JvmFlags;
import io.tandem.dataplane.flow.FlowTable;
import io.tandem.dataplane.packet.Bytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

/**
 * {@link FlowTable#lookup} in a table at the largest plan: capacity 1 500 000, filled with 1 500 000 connections of
 * random distinct tuples from 198.18.0.0/15 (3 000 000 keys in 2<sup>22</sup> index slots, 64 MiB, load 0.72). The
 * keys looked up are precomputed: 2<sup>20</sup> of them, each a random connection in a random direction
 * ({@link #hit}), or tuples that are in no connection ({@link #miss}, which walks its probe run to an empty slot).
 * One operation is one lookup; consecutive lookups are independent, so the CPU may overlap their cache misses, as it
 * would for the frames of a burst.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@State(Scope.Thread)
public class FlowLookupBenchmark
{
    static final int CONNECTIONS = 1_500_000;
    static final int QUERIES = 1 << 20;
    static final int NETWORK = Bytes.parseIpv4("198.18.0.0");
    static final int HOST_MASK = (1 << 17) - 1;
    static final int[] VIP_PORTS = {80, 443};
    static final int TARGET_PORT = 8080;
    static final int VIPS = 16;
    static final int SNAT_IPS = 4;

    FlowTable table;
    final int[] hitSrc = new int[QUERIES];
    final int[] hitDst = new int[QUERIES];
    final int[] hitPorts = new int[QUERIES];
    final int[] missSrc = new int[QUERIES];
    final int[] missDst = new int[QUERIES];
    final int[] missPorts = new int[QUERIES];
    int cursor;

    /** Fills the table and precomputes the keys; checks that every hit key hits and every miss key misses. */
    @Setup(Level.Trial)
    public void setUp()
    {
        JvmFlags.requireInThisJvm();
        final SplittableRandom random = new SplittableRandom(20_160_316);
        table = new FlowTable(CONNECTIONS, 0x5EED_F10E_7AB1_E000L);
        final int[] clientIp = new int[CONNECTIONS];
        final int[] clientPort = new int[CONNECTIONS];
        final int[] vip = new int[CONNECTIONS];
        final int[] vipPort = new int[CONNECTIONS];
        final int[] targetIp = new int[CONNECTIONS];
        final int[] snatIp = new int[CONNECTIONS];
        final int[] snatPort = new int[CONNECTIONS];
        for (int i = 0; i < CONNECTIONS; i++)
        {
            while (true)
            {
                clientIp[i] = randomHost(random);
                clientPort[i] = 1024 + random.nextInt(65536 - 1024);
                vip[i] = NETWORK + 0x100 + random.nextInt(VIPS);
                vipPort[i] = VIP_PORTS[random.nextInt(VIP_PORTS.length)];
                targetIp[i] = randomHost(random);
                snatIp[i] = NETWORK + 0x1_0000 + 1 + random.nextInt(SNAT_IPS);
                snatPort[i] = 1024 + random.nextInt(65536 - 1024);
                final int recordIndex = table.insert(clientIp[i], clientPort[i], vip[i], vipPort[i],
                    targetIp[i], TARGET_PORT, snatIp[i], snatPort[i]);
                if (recordIndex >= 0)
                {
                    break;
                }
                if (FlowTable.NULL_INDEX == recordIndex)
                {
                    throw new IllegalStateException("table full after " + i + " connections");
                }
            }
        }
        if (table.size() != CONNECTIONS)
        {
            throw new IllegalStateException("table holds " + table.size() + " connections, not " + CONNECTIONS);
        }

        for (int q = 0; q < QUERIES; q++)
        {
            final int i = random.nextInt(CONNECTIONS);
            if (random.nextBoolean())
            {
                hitSrc[q] = clientIp[i];
                hitDst[q] = vip[i];
                hitPorts[q] = clientPort[i] << 16 | vipPort[i];
            }
            else
            {
                hitSrc[q] = targetIp[i];
                hitDst[q] = snatIp[i];
                hitPorts[q] = TARGET_PORT << 16 | snatPort[i];
            }
            if (FlowTable.NULL_INDEX == lookup(hitSrc, hitDst, hitPorts, q))
            {
                throw new IllegalStateException("a key of a connection in the table is not found");
            }

            do
            {
                missSrc[q] = randomHost(random);
                final int other = random.nextInt(CONNECTIONS);
                missDst[q] = random.nextBoolean() ? vip[other] : snatIp[other];
                missPorts[q] = (1024 + random.nextInt(65536 - 1024)) << 16 | random.nextInt(65536);
            }
            while (FlowTable.NULL_INDEX != lookup(missSrc, missDst, missPorts, q));
        }
    }

    private static int randomHost(final SplittableRandom random)
    {
        return NETWORK | (1 + random.nextInt(HOST_MASK - 1));
    }

    private int lookup(final int[] src, final int[] dst, final int[] ports, final int q)
    {
        return table.lookup(src[q], dst[q], ports[q] >>> 16, ports[q] & 0xFFFF);
    }

    /** Frees the table. */
    @TearDown(Level.Trial)
    public void tearDown()
    {
        table.close();
    }

    /** @return the lookup result of a key in the table, either direction. */
    @Benchmark
    public int hit()
    {
        final int q = cursor++ & (QUERIES - 1);
        return table.lookup(hitSrc[q], hitDst[q], hitPorts[q] >>> 16, hitPorts[q] & 0xFFFF);
    }

    /** @return the lookup result of a key in no connection. */
    @Benchmark
    public int miss()
    {
        final int q = cursor++ & (QUERIES - 1);
        return table.lookup(missSrc[q], missDst[q], missPorts[q] >>> 16, missPorts[q] & 0xFFFF);
    }
}
