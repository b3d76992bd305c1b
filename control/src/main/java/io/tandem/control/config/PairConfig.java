package io.tandem.control.config;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Objects;

/**
 * The node's part in an appliance pair: who the peer is and how the two elect the active node (VRRPv3, RFC 5798)
 * and keep each other's connections and configuration (the sync channel). Absent from a standalone node. Immutable.
 * <pre>
 * "pair": {
 *   "peerAddress": "198.18.0.11",     the peer's address on the data interface; advertisements go to it (unicast)
 *   "routerId": 51,                   VRRP virtual router id, 1..255, equal on both nodes
 *   "priority": 100,                  1..254; the higher one is active; on a tie, the higher address
 *   "advertisementInterval": 10,      centiseconds, 1..4095; the peer is declared dead after 3 of them (+ skew)
 *   "preempt": false,                 a higher-priority node that comes back takes over from the active one
 *   "key": "0123...ef",               optional shared key, 32..128 hex digits: HMAC on advertisements and sync
 *   "syncPort": 7946                  TCP port of the sync channel on both nodes' addresses
 * }
 * </pre>
 *
 * @param peerAddress           the peer's address, dotted quad.
 * @param routerId              the virtual router id.
 * @param priority              this node's priority.
 * @param advertIntervalCs      the advertisement interval in centiseconds.
 * @param preempt               whether this node takes over from a lower-priority active node.
 * @param key                   the shared key, or null for none.
 * @param syncPort              the sync channel's TCP port.
 */
public record PairConfig(
    String peerAddress,
    int routerId,
    int priority,
    int advertIntervalCs,
    boolean preempt,
    byte[] key,
    int syncPort)
{
    /** Priority when the file names none. */
    public static final int DEFAULT_PRIORITY = 100;
    /** Advertisement interval when the file names none: 100 ms. */
    public static final int DEFAULT_ADVERT_INTERVAL_CS = 10;
    /** Sync port when the file names none. */
    public static final int DEFAULT_SYNC_PORT = 7946;
    /** Fewest hex digits of a key (128 bits). */
    public static final int MIN_KEY_HEX_DIGITS = 32;
    /** Most hex digits of a key (512 bits). */
    public static final int MAX_KEY_HEX_DIGITS = 128;

    /**
     * @param peerAddress      the peer's address.
     * @param routerId         the router id.
     * @param priority         the priority.
     * @param advertIntervalCs the interval.
     * @param preempt          preemption.
     * @param key              the key, or null; copied.
     * @param syncPort         the sync port.
     */
    public PairConfig
    {
        Objects.requireNonNull(peerAddress, "peerAddress");
        key = null == key ? null : key.clone();
    }

    /** @return a copy of the shared key, or null. */
    @Override
    public byte[] key()
    {
        return null == key ? null : key.clone();
    }

    /** @return the key as the file writes it, or null. */
    public String keyHex()
    {
        return null == key ? null : HexFormat.of().formatHex(key);
    }

    @Override
    public boolean equals(final Object o)
    {
        return o instanceof PairConfig p && p.peerAddress.equals(peerAddress) && p.routerId == routerId &&
            p.priority == priority && p.advertIntervalCs == advertIntervalCs && p.preempt == preempt &&
            Arrays.equals(p.key, key) && p.syncPort == syncPort;
    }

    @Override
    public int hashCode()
    {
        return Objects.hash(peerAddress, routerId, priority, advertIntervalCs, preempt,
            Arrays.hashCode(key), syncPort);
    }

    @Override
    public String toString()
    {
        // never the key
        return "PairConfig[peerAddress=" + peerAddress + ", routerId=" + routerId + ", priority=" + priority +
            ", advertIntervalCs=" + advertIntervalCs + ", preempt=" + preempt + ", key=" +
            (null == key ? "none" : "set") + ", syncPort=" + syncPort + "]";
    }
}
