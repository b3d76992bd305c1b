package io.tandem.ffi;

/**
 * An IPv4 neighbour (ARP) entry.
 *
 * @param ifIndex the link's index.
 * @param address the neighbour's address, network order read big-endian: 198.18.0.1 is {@code 0xC6120001}.
 * @param mac     its MAC in the low 48 bits (first byte highest), or {@link #NO_MAC} while unresolved.
 * @param state   NUD_* state ({@link RtNetlink#NUD_REACHABLE}, {@link RtNetlink#NUD_STALE}, ...).
 * @param flags   NTF_* flags.
 */
public record RtNetlinkNeighbour(int ifIndex, int address, long mac, int state, int flags)
{
    /** {@link #mac()} of an entry without a link-layer address (INCOMPLETE, FAILED). */
    public static final long NO_MAC = -1L;

    /**
     * States whose MAC may be used as a next hop: REACHABLE, STALE (the kernel re-confirms it on use), DELAY, PROBE,
     * PERMANENT and NOARP.
     */
    public static final int USABLE_STATES = RtNetlink.NUD_REACHABLE | RtNetlink.NUD_STALE | RtNetlink.NUD_DELAY |
        RtNetlink.NUD_PROBE | RtNetlink.NUD_PERMANENT | RtNetlink.NUD_NOARP;

    /** @return whether the entry has a link-layer address. */
    public boolean hasMac()
    {
        return NO_MAC != mac;
    }

    /** @return whether the entry has a MAC and a state in {@link #USABLE_STATES}. */
    public boolean isUsable()
    {
        return hasMac() && (state & USABLE_STATES) != 0;
    }

    /** @return the state's name as {@code ip neigh} prints it, e.g. {@code REACHABLE}; several joined by '|'. */
    public String stateName()
    {
        return stateName(state);
    }

    /** @return a NUD_* state's name as {@code ip neigh} prints it. */
    public static String stateName(final int state)
    {
        if (RtNetlink.NUD_NONE == state)
        {
            return "NONE";
        }
        final String[] names = {"INCOMPLETE", "REACHABLE", "STALE", "DELAY", "PROBE", "FAILED", "NOARP", "PERMANENT"};
        final StringBuilder text = new StringBuilder();
        for (int bit = 0; bit < names.length; bit++)
        {
            if ((state & (1 << bit)) != 0)
            {
                text.append(text.isEmpty() ? "" : "|").append(names[bit]);
            }
        }
        if ((state & ~0xff) != 0)
        {
            text.append(text.isEmpty() ? "" : "|").append("0x").append(Integer.toHexString(state & ~0xff));
        }
        return text.toString();
    }

    @Override
    public String toString()
    {
        return "RtNetlinkNeighbour[" + NetlinkMessages.formatIpv4(address) + " ifindex " + ifIndex + " " +
            (hasMac() ? NetlinkMessages.formatMac(mac) : "no-mac") + " " + stateName() + " flags 0x" +
            Integer.toHexString(flags) + "]";
    }
}
