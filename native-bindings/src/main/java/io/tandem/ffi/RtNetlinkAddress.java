package io.tandem.ffi;

/**
 * An IPv4 address on a link.
 *
 * @param ifIndex      the link's index.
 * @param address      the (local) address, network order read big-endian: 198.18.0.1 is {@code 0xC6120001}.
 * @param prefixLength 0 to 32.
 * @param label        the label ({@code eth0}, {@code eth0:vip}), or "".
 * @param flags        IFA_F_* flags.
 * @param scope        RT_SCOPE_* (0 global, 253 link, 254 host).
 */
public record RtNetlinkAddress(int ifIndex, int address, int prefixLength, String label, int flags, int scope)
{
    @Override
    public String toString()
    {
        return "RtNetlinkAddress[" + NetlinkMessages.formatIpv4(address) + "/" + prefixLength + " ifindex " +
            ifIndex + (label.isEmpty() ? "" : " label " + label) + " scope " + scope + " flags 0x" +
            Integer.toHexString(flags) + "]";
    }
}
