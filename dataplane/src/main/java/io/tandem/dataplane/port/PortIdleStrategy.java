package io.tandem.dataplane.port;

import org.agrona.concurrent.IdleStrategy;

/**
 * Idles a worker that found no work: first it spins ({@link Thread#onSpinWait()}), then it yields, and then it
 * blocks in {@link PacketPort#awaitReceive(int)} (poll(2) on the RX ring) for at most {@code pollTimeoutMs} per call,
 * until a duty cycle does work again.
 * <p>
 * The trade-off: a spinning worker reacts within nanoseconds but burns a whole core, which on the 2-vCPU appliance
 * starves the control plane, the kernel's softirqs that fill the ring, and the other worker. Blocking costs nearly
 * nothing while idle, and the first frame after a quiet spell pays a wake-up: with a TPACKET_V2 ring, which wakes the
 * poller per frame, 30–400 µs (medians of 190–300) from the peer's kick until {@code receive()} returned the frame,
 * measured on the 2-vCPU VM; with a TPACKET_V3 ring also the wait for the kernel to hand its block over (up to the
 * block timeout, 2 ms by default; medians of 0.59–1.7 ms measured). Under load the worker never reaches the blocking
 * stage, because every duty cycle finds frames. The spin and yield phases bridge short gaps
 * inside a burst without a syscall. {@code pollTimeoutMs} bounds how late timers (idle timeouts, handshake
 * timeouts, the timer wheel's ticks) run on a quiet worker: keep it at or below the timer tick (10 ms).
 * <p>
 * Not thread-safe: one per worker, used by its {@code AgentRunner}. Allocation-free.
 */
public final class PortIdleStrategy implements IdleStrategy
{
    /** Default spins before yielding. */
    public static final int DEFAULT_MAX_SPINS = 100;
    /** Default yields before blocking. */
    public static final int DEFAULT_MAX_YIELDS = 20;
    /** Default longest block in poll(2). */
    public static final int DEFAULT_POLL_TIMEOUT_MS = 10;

    private final PacketPort port;
    private final int maxSpins;
    private final int maxYields;
    private final int pollTimeoutMs;
    private int spins;
    private int yields;

    /**
     * With the defaults: 100 spins, 20 yields, then poll for at most 10 ms at a time.
     *
     * @param port whose receive ring to wait on.
     */
    public PortIdleStrategy(final PacketPort port)
    {
        this(port, DEFAULT_MAX_SPINS, DEFAULT_MAX_YIELDS, DEFAULT_POLL_TIMEOUT_MS);
    }

    /**
     * @param port          whose receive ring to wait on.
     * @param maxSpins      idle calls that spin before yielding, >= 0.
     * @param maxYields     idle calls that yield before blocking, >= 0.
     * @param pollTimeoutMs longest wait of one idle call once blocking, >= 0 (0 polls without waiting).
     */
    public PortIdleStrategy(final PacketPort port, final int maxSpins, final int maxYields, final int pollTimeoutMs)
    {
        if (null == port || maxSpins < 0 || maxYields < 0 || pollTimeoutMs < 0)
        {
            throw new IllegalArgumentException("port idle strategy: need a port and counts and timeout >= 0");
        }
        this.port = port;
        this.maxSpins = maxSpins;
        this.maxYields = maxYields;
        this.pollTimeoutMs = pollTimeoutMs;
    }

    @Override
    public void idle(final int workCount)
    {
        if (workCount > 0)
        {
            reset();
        }
        else
        {
            idle();
        }
    }

    @Override
    public void idle()
    {
        if (spins < maxSpins)
        {
            spins++;
            Thread.onSpinWait();
        }
        else if (yields < maxYields)
        {
            yields++;
            Thread.yield();
        }
        else
        {
            // stays in this phase until a duty cycle does work: no spinning again after a timed-out wait
            port.awaitReceive(pollTimeoutMs);
        }
    }

    @Override
    public void reset()
    {
        spins = 0;
        yields = 0;
    }

    @Override
    public String alias()
    {
        return "port-poll";
    }

    @Override
    public String toString()
    {
        return "PortIdleStrategy{maxSpins=" + maxSpins + ", maxYields=" + maxYields + ", pollTimeoutMs=" +
            pollTimeoutMs + "}";
    }
}
