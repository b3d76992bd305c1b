package io.tandem.control.election;

import io.tandem.ffi.Netns;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * Shared by the election's namespace tests: two namespaces joined by a veth pair, and a listener that records role
 * changes with the time they happened.
 */
final class VrrpFixtures
{
    /** Side A of the pair: keepalived, or a second speaker, or the sender of crafted packets. */
    static final String A_ADDRESS = "198.18.51.1";
    /** Side B of the pair: the Tandem speaker under test. */
    static final String B_ADDRESS = "198.18.51.2";
    /** A second address on side A that is not the configured peer. */
    static final String A_OTHER_ADDRESS = "198.18.51.3";
    /** The virtual address both sides list in their advertisements. */
    static final String VIRTUAL_ADDRESS = "198.18.51.100";
    static final String A_INTERFACE = "tvrka";
    static final String B_INTERFACE = "tvrkb";
    static final int ROUTER_ID = 51;

    private VrrpFixtures()
    {
    }

    /**
     * Two namespaces with a veth pair between them, {@link #A_ADDRESS}/24 on A and {@link #B_ADDRESS}/24 on B.
     */
    static final class Pair implements AutoCloseable
    {
        final Netns a;
        final Netns b;

        Pair(final String label)
        {
            a = Netns.create(label + "a");
            Netns created = null;
            try
            {
                created = Netns.create(label + "b");
                Netns.veth(a, A_INTERFACE, created, B_INTERFACE);
                a.ip("addr", "add", A_ADDRESS + "/24", "dev", A_INTERFACE);
                created.ip("addr", "add", B_ADDRESS + "/24", "dev", B_INTERFACE);
            }
            catch (final RuntimeException ex)
            {
                if (null != created)
                {
                    created.close();
                }
                a.close();
                throw ex;
            }
            b = created;
        }

        /** @return the speaker for {@code config}, constructed on B's namespace thread (its socket lives in B). */
        VrrpSpeaker speakerInB(final VrrpConfig config, final VrrpListener listener) throws Exception
        {
            return b.call(() -> new VrrpSpeaker(config, listener));
        }

        /** @return the speaker for {@code config}, constructed on A's namespace thread. */
        VrrpSpeaker speakerInA(final VrrpConfig config, final VrrpListener listener) throws Exception
        {
            return a.call(() -> new VrrpSpeaker(config, listener));
        }

        @Override
        public void close()
        {
            try
            {
                b.close();
            }
            finally
            {
                a.close();
            }
        }
    }

    /** B's configuration: Tandem, unicast to A or multicast, VRID 51, listing {@link #VIRTUAL_ADDRESS}. */
    static VrrpConfig tandemInB(final boolean unicast, final int priority)
    {
        return VrrpConfig.of(B_INTERFACE, B_ADDRESS, unicast ? A_ADDRESS : null, ROUTER_ID, priority)
            .withVirtualAddresses(List.of(VIRTUAL_ADDRESS));
    }

    /** A's configuration for a second Tandem speaker. */
    static VrrpConfig tandemInA(final boolean unicast, final int priority)
    {
        return VrrpConfig.of(A_INTERFACE, A_ADDRESS, unicast ? B_ADDRESS : null, ROUTER_ID, priority)
            .withVirtualAddresses(List.of(VIRTUAL_ADDRESS));
    }

    /** A role change as the listener saw it. */
    record Change(VrrpRole role, String reason, long nanoTime)
    {
    }

    /** Records every role change with {@link System#nanoTime()}. */
    static final class Recorder implements VrrpListener
    {
        private final List<Change> changes = new ArrayList<>();

        @Override
        public synchronized void onRoleChange(final VrrpRole newRole, final String reason)
        {
            changes.add(new Change(newRole, reason, System.nanoTime()));
            notifyAll();
        }

        synchronized List<Change> changes()
        {
            return List.copyOf(changes);
        }

        synchronized List<VrrpRole> roles()
        {
            return changes.stream().map(Change::role).toList();
        }

        /**
         * Waits for a change to {@code role} after the first {@code skip} changes.
         *
         * @return the change.
         * @throws AssertionError when none comes within {@code timeoutMs}.
         */
        synchronized Change await(final VrrpRole role, final int skip, final long timeoutMs)
            throws InterruptedException
        {
            final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (true)
            {
                for (int i = skip; i < changes.size(); i++)
                {
                    if (changes.get(i).role() == role)
                    {
                        return changes.get(i);
                    }
                }
                final long leftNs = deadline - System.nanoTime();
                if (leftNs <= 0)
                {
                    throw new AssertionError("no change to " + role + " within " + timeoutMs + " ms; changes: " +
                        changes);
                }
                TimeUnit.NANOSECONDS.timedWait(this, leftNs);
            }
        }

        /** @return how many changes were recorded: a mark to {@link #await} changes after. */
        synchronized int size()
        {
            return changes.size();
        }
    }

    /**
     * Waits until {@code condition} holds, checking every 10 ms.
     *
     * @throws AssertionError naming {@code what} when it does not within {@code timeoutMs}.
     */
    static void await(final String what, final long timeoutMs, final BooleanSupplier condition)
        throws InterruptedException
    {
        final long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
        while (!condition.getAsBoolean())
        {
            if (System.nanoTime() > deadline)
            {
                throw new AssertionError("not within " + timeoutMs + " ms: " + what);
            }
            Thread.sleep(10);
        }
    }

    /** @return milliseconds between two {@link System#nanoTime()} readings, with one decimal. */
    static double ms(final long fromNs, final long toNs)
    {
        return Math.round((toNs - fromNs) / 100_000.0) / 10.0;
    }
}
