package io.tandem.control.election;

import io.tandem.dataplane.packet.Bytes;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * What one {@link VrrpSpeaker} needs: the interface and addresses it speaks on and the virtual router's settings.
 * Validated on construction; immutable (the key and the address list are copies).
 * <p>
 * keepalived compatibility: with the same {@code routerId}, {@code advertIntervalCs} ({@code advert_int} × 100),
 * {@code virtualAddresses} in the same order as its {@code virtual_ipaddress} block (keepalived drops an
 * advertisement whose address count differs from its own, and checks that each of its addresses is listed), no key,
 * and for unicast each side's {@code localAddress} as the other's peer ({@code unicast_src_ip} /
 * {@code unicast_peer}).
 *
 * @param interfaceName    the interface advertisements are sent and received on, e.g. {@code eth1}.
 * @param localAddress     this node's primary IPv4 address on it, dotted quad: the source of advertisements and the
 *                         tie-break when priorities are equal.
 * @param peerAddress      the peer's IPv4 address for unicast advertisements, which are then accepted from it only;
 *                         null for multicast to 224.0.0.18, accepted from anyone.
 * @param routerId         virtual router id (VRID), 1..255; both nodes must use the same.
 * @param priority         1..254; the higher wins.
 * @param preempt          whether a backup takes over from a master of lower priority; {@link #DEFAULT_PREEMPT}.
 * @param advertIntervalCs advertisement interval in centiseconds, 1..4095; {@link #DEFAULT_ADVERT_INTERVAL_CS}.
 * @param key              HMAC-SHA256 key for the MAC trailer, at least {@link #MIN_KEY_LENGTH} bytes; null for
 *                         none. With a key, advertisements without a valid MAC are dropped.
 * @param virtualAddresses the virtual addresses listed in advertisements, dotted quads, at most 255, no duplicates.
 */
public record VrrpConfig(
    String interfaceName, String localAddress, String peerAddress, int routerId, int priority, boolean preempt,
    int advertIntervalCs, byte[] key, List<String> virtualAddresses)
{
    /** Preemption is off unless asked for: a recovered node does not take the role back (and flap the pair). */
    public static final boolean DEFAULT_PREEMPT = false;
    /** 100 ms: a master that dies is replaced within about 3 × 100 ms + skew. */
    public static final int DEFAULT_ADVERT_INTERVAL_CS = 10;
    /** Shortest key accepted: 128 bits. */
    public static final int MIN_KEY_LENGTH = 16;

    /**
     * Validates and copies.
     *
     * @throws IllegalArgumentException naming the field that is missing or out of range.
     */
    public VrrpConfig
    {
        if (null == interfaceName || interfaceName.isEmpty() || interfaceName.length() > 15 ||
            interfaceName.contains("/") || interfaceName.chars().anyMatch(Character::isWhitespace))
        {
            throw new IllegalArgumentException("interfaceName must be an interface name of 1..15 characters without " +
                "'/' or blanks: " + (null == interfaceName ? "null" : "'" + interfaceName + "'"));
        }
        final int local = unicast("localAddress", localAddress);
        if (null != peerAddress && unicast("peerAddress", peerAddress) == local)
        {
            throw new IllegalArgumentException("peerAddress must differ from localAddress: " + peerAddress);
        }
        if (routerId < 1 || routerId > 255)
        {
            throw new IllegalArgumentException("routerId must be 1..255: " + routerId);
        }
        if (priority < 1 || priority > VrrpStateMachine.MAX_PRIORITY)
        {
            throw new IllegalArgumentException("priority must be 1.." + VrrpStateMachine.MAX_PRIORITY +
                " (255, the address owner's, is not supported): " + priority);
        }
        if (advertIntervalCs < 1 || advertIntervalCs > VrrpAdvertisement.MAX_ADVERT_INTERVAL_CS)
        {
            throw new IllegalArgumentException("advertIntervalCs must be 1.." +
                VrrpAdvertisement.MAX_ADVERT_INTERVAL_CS + " centiseconds: " + advertIntervalCs);
        }
        if (null != key && key.length < MIN_KEY_LENGTH)
        {
            throw new IllegalArgumentException("key must be at least " + MIN_KEY_LENGTH + " bytes, not " +
                key.length);
        }
        key = null == key ? null : key.clone();
        if (null == virtualAddresses)
        {
            throw new IllegalArgumentException("virtualAddresses must not be null (an empty list lists none)");
        }
        virtualAddresses = List.copyOf(virtualAddresses);
        if (virtualAddresses.size() > VrrpAdvertisement.MAX_ADDRESSES)
        {
            throw new IllegalArgumentException("virtualAddresses: at most " + VrrpAdvertisement.MAX_ADDRESSES +
                ", not " + virtualAddresses.size());
        }
        final Set<Integer> seen = new HashSet<>();
        for (final String address : virtualAddresses)
        {
            if (!seen.add(unicast("virtualAddresses", address)))
            {
                throw new IllegalArgumentException("virtualAddresses lists " + address + " twice");
            }
        }
    }

    /**
     * A configuration with the defaults: preemption off, 100 ms interval, no key, no virtual addresses.
     *
     * @throws IllegalArgumentException naming the field that is missing or out of range.
     */
    public static VrrpConfig of(
        final String interfaceName, final String localAddress, final String peerAddress, final int routerId,
        final int priority)
    {
        return new VrrpConfig(interfaceName, localAddress, peerAddress, routerId, priority, DEFAULT_PREEMPT,
            DEFAULT_ADVERT_INTERVAL_CS, null, List.of());
    }

    private static int unicast(final String field, final String address)
    {
        if (null == address)
        {
            throw new IllegalArgumentException(field + " must not be null");
        }
        final int value;
        try
        {
            value = Bytes.parseIpv4(address);
        }
        catch (final IllegalArgumentException ex)
        {
            throw new IllegalArgumentException(field + " must be an IPv4 address in dotted-quad form: '" + address +
                "'", ex);
        }
        final int first = value >>> 24;
        if (value == 0 || first == 0 || first == 127 || first >= 224)
        {
            throw new IllegalArgumentException(field + " must be a unicast IPv4 address (not 0.x, loopback, " +
                "multicast or broadcast): " + address);
        }
        return value;
    }

    /** @return a copy of this configuration with preemption on or off. */
    public VrrpConfig withPreempt(final boolean preempt)
    {
        return new VrrpConfig(interfaceName, localAddress, peerAddress, routerId, priority, preempt,
            advertIntervalCs, key, virtualAddresses);
    }

    /** @return a copy of this configuration with another advertisement interval, centiseconds. */
    public VrrpConfig withAdvertIntervalCs(final int advertIntervalCs)
    {
        return new VrrpConfig(interfaceName, localAddress, peerAddress, routerId, priority, preempt,
            advertIntervalCs, key, virtualAddresses);
    }

    /** @return a copy of this configuration with another key (null for none). */
    public VrrpConfig withKey(final byte[] key)
    {
        return new VrrpConfig(interfaceName, localAddress, peerAddress, routerId, priority, preempt,
            advertIntervalCs, key, virtualAddresses);
    }

    /** @return a copy of this configuration with other virtual addresses. */
    public VrrpConfig withVirtualAddresses(final List<String> virtualAddresses)
    {
        return new VrrpConfig(interfaceName, localAddress, peerAddress, routerId, priority, preempt,
            advertIntervalCs, key, virtualAddresses);
    }

    /** @return a copy of the key, or null. */
    @Override
    public byte[] key()
    {
        return null == key ? null : key.clone();
    }

    /** @return true for unicast to {@link #peerAddress()}, false for multicast. */
    public boolean isUnicast()
    {
        return null != peerAddress;
    }

    /** @return {@link #localAddress()} as an int. */
    public int localAddressValue()
    {
        return Bytes.parseIpv4(localAddress);
    }

    /** @return {@link #peerAddress()} as an int, 0 for none. */
    public int peerAddressValue()
    {
        return null == peerAddress ? 0 : Bytes.parseIpv4(peerAddress);
    }

    /** @return where advertisements go: the peer, or 224.0.0.18. */
    public int destinationAddress()
    {
        return null == peerAddress ? VrrpAdvertisement.MULTICAST_GROUP : peerAddressValue();
    }

    /** @return {@link #virtualAddresses()} as ints, in order. */
    public List<Integer> virtualAddressValues()
    {
        final List<Integer> values = new ArrayList<>(virtualAddresses.size());
        for (final String address : virtualAddresses)
        {
            values.add(Bytes.parseIpv4(address));
        }
        return List.copyOf(values);
    }

    @Override
    public boolean equals(final Object other)
    {
        return other instanceof VrrpConfig that && interfaceName.equals(that.interfaceName) &&
            localAddress.equals(that.localAddress) && Objects.equals(peerAddress, that.peerAddress) &&
            routerId == that.routerId && priority == that.priority && preempt == that.preempt &&
            advertIntervalCs == that.advertIntervalCs && Arrays.equals(key, that.key) &&
            virtualAddresses.equals(that.virtualAddresses);
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(interfaceName, localAddress, peerAddress, routerId, priority, preempt, advertIntervalCs,
            Arrays.hashCode(key), virtualAddresses);
    }

    /** @return the settings, without the key's bytes. */
    @Override
    public String toString()
    {
        return "VrrpConfig[interfaceName=" + interfaceName + ", localAddress=" + localAddress + ", peerAddress=" +
            (null == peerAddress ? "none (multicast)" : peerAddress) + ", routerId=" + routerId + ", priority=" +
            priority + ", preempt=" + preempt + ", advertIntervalCs=" + advertIntervalCs + ", key=" +
            (null == key ? "none" : key.length + " bytes") + ", virtualAddresses=" + virtualAddresses + "]";
    }
}
