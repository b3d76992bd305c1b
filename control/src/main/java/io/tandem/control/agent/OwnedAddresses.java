package io.tandem.control.agent;

import io.tandem.ffi.RtNetlink;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The service addresses (the VIPs and the SNAT address) this node has put on its data interface, as /32s.
 * <p>
 * A node of a pair holds them as leases (address lifetimes of {@code leaseSeconds}) that {@link #renew()} extends
 * while the node is active. This class has a lock of its own, taken after the agent's when both are held, so that:
 * <ul>
 *     <li>a renewal never waits for the agent, whose lock a configuration change may hold for as long as an
 *     {@code nft} run takes; a lease that lapsed there would take the VIP off the active node;</li>
 *     <li>a renewal never puts back an address that {@link #release} or {@link #releaseAll} has just removed, which
 *     would leave a passive node answering for the VIP until the lease ran out.</li>
 * </ul>
 * A standalone node owns its addresses without a lifetime ({@code leaseSeconds} 0), and {@link #renew()} does nothing.
 */
final class OwnedAddresses
{
    private static final int HOST_PREFIX = 32;

    private final RtNetlink netlink;
    private final int ifIndex;
    private final int leaseSeconds;
    private final Set<Integer> owned = new LinkedHashSet<>();

    /**
     * @param netlink      the agent's rtnetlink socket (its calls are serialised by the socket itself).
     * @param ifIndex      the data interface.
     * @param leaseSeconds the lifetime of each address, renewed by {@link #renew()}; 0 for permanent addresses.
     */
    OwnedAddresses(final RtNetlink netlink, final int ifIndex, final int leaseSeconds)
    {
        if (leaseSeconds < 0)
        {
            throw new IllegalArgumentException("leaseSeconds must not be negative: " + leaseSeconds);
        }
        this.netlink = netlink;
        this.ifIndex = ifIndex;
        this.leaseSeconds = leaseSeconds;
    }

    /**
     * Puts the address on the interface (leased, or permanently) and owns it from now on.
     *
     * @return true when the address was added; false when a permanent address was there already (taken over).
     */
    synchronized boolean own(final int address)
    {
        final boolean added;
        if (leaseSeconds > 0)
        {
            netlink.leaseAddress(ifIndex, address, HOST_PREFIX, leaseSeconds);
            added = true;
        }
        else
        {
            added = netlink.addAddressIfAbsent(ifIndex, address, HOST_PREFIX);
        }
        owned.add(address);
        return added;
    }

    /** Takes the address off the interface, owned or not (one a killed agent left behind, say). */
    synchronized void release(final int address)
    {
        netlink.removeAddressIfPresent(ifIndex, address, HOST_PREFIX);
        owned.remove(address);
    }

    /** Takes every owned address off the interface. */
    synchronized void releaseAll()
    {
        for (final int address : List.copyOf(owned))
        {
            release(address);
        }
    }

    /** Extends the lease of every owned address; for a node that is active, every fraction of the lease. */
    synchronized void renew()
    {
        if (0 == leaseSeconds)
        {
            return;
        }
        for (final int address : owned)
        {
            netlink.leaseAddress(ifIndex, address, HOST_PREFIX, leaseSeconds);
        }
    }

    /** @return the addresses owned now, in the order they were taken. */
    synchronized List<Integer> addresses()
    {
        return List.copyOf(owned);
    }

    /** @return the lifetime of each address in seconds; 0 when they are permanent. */
    int leaseSeconds()
    {
        return leaseSeconds;
    }
}
