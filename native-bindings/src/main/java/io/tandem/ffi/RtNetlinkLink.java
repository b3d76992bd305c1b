package io.tandem.ffi;

/**
 * A link (network interface) as rtnetlink reports it.
 *
 * @param index     the interface index.
 * @param name      the interface name.
 * @param type      ARPHRD_* (1 Ethernet, 772 loopback).
 * @param flags     IFF_* flags ({@link RtNetlink#IFF_UP}, {@link RtNetlink#IFF_RUNNING},
 *                  {@link RtNetlink#IFF_LOWER_UP}, ...).
 * @param mtu       the MTU in bytes, or 0 when not reported.
 * @param mac       the 6-byte hardware address in the low 48 bits (first byte highest), or {@link #NO_MAC} when the
 *                  link has none of 6 bytes.
 * @param operState RFC 2863 operational state, IF_OPER_* ({@link RtNetlink#IF_OPER_UP} is 6).
 * @param kind      the link kind ("veth", "bridge", ...), or "" for physical devices and loopback.
 */
public record RtNetlinkLink(int index, String name, int type, int flags, int mtu, long mac, int operState, String kind)
{
    /** {@link #mac()} of a link without an Ethernet address. */
    public static final long NO_MAC = -1L;

    /** @return whether the link has a 6-byte hardware address. */
    public boolean hasMac()
    {
        return NO_MAC != mac;
    }

    /** @return whether the link is administratively up (IFF_UP). */
    public boolean isUp()
    {
        return (flags & RtNetlink.IFF_UP) != 0;
    }

    /** @return whether the link is operationally up (IFF_RUNNING). */
    public boolean isRunning()
    {
        return (flags & RtNetlink.IFF_RUNNING) != 0;
    }

    /** @return whether the driver signals carrier (IFF_LOWER_UP). */
    public boolean isLowerUp()
    {
        return (flags & RtNetlink.IFF_LOWER_UP) != 0;
    }

    @Override
    public String toString()
    {
        return "RtNetlinkLink[" + index + ": " + name + (kind.isEmpty() ? "" : " (" + kind + ")") +
            " mtu " + mtu + " " + (hasMac() ? NetlinkMessages.formatMac(mac) : "no-mac") +
            " flags 0x" + Integer.toHexString(flags) + " operstate " + operState + "]";
    }
}
