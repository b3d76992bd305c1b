package io.tandem.control.election;

/**
 * Why a received packet was dropped instead of reaching the state machine; each reason has its own counter
 * ({@link VrrpCounters#dropped(VrrpDropReason)}). The order is the order of the checks (RFC 5798 7.1).
 */
public enum VrrpDropReason
{
    /** Shorter than its IPv4 header, its VRRP header or its address list says, or an unreadable IPv4 header. */
    TOO_SHORT,
    /** The IPv4 TTL is not 255: a router forwarded it, so it did not come from this link (RFC 5798 5.1.1.3). */
    BAD_TTL,
    /** Not VRRP version 3, or not an advertisement (type 1). */
    BAD_VERSION_OR_TYPE,
    /** The VRRP checksum (over the IPv4 pseudo-header and the message) does not check. */
    BAD_CHECKSUM,
    /** Another virtual router's advertisement (another VRID on the same link). */
    WRONG_ROUTER_ID,
    /** A peer is configured and the source address is not the peer's. */
    NOT_FROM_PEER,
    /** A key is configured and the HMAC trailer is missing or wrong. */
    AUTH_FAILURE
}
