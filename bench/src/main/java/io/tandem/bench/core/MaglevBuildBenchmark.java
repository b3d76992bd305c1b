package io.tandem.bench.core;

import io.tandem.bench.JvmFlags;
import io.tandem.dataplane.maglev.MaglevTable;
import io.tandem.dataplane.packet.Bytes;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.util.concurrent.TimeUnit;

/**
 * Building a Maglev table of {@value MaglevTable#TABLE_SIZE} slots over N targets with a reused
 * {@link MaglevTable.Builder}, as the control plane does when a pool's health changes. The Maglev paper reports
 * 1.8 ms for 1000 backends (M = 65537); the goal is 2 ms. Each build allocates its own table (a 256 KiB direct
 * buffer, zeroed) and a copy of the keys: control-plane work, not the forwarding path.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@State(Scope.Thread)
public class MaglevBuildBenchmark
{
    /** Number of targets. */
    @Param({"100", "1000"})
    public int targets;

    long[] keys;
    MaglevTable.Builder builder;

    /** Target keys as {@link io.tandem.dataplane.snapshot.TargetPool} forms them: 198.18.4.0 + i, port 8080. */
    @Setup(Level.Trial)
    public void setUp()
    {
        JvmFlags.requireInThisJvm();
        final int first = Bytes.parseIpv4("198.18.4.0");
        keys = new long[targets];
        for (int i = 0; i < targets; i++)
        {
            keys[i] = ((long)(first + i) << 16) | 8080;
        }
        builder = new MaglevTable.Builder(targets);
        final MaglevTable table = builder.build(keys, targets);
        if (table.backendCount() != targets || table.lookup(0) == MaglevTable.NULL_INDEX)
        {
            throw new IllegalStateException("Maglev table over " + targets + " targets is malformed");
        }
    }

    /** @return a table over the targets. */
    @Benchmark
    public MaglevTable build()
    {
        return builder.build(keys, targets);
    }
}
