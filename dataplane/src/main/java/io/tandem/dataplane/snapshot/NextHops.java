package io.tandem.dataplane.snapshot;

import org.agrona.collections.Long2LongHashMap;

/**
 * Where frames go at layer 2: the MAC of each on-link neighbour and of the default gateway, and the on-link network
 * of the data interface. Immutable once built. The {@link #epoch()} changes whenever any MAC changes, so that
 * connections can cache their next hops and re-resolve only when the epoch moves.
 */
public final class NextHops
{
    /** Returned by {@link #resolve(int)} when no next hop is known. */
    public static final long NO_MAC = -1L;

    private final int epoch;
    private final int network;
    private final int networkMask;
    private final long gatewayMac;
    private final Long2LongHashMap neighbours;

    private NextHops(
        final int epoch, final int network, final int networkMask, final long gatewayMac,
        final Long2LongHashMap neighbours)
    {
        this.epoch = epoch;
        this.network = network;
        this.networkMask = networkMask;
        this.gatewayMac = gatewayMac;
        this.neighbours = neighbours;
    }

    /** @return a builder. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return the epoch: equal epochs resolve every address alike. */
    public int epoch()
    {
        return epoch;
    }

    /**
     * Resolves the next hop for a destination: the neighbour's own MAC when it is on-link, else the gateway's.
     * Allocation-free.
     *
     * @param ip destination address.
     * @return MAC in the low 48 bits, or {@link #NO_MAC}.
     */
    public long resolve(final int ip)
    {
        final long mac = neighbours.get(ip);
        if (NO_MAC != mac)
        {
            return mac;
        }
        return (ip & networkMask) == network ? NO_MAC : gatewayMac;
    }

    /** Builds {@link NextHops}. Not thread-safe. */
    public static final class Builder
    {
        private int epoch;
        private int network;
        private int networkMask = -1;
        private long gatewayMac = NO_MAC;
        private final Long2LongHashMap neighbours = new Long2LongHashMap(NO_MAC);

        /** @param epoch of the table; must change when any MAC changes. */
        public Builder epoch(final int epoch)
        {
            this.epoch = epoch;
            return this;
        }

        /**
         * @param address      an address on the data interface's network.
         * @param prefixLength of the network, 0..32.
         */
        public Builder localNetwork(final int address, final int prefixLength)
        {
            if (prefixLength < 0 || prefixLength > 32)
            {
                throw new IllegalArgumentException("prefix length must be 0..32: " + prefixLength);
            }
            this.networkMask = prefixLength == 0 ? 0 : -1 << (32 - prefixLength);
            this.network = address & networkMask;
            return this;
        }

        /** @param mac of the default gateway, used for destinations off the local network. */
        public Builder gatewayMac(final long mac)
        {
            this.gatewayMac = mac;
            return this;
        }

        /**
         * @param ip  a neighbour's address.
         * @param mac its MAC.
         */
        public Builder neighbour(final int ip, final long mac)
        {
            neighbours.put(ip, mac);
            return this;
        }

        /** @return the next hops. */
        public NextHops build()
        {
            final Long2LongHashMap copy = new Long2LongHashMap(NO_MAC);
            copy.putAll(neighbours);
            return new NextHops(epoch, network, networkMask, gatewayMac, copy);
        }
    }
}
