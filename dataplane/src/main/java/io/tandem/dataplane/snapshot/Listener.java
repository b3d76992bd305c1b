package io.tandem.dataplane.snapshot;

/**
 * A listener in the snapshot: VIP and port, the pool it forwards to, its idle timeout and its access control list.
 * Immutable.
 */
public final class Listener
{
    private final String name;
    private final int vip;
    private final int port;
    private final int poolIndex;
    private final long idleTimeoutNs;
    private final int[] aclNetworks;
    private final int[] aclMasks;

    Listener(
        final String name,
        final int vip,
        final int port,
        final int poolIndex,
        final long idleTimeoutNs,
        final int[] aclNetworks,
        final int[] aclMasks)
    {
        this.name = name;
        this.vip = vip;
        this.port = port;
        this.poolIndex = poolIndex;
        this.idleTimeoutNs = idleTimeoutNs;
        this.aclNetworks = aclNetworks;
        this.aclMasks = aclMasks;
    }

    /** @return the listener's name (for status and logs). */
    public String name()
    {
        return name;
    }

    /** @return the VIP. */
    public int vip()
    {
        return vip;
    }

    /** @return the TCP port. */
    public int port()
    {
        return port;
    }

    /** @return index of the target pool in {@link ForwardingSnapshot#pool(int)}. */
    public int poolIndex()
    {
        return poolIndex;
    }

    /** @return idle timeout of connections through this listener. */
    public long idleTimeoutNs()
    {
        return idleTimeoutNs;
    }

    /** @return number of allowed source ranges; zero means every source is allowed. */
    public int aclRangeCount()
    {
        return aclNetworks.length;
    }

    /**
     * @param sourceIp a client's address.
     * @return true when the client may connect: no ranges configured, or the address lies in one.
     */
    public boolean allows(final int sourceIp)
    {
        final int[] networks = aclNetworks;
        if (networks.length == 0)
        {
            return true;
        }
        final int[] masks = aclMasks;
        for (int i = 0; i < networks.length; i++)
        {
            if ((sourceIp & masks[i]) == networks[i])
            {
                return true;
            }
        }
        return false;
    }
}
