package io.tandem.dataplane.snapshot;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.status.TrafficCounters;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything a worker needs to forward, as one immutable, versioned object: the node's MAC and SNAT address, the
 * plan's connection cap, listeners, target pools and next hops. Built by the control plane with {@link #builder()};
 * published to workers through {@link SnapshotExchange}. Lookups are allocation-free.
 */
public final class ForwardingSnapshot
{
    /** Returned by {@link #listenerIndex(int, int)} when no listener matches. */
    public static final int NO_LISTENER = -1;
    /** Most listeners a load balancer may have. */
    public static final int MAX_LISTENERS = 20;
    /** Most target pools a load balancer may have. */
    public static final int MAX_POOLS = 20;

    private final long version;
    private final long nodeMac;
    private final int snatIp;
    private final long maxConnections;
    private final boolean forwarding;
    private final Listener[] listeners;
    private final int[] listenerVips;
    private final int[] listenerPorts;
    private final int[] vips;
    private final TargetPool[] pools;
    private final NextHops nextHops;

    private ForwardingSnapshot(final Builder b, final Listener[] listeners, final TargetPool[] pools)
    {
        this.version = b.version;
        this.nodeMac = b.nodeMac;
        this.snatIp = b.snatIp;
        this.maxConnections = b.maxConnections;
        this.forwarding = b.forwarding;
        this.listeners = listeners;
        this.pools = pools;
        this.nextHops = b.nextHops;
        this.listenerVips = new int[listeners.length];
        this.listenerPorts = new int[listeners.length];
        final List<Integer> distinct = new ArrayList<>();
        for (int i = 0; i < listeners.length; i++)
        {
            listenerVips[i] = listeners[i].vip();
            listenerPorts[i] = listeners[i].port();
            if (!distinct.contains(listeners[i].vip()))
            {
                distinct.add(listeners[i].vip());
            }
        }
        this.vips = distinct.stream().mapToInt(Integer::intValue).toArray();
    }

    /** @return a new builder. */
    public static Builder builder()
    {
        return new Builder();
    }

    /** @return version of this snapshot; increases with every publication. */
    public long version()
    {
        return version;
    }

    /** @return the MAC of the data interface: source of every frame sent. */
    public long nodeMac()
    {
        return nodeMac;
    }

    /** @return the SNAT address connections to targets come from. */
    public int snatIp()
    {
        return snatIp;
    }

    /** @return the plan's cap on concurrent connections of this node. */
    public long maxConnections()
    {
        return maxConnections;
    }

    /** @return the next hops. */
    public NextHops nextHops()
    {
        return nextHops;
    }

    /**
     * @return true when the node is the active one and forwards; false on the passive node, whose workers drop the
     * balancer's frames (counted) and only keep the connections replicated to them.
     */
    public boolean forwarding()
    {
        return forwarding;
    }

    /** @return number of listeners. */
    public int listenerCount()
    {
        return listeners.length;
    }

    /** @return listener {@code i}. */
    public Listener listener(final int i)
    {
        return listeners[i];
    }

    /** @return number of pools. */
    public int poolCount()
    {
        return pools.length;
    }

    /** @return pool {@code i}. */
    public TargetPool pool(final int i)
    {
        return pools[i];
    }

    /**
     * @param ip a destination address.
     * @return true when it is one of the listeners' VIPs.
     */
    public boolean isVip(final int ip)
    {
        final int[] vips = this.vips;
        for (int i = 0; i < vips.length; i++)
        {
            if (vips[i] == ip)
            {
                return true;
            }
        }
        return false;
    }

    /**
     * @param vip  destination address.
     * @param port destination port.
     * @return index of the listener, or {@link #NO_LISTENER}.
     */
    public int listenerIndex(final int vip, final int port)
    {
        final int[] vips = listenerVips;
        final int[] ports = listenerPorts;
        for (int i = 0; i < vips.length; i++)
        {
            if (vips[i] == vip && ports[i] == port)
            {
                return i;
            }
        }
        return NO_LISTENER;
    }

    /** Builds a {@link ForwardingSnapshot}; validates references. Not thread-safe. */
    public static final class Builder
    {
        private long version;
        private long nodeMac;
        private int snatIp;
        private long maxConnections = 10_000;
        private boolean forwarding = true;
        private NextHops nextHops = NextHops.builder().build();
        private final List<PoolSpec> pools = new ArrayList<>();
        private final List<ListenerSpec> listeners = new ArrayList<>();

        private record PoolSpec(
            String name, int targetPort, int[] ips, int[] slots, boolean[] healthy, boolean persistence)
        {
        }

        private record ListenerSpec(String name, int vip, int port, String pool, long idleTimeoutNs, String[] acl)
        {
        }

        /** @param version of the snapshot. */
        public Builder version(final long version)
        {
            this.version = version;
            return this;
        }

        /** @param mac of the data interface. */
        public Builder nodeMac(final long mac)
        {
            this.nodeMac = mac;
            return this;
        }

        /** @param ip the SNAT address. */
        public Builder snatIp(final int ip)
        {
            this.snatIp = ip;
            return this;
        }

        /** @param forwarding false for a passive node's snapshot; true (the default) for an active one. */
        public Builder forwarding(final boolean forwarding)
        {
            this.forwarding = forwarding;
            return this;
        }

        /** @param max the plan's cap on concurrent connections. */
        public Builder maxConnections(final long max)
        {
            this.maxConnections = max;
            return this;
        }

        /** @param nextHops the next hops. */
        public Builder nextHops(final NextHops nextHops)
        {
            this.nextHops = nextHops;
            return this;
        }

        /**
         * Adds a target pool.
         *
         * @param name                unique name.
         * @param targetPort          port on the targets.
         * @param targetIps           target addresses.
         * @param healthy             health of each target, same length.
         * @param sourceIpPersistence Maglev on the client address instead of round robin.
         */
        public Builder pool(
            final String name,
            final int targetPort,
            final int[] targetIps,
            final boolean[] healthy,
            final boolean sourceIpPersistence)
        {
            return pool(name, targetPort, targetIps, new int[targetIps.length], healthy, sourceIpPersistence);
        }

        /**
         * Adds a target pool whose targets have traffic-count slots of their own.
         *
         * @param name                unique name.
         * @param targetPort          port on the targets.
         * @param targetIps           target addresses.
         * @param targetSlots         each target's slot in {@link io.tandem.dataplane.status.TrafficCounters}.
         * @param healthy             health of each target, same length.
         * @param sourceIpPersistence Maglev on the client address instead of round robin.
         */
        public Builder pool(
            final String name,
            final int targetPort,
            final int[] targetIps,
            final int[] targetSlots,
            final boolean[] healthy,
            final boolean sourceIpPersistence)
        {
            if (targetIps.length != healthy.length || targetIps.length != targetSlots.length)
            {
                throw new IllegalArgumentException("pool " + name + ": one health flag and one slot per target");
            }
            for (final int slot : targetSlots)
            {
                if (slot < 0 || slot >= TrafficCounters.TARGET_SLOTS)
                {
                    throw new IllegalArgumentException("pool " + name + ": target slot out of range: " + slot);
                }
            }
            pools.add(new PoolSpec(
                name, targetPort, targetIps.clone(), targetSlots.clone(), healthy.clone(), sourceIpPersistence));
            return this;
        }

        /**
         * Adds a listener.
         *
         * @param name          name for status and logs.
         * @param vip           the VIP.
         * @param port          the TCP port.
         * @param pool          name of the target pool.
         * @param idleTimeoutNs idle timeout.
         * @param allowedCidrs  allowed source ranges as {@code a.b.c.d/len}; none allows every source.
         */
        public Builder listener(
            final String name,
            final int vip,
            final int port,
            final String pool,
            final long idleTimeoutNs,
            final String... allowedCidrs)
        {
            listeners.add(new ListenerSpec(name, vip, port, pool, idleTimeoutNs, allowedCidrs.clone()));
            return this;
        }

        /**
         * @return the snapshot.
         * @throws IllegalArgumentException when a listener names an unknown pool, two listeners share a VIP and
         *                                  port, names repeat, limits are exceeded, or a range is malformed.
         */
        public ForwardingSnapshot build()
        {
            if (listeners.size() > MAX_LISTENERS || pools.size() > MAX_POOLS)
            {
                throw new IllegalArgumentException("at most " + MAX_LISTENERS + " listeners and " + MAX_POOLS +
                    " pools");
            }
            final Map<String, Integer> poolIndex = new HashMap<>();
            final TargetPool[] builtPools = new TargetPool[pools.size()];
            for (int i = 0; i < builtPools.length; i++)
            {
                final PoolSpec p = pools.get(i);
                if (poolIndex.put(p.name(), i) != null)
                {
                    throw new IllegalArgumentException("duplicate pool name: " + p.name());
                }
                builtPools[i] = new TargetPool(
                    p.name(), p.targetPort(), p.ips(), p.slots(), p.healthy(), p.persistence());
            }
            final Listener[] builtListeners = new Listener[listeners.size()];
            for (int i = 0; i < builtListeners.length; i++)
            {
                final ListenerSpec l = listeners.get(i);
                final Integer index = poolIndex.get(l.pool());
                if (null == index)
                {
                    throw new IllegalArgumentException("listener " + l.name() + ": unknown pool " + l.pool());
                }
                for (int j = 0; j < i; j++)
                {
                    if (builtListeners[j].vip() == l.vip() && builtListeners[j].port() == l.port())
                    {
                        throw new IllegalArgumentException("listener " + l.name() + ": " +
                            Bytes.ipv4ToString(l.vip()) + ":" + l.port() + " is already used by " +
                            builtListeners[j].name());
                    }
                }
                final int[] networks = new int[l.acl().length];
                final int[] masks = new int[l.acl().length];
                for (int j = 0; j < networks.length; j++)
                {
                    final long cidr = parseCidr(l.acl()[j]);
                    masks[j] = (int)(cidr >>> 32);
                    networks[j] = (int)cidr & masks[j];
                }
                builtListeners[i] = new Listener(l.name(), l.vip(), l.port(), index, l.idleTimeoutNs(), networks, masks);
            }
            return new ForwardingSnapshot(this, builtListeners, builtPools);
        }

        /**
         * @param cidr {@code a.b.c.d/len}.
         * @return mask in the high 32 bits, address in the low 32 bits.
         */
        static long parseCidr(final String cidr)
        {
            final int slash = cidr.indexOf('/');
            if (slash < 0)
            {
                throw new IllegalArgumentException("not a CIDR range (a.b.c.d/len): '" + cidr + "'");
            }
            final int address = Bytes.parseIpv4(cidr.substring(0, slash));
            final int length;
            try
            {
                length = Integer.parseInt(cidr.substring(slash + 1));
            }
            catch (final NumberFormatException ex)
            {
                throw new IllegalArgumentException("not a CIDR range (a.b.c.d/len): '" + cidr + "'", ex);
            }
            if (length < 0 || length > 32)
            {
                throw new IllegalArgumentException("CIDR prefix length must be 0..32: '" + cidr + "'");
            }
            final int mask = length == 0 ? 0 : -1 << (32 - length);
            return ((long)mask << 32) | (address & 0xFFFF_FFFFL);
        }
    }
}
