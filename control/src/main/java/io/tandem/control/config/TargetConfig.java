package io.tandem.control.config;

import io.tandem.dataplane.packet.Bytes;

import java.util.Objects;

/**
 * A target of a pool, as the API's {@code Target}: a name for people and the address connections go to. Immutable.
 *
 * @param displayName the target's name, e.g. {@code web-1}.
 * @param ip          the target's IPv4 address as dotted quad; unique within its pool.
 */
public record TargetConfig(String displayName, String ip)
{
    /**
     * @param displayName the target's name.
     * @param ip          the target's address.
     */
    public TargetConfig
    {
        Objects.requireNonNull(displayName, "displayName");
        Objects.requireNonNull(ip, "ip");
    }

    /** @return the address as an int, as {@link Bytes#parseIpv4(String)} reads it. */
    public int ipv4()
    {
        return Bytes.parseIpv4(ip);
    }
}
