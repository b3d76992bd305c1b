package io.tandem.ffi;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * rtnetlink(7): the kernel's interface tables over a {@code NETLINK_ROUTE} socket. Lists links, IPv4 addresses and
 * IPv4 neighbours (the ARP table), adds and removes IPv4 addresses, and asks the kernel to resolve a neighbour.
 * Change notifications come through a separate socket, {@link RtNetlinkEvents}.
 * <p>
 * Control-plane code: every call is a request/response exchange with the kernel (a few syscalls, allocation, immutable
 * records as results). The forwarding path never calls it; next hops reach the workers in the forwarding snapshot.
 * <p>
 * <b>Namespace.</b> A netlink socket belongs to the network namespace of the thread that called {@link #open()}; every
 * request made through it acts on that namespace, whichever thread makes it later.
 * <p>
 * <b>Errors.</b> A request the kernel refuses throws a {@link NativeException} whose {@link NativeException#call()}
 * names the operation and its arguments (for example {@code RTM_NEWADDR 198.18.1.1/24 dev eth1}), with the kernel's
 * extended-ack text when it gave one, and whose {@link NativeException#errno()} is the kernel's errno. A reply that
 * does not parse throws {@link NetlinkFormatException}. No reply within {@link #REPLY_TIMEOUT_MS} throws a
 * {@link NativeException} with {@code EAGAIN}.
 * <p>
 * <b>Addresses</b> are IPv4 addresses as an {@code int} in network order read big-endian (198.18.0.1 is
 * {@code 0xC6120001}); <b>MACs</b> are a {@code long} with the six bytes in the low 48 bits, first byte highest.
 * <p>
 * Thread-safe: requests are serialised on the instance.
 */
public final class RtNetlink implements AutoCloseable
{
    /** Netlink protocol of rtnetlink. */
    public static final int NETLINK_ROUTE = 0;
    /** setsockopt(SOL_NETLINK): errors do not echo the whole request back. */
    public static final int NETLINK_CAP_ACK = 10;
    /** setsockopt(SOL_NETLINK): errors carry the kernel's message as TLVs. */
    public static final int NETLINK_EXT_ACK = 11;
    /** Address family: unspecified (link messages). */
    public static final int AF_UNSPEC = 0;
    /** Address family: IPv4. */
    public static final int AF_INET = 2;

    /**
     * struct sockaddr_nl, 12 bytes.
     * <pre>
     *   0           2           4                       8                      12
     *   +-----------+-----------+-----------------------+-----------------------+
     *   | nl_family |  nl_pad   |   nl_pid (port id)    |  nl_groups (bitmask)  |
     *   +-----------+-----------+-----------------------+-----------------------+
     * </pre>
     */
    public static final long SOCKADDR_NL_LENGTH = 12;
    /** Offset of {@code nl_family} (u16) in struct sockaddr_nl. */
    public static final long SOCKADDR_NL_FAMILY_OFFSET = 0;
    /** Offset of {@code nl_pid} (u32; 0 is the kernel) in struct sockaddr_nl. */
    public static final long SOCKADDR_NL_PID_OFFSET = 4;
    /** Offset of {@code nl_groups} (u32) in struct sockaddr_nl. */
    public static final long SOCKADDR_NL_GROUPS_OFFSET = 8;

    /**
     * struct nlmsghdr, 16 bytes, host byte order; starts every netlink message. Messages follow each other in a
     * datagram, each padded to 4 bytes ({@link #NLMSG_ALIGNTO}).
     * <pre>
     *   0                       4           6           8                      12                      16
     *   +-----------------------+-----------+-----------+-----------------------+-----------------------+
     *   | nlmsg_len (with hdr)  | nlmsg_type|nlmsg_flags|       nlmsg_seq       |       nlmsg_pid       |
     *   +-----------------------+-----------+-----------+-----------------------+-----------------------+
     * </pre>
     */
    public static final int NLMSGHDR_LENGTH = 16;
    /** Offset of {@code nlmsg_len} (u32, header included) in struct nlmsghdr. */
    public static final long NLMSG_LEN_OFFSET = 0;
    /** Offset of {@code nlmsg_type} (u16) in struct nlmsghdr. */
    public static final long NLMSG_TYPE_OFFSET = 4;
    /** Offset of {@code nlmsg_flags} (u16) in struct nlmsghdr. */
    public static final long NLMSG_FLAGS_OFFSET = 6;
    /** Offset of {@code nlmsg_seq} (u32) in struct nlmsghdr. */
    public static final long NLMSG_SEQ_OFFSET = 8;
    /** Offset of {@code nlmsg_pid} (u32, sender's port id) in struct nlmsghdr. */
    public static final long NLMSG_PID_OFFSET = 12;
    /** Messages and attributes are padded to this many bytes. */
    public static final int NLMSG_ALIGNTO = 4;

    /** Message type: nothing. */
    public static final int NLMSG_NOOP = 1;
    /** Message type: an error or, with error 0, an acknowledgement; payload struct nlmsgerr. */
    public static final int NLMSG_ERROR = 2;
    /** Message type: end of a multipart dump; payload an int error. */
    public static final int NLMSG_DONE = 3;
    /** Message type: data lost (unused by the kernel). */
    public static final int NLMSG_OVERRUN = 4;
    /** Types below this are netlink control messages. */
    public static final int NLMSG_MIN_TYPE = 0x10;

    /** Flag: a request. */
    public static final int NLM_F_REQUEST = 0x01;
    /** Flag: part of a multipart reply, ended by NLMSG_DONE. */
    public static final int NLM_F_MULTI = 0x02;
    /** Flag: reply with an acknowledgement (NLMSG_ERROR with error 0) or the error. */
    public static final int NLM_F_ACK = 0x04;
    /** Flag on dump replies: the table changed during the dump, the result may be inconsistent. */
    public static final int NLM_F_DUMP_INTR = 0x10;
    /** GET flag: return the whole table (NLM_F_ROOT | NLM_F_MATCH). */
    public static final int NLM_F_DUMP = 0x300;
    /** NEW flag: replace an existing object. */
    public static final int NLM_F_REPLACE = 0x100;
    /** NEW flag: fail with EEXIST if the object exists. */
    public static final int NLM_F_EXCL = 0x200;
    /** NEW flag: create the object if it does not exist. */
    public static final int NLM_F_CREATE = 0x400;
    /** NLMSG_ERROR flag: the echoed request was cut to its header. */
    public static final int NLM_F_CAPPED = 0x100;
    /** NLMSG_ERROR flag: extended-ack TLVs follow. */
    public static final int NLM_F_ACK_TLVS = 0x200;

    /**
     * struct nlmsgerr, the payload of NLMSG_ERROR: the (negative) errno, then the header of the request it answers
     * (and, unless {@link #NLM_F_CAPPED}, the rest of the request), then extended-ack TLVs if {@link #NLM_F_ACK_TLVS}.
     * <pre>
     *   0                       4                                                    20
     *   +-----------------------+----------------------------------------------------+--------------+----------+
     *   |   error (0 or -errno) |         struct nlmsghdr of the request             | [request...] | [TLVs..] |
     *   +-----------------------+----------------------------------------------------+--------------+----------+
     * </pre>
     */
    public static final int NLMSGERR_LENGTH = 20;
    /** Offset of {@code error} (s32) in struct nlmsgerr. */
    public static final long NLMSGERR_ERROR_OFFSET = 0;
    /** Offset of the echoed {@code msg} (struct nlmsghdr) in struct nlmsgerr. */
    public static final long NLMSGERR_MSG_OFFSET = 4;
    /** Extended-ack TLV: the kernel's error message, a string. */
    public static final int NLMSGERR_ATTR_MSG = 1;

    /**
     * struct rtattr (struct nlattr), 4 bytes, followed by the value; the next attribute starts at the length rounded
     * up to 4. The top two bits of the type are flags (nested, network byte order).
     * <pre>
     *   0           2           4
     *   +-----------+-----------+---------------------------+---------+
     *   |  rta_len  |  rta_type |  value (rta_len - 4 bytes) | padding |
     *   +-----------+-----------+---------------------------+---------+
     * </pre>
     */
    public static final int RTATTR_LENGTH = 4;
    /** Offset of {@code rta_len} (u16, header included) in struct rtattr. */
    public static final long RTA_LEN_OFFSET = 0;
    /** Offset of {@code rta_type} (u16) in struct rtattr. */
    public static final long RTA_TYPE_OFFSET = 2;
    /** Mask off NLA_F_NESTED and NLA_F_NET_BYTEORDER from {@code rta_type}. */
    public static final int NLA_TYPE_MASK = 0x3fff;

    /**
     * struct ifinfomsg, 16 bytes: the fixed part of RTM_NEWLINK / RTM_DELLINK / RTM_GETLINK.
     * <pre>
     *   0     1     2           4                       8                      12                      16
     *   +-----+-----+-----------+-----------------------+-----------------------+-----------------------+
     *   |famly| pad | ifi_type  |      ifi_index        |  ifi_flags (IFF_*)    |      ifi_change       |
     *   +-----+-----+-----------+-----------------------+-----------------------+-----------------------+
     * </pre>
     */
    public static final int IFINFOMSG_LENGTH = 16;
    /** Offset of {@code ifi_family} (u8) in struct ifinfomsg. */
    public static final long IFI_FAMILY_OFFSET = 0;
    /** Offset of {@code ifi_type} (u16, ARPHRD_*) in struct ifinfomsg. */
    public static final long IFI_TYPE_OFFSET = 2;
    /** Offset of {@code ifi_index} (s32) in struct ifinfomsg. */
    public static final long IFI_INDEX_OFFSET = 4;
    /** Offset of {@code ifi_flags} (u32, IFF_*) in struct ifinfomsg. */
    public static final long IFI_FLAGS_OFFSET = 8;
    /** Offset of {@code ifi_change} (u32) in struct ifinfomsg. */
    public static final long IFI_CHANGE_OFFSET = 12;

    /**
     * struct ifaddrmsg, 8 bytes: the fixed part of RTM_NEWADDR / RTM_DELADDR / RTM_GETADDR.
     * <pre>
     *   0     1     2     3     4                       8
     *   +-----+-----+-----+-----+-----------------------+
     *   |famly|plen |flags|scope|       ifa_index       |
     *   +-----+-----+-----+-----+-----------------------+
     * </pre>
     */
    public static final int IFADDRMSG_LENGTH = 8;
    /** Offset of {@code ifa_family} (u8) in struct ifaddrmsg. */
    public static final long IFA_FAMILY_OFFSET = 0;
    /** Offset of {@code ifa_prefixlen} (u8) in struct ifaddrmsg. */
    public static final long IFA_PREFIXLEN_OFFSET = 1;
    /** Offset of {@code ifa_flags} (u8; IFA_FLAGS carries all 32 bits) in struct ifaddrmsg. */
    public static final long IFA_FLAGS_OFFSET = 2;
    /** Offset of {@code ifa_scope} (u8, RT_SCOPE_*) in struct ifaddrmsg. */
    public static final long IFA_SCOPE_OFFSET = 3;
    /** Offset of {@code ifa_index} (u32) in struct ifaddrmsg. */
    public static final long IFA_INDEX_OFFSET = 4;

    /**
     * struct ndmsg, 12 bytes: the fixed part of RTM_NEWNEIGH / RTM_DELNEIGH / RTM_GETNEIGH.
     * <pre>
     *   0     1     2           4                       8           10    11    12
     *   +-----+-----+-----------+-----------------------+-----------+-----+-----+
     *   |famly|pad1 |   pad2    |     ndm_ifindex       | ndm_state |flags|type |
     *   +-----+-----+-----------+-----------------------+-----------+-----+-----+
     * </pre>
     */
    public static final int NDMSG_LENGTH = 12;
    /** Offset of {@code ndm_family} (u8) in struct ndmsg. */
    public static final long NDM_FAMILY_OFFSET = 0;
    /** Offset of {@code ndm_ifindex} (s32) in struct ndmsg. */
    public static final long NDM_IFINDEX_OFFSET = 4;
    /** Offset of {@code ndm_state} (u16, NUD_*) in struct ndmsg. */
    public static final long NDM_STATE_OFFSET = 8;
    /** Offset of {@code ndm_flags} (u8, NTF_*) in struct ndmsg. */
    public static final long NDM_FLAGS_OFFSET = 10;
    /** Offset of {@code ndm_type} (u8) in struct ndmsg. */
    public static final long NDM_TYPE_OFFSET = 11;

    /** A link appeared or changed. */
    public static final int RTM_NEWLINK = 16;
    /** A link went away. */
    public static final int RTM_DELLINK = 17;
    /** Get one link or dump all. */
    public static final int RTM_GETLINK = 18;
    /** Add an address; an address appeared. */
    public static final int RTM_NEWADDR = 20;
    /** Remove an address; an address went away. */
    public static final int RTM_DELADDR = 21;
    /** Dump addresses. */
    public static final int RTM_GETADDR = 22;
    /** Add or use a neighbour; a neighbour appeared or changed. */
    public static final int RTM_NEWNEIGH = 28;
    /** A neighbour went away. */
    public static final int RTM_DELNEIGH = 29;
    /** Dump neighbours. */
    public static final int RTM_GETNEIGH = 30;

    /** Multicast group (bind mask): link changes. */
    public static final int RTMGRP_LINK = 0x1;
    /** Multicast group (bind mask): neighbour changes. */
    public static final int RTMGRP_NEIGH = 0x4;
    /** Multicast group (bind mask): IPv4 address changes. */
    public static final int RTMGRP_IPV4_IFADDR = 0x10;

    /** Link attribute: hardware address. */
    public static final int IFLA_ADDRESS = 1;
    /** Link attribute: name, NUL-terminated. */
    public static final int IFLA_IFNAME = 3;
    /** Link attribute: MTU, u32. */
    public static final int IFLA_MTU = 4;
    /** Link attribute: RFC 2863 operational state, u8 (IF_OPER_*). */
    public static final int IFLA_OPERSTATE = 16;
    /** Link attribute: nested link info (kind, driver data). */
    public static final int IFLA_LINKINFO = 18;
    /** Nested in IFLA_LINKINFO: the kind ("veth", "bridge", ...), NUL-terminated. */
    public static final int IFLA_INFO_KIND = 1;

    /** Address attribute: the prefix address (the peer's on point-to-point links), 4 bytes for IPv4. */
    public static final int IFA_ADDRESS = 1;
    /** Address attribute: the local address, 4 bytes for IPv4. */
    public static final int IFA_LOCAL = 2;
    /** Address attribute: the label, NUL-terminated. */
    public static final int IFA_LABEL = 3;
    /** Address attribute: all 32 address flags, u32. */
    public static final int IFA_FLAGS = 8;
    /**
     * Address attribute: lifetimes, struct ifa_cacheinfo.
     * <pre>
     *  0  ifa_prefered  u32 seconds      8  cstamp  u32 (set by the kernel)
     *  4  ifa_valid     u32 seconds     12  tstamp  u32 (set by the kernel)
     * </pre>
     */
    public static final int IFA_CACHEINFO = 6;
    /** Length of struct ifa_cacheinfo. */
    public static final int IFA_CACHEINFO_LENGTH = 16;
    /** A lifetime that never ends (INFINITY_LIFE_TIME). */
    public static final int INFINITE_LIFETIME = 0xFFFF_FFFF;

    /** Neighbour attribute: the protocol address. */
    public static final int NDA_DST = 1;
    /** Neighbour attribute: the link-layer address. */
    public static final int NDA_LLADDR = 2;

    /** Neighbour state: being resolved. */
    public static final int NUD_INCOMPLETE = 0x01;
    /** Neighbour state: confirmed recently. */
    public static final int NUD_REACHABLE = 0x02;
    /** Neighbour state: MAC known, not confirmed recently; still used, confirmed on the next send. */
    public static final int NUD_STALE = 0x04;
    /** Neighbour state: waiting for upper-layer confirmation before probing. */
    public static final int NUD_DELAY = 0x08;
    /** Neighbour state: being re-confirmed by unicast probes. */
    public static final int NUD_PROBE = 0x10;
    /** Neighbour state: resolution failed. */
    public static final int NUD_FAILED = 0x20;
    /** Neighbour pseudo-state: no resolution needed on this device. */
    public static final int NUD_NOARP = 0x40;
    /** Neighbour pseudo-state: configured statically. */
    public static final int NUD_PERMANENT = 0x80;
    /** Neighbour state: none; what a {@link #NTF_USE} request carries so the entry stays an ordinary one. */
    public static final int NUD_NONE = 0x00;
    /** Neighbour flag: "use" the entry, i.e. start resolution as if a packet were waiting for it. */
    public static final int NTF_USE = 0x01;

    /** Link flag: administratively up. */
    public static final int IFF_UP = 0x1;
    /** Link flag: loopback. */
    public static final int IFF_LOOPBACK = 0x8;
    /** Link flag: operationally up (RFC 2863 OPER_UP). */
    public static final int IFF_RUNNING = 0x40;
    /** Link flag: the driver signals carrier (L1 up). */
    public static final int IFF_LOWER_UP = 0x10000;
    /** Operational state: unknown (e.g. loopback). */
    public static final int IF_OPER_UNKNOWN = 0;
    /** Operational state: up. */
    public static final int IF_OPER_UP = 6;

    /** How long a request waits for each reply datagram before it fails with EAGAIN. */
    public static final int REPLY_TIMEOUT_MS = 5_000;
    /** How often a dump the kernel marks inconsistent ({@link #NLM_F_DUMP_INTR}) is retried. */
    public static final int DUMP_ATTEMPTS = 5;
    /** Size of the buffer requests are encoded into. */
    static final int SEND_BUFFER_LENGTH = 4096;

    private static final int MODE_ACK = 0;
    private static final int MODE_GET = 1;
    private static final int MODE_DUMP = 2;

    private final NetlinkSocket socket;
    private int sequence;
    private String kernelMessage;
    private boolean dumpInterrupted;

    private RtNetlink(final NetlinkSocket socket)
    {
        this.socket = socket;
        this.sequence = (int)(System.nanoTime() & 0x3fff_ffff) | 1;
    }

    /**
     * Opens a NETLINK_ROUTE socket in the calling thread's network namespace, subscribed to no groups.
     *
     * @return the facility; close it.
     * @throws NativeException when the socket cannot be opened or bound.
     */
    public static RtNetlink open()
    {
        return new RtNetlink(NetlinkSocket.open(0, false, 0));
    }

    /** @return the socket's descriptor, for diagnostics. */
    public int fd()
    {
        return socket.fd();
    }

    /**
     * Dumps every link (RTM_GETLINK, NLM_F_DUMP).
     *
     * @return the links in the kernel's order (by index), immutable.
     */
    public synchronized List<RtNetlinkLink> links()
    {
        final List<RtNetlinkLink> links = new ArrayList<>();
        dump("RTM_GETLINK dump", links::clear,
            (buffer, seq) -> NetlinkMessages.encodeDump(buffer, RTM_GETLINK, seq, AF_UNSPEC, IFINFOMSG_LENGTH),
            message ->
            {
                if (NetlinkMessages.type(message) == RTM_NEWLINK)
                {
                    links.add(NetlinkMessages.parseLink(message));
                }
            });
        return List.copyOf(links);
    }

    /**
     * Gets one link by name (RTM_GETLINK with IFLA_IFNAME).
     *
     * @param name the interface name, at most 15 bytes.
     * @return the link.
     * @throws NativeException with ENODEV when there is no such link.
     */
    public synchronized RtNetlinkLink link(final String name)
    {
        final String what = "RTM_GETLINK dev " + name;
        return getLink(what, (buffer, seq) -> NetlinkMessages.encodeGetLink(buffer, seq, 0, name));
    }

    /**
     * Gets one link by index (RTM_GETLINK).
     *
     * @param ifIndex the interface index.
     * @return the link.
     * @throws NativeException with ENODEV when there is no such link.
     */
    public synchronized RtNetlinkLink link(final int ifIndex)
    {
        final String what = "RTM_GETLINK ifindex " + ifIndex;
        return getLink(what, (buffer, seq) -> NetlinkMessages.encodeGetLink(buffer, seq, ifIndex, null));
    }

    private RtNetlinkLink getLink(final String what, final Encoder encoder)
    {
        final int seq = nextSequence();
        final int length = encoder.encode(socket.sendBuffer(), seq);
        final RtNetlinkLink[] result = new RtNetlinkLink[1];
        final int rc = exchange(what, length, seq, MODE_GET, message ->
        {
            if (NetlinkMessages.type(message) == RTM_NEWLINK)
            {
                result[0] = NetlinkMessages.parseLink(message);
            }
        });
        if (rc < 0)
        {
            throw failure(what, rc);
        }
        if (null == result[0])
        {
            throw new NetlinkFormatException(what + ": the kernel answered without a link");
        }
        return result[0];
    }

    /**
     * Dumps the IPv4 addresses of every link (RTM_GETADDR, AF_INET, NLM_F_DUMP).
     *
     * @return the addresses, immutable.
     */
    public synchronized List<RtNetlinkAddress> addresses()
    {
        return addresses("RTM_GETADDR dump", 0);
    }

    /**
     * Dumps the IPv4 addresses of one link.
     *
     * @param ifIndex the link.
     * @return its addresses, immutable; empty when it has none (or does not exist).
     */
    public synchronized List<RtNetlinkAddress> addresses(final int ifIndex)
    {
        return addresses("RTM_GETADDR dump ifindex " + ifIndex, ifIndex);
    }

    private List<RtNetlinkAddress> addresses(final String what, final int ifIndex)
    {
        final List<RtNetlinkAddress> addresses = new ArrayList<>();
        dump(what, addresses::clear,
            (buffer, seq) -> NetlinkMessages.encodeDump(buffer, RTM_GETADDR, seq, AF_INET, IFADDRMSG_LENGTH),
            message ->
            {
                // The dump is filtered here rather than by the kernel: the kernel filters by index only with
                // NETLINK_GET_STRICT_CHK, and the dump is small.
                if (NetlinkMessages.type(message) == RTM_NEWADDR && NetlinkMessages.family(message) == AF_INET)
                {
                    final RtNetlinkAddress address = NetlinkMessages.parseAddress(message);
                    if (0 == ifIndex || address.ifIndex() == ifIndex)
                    {
                        addresses.add(address);
                    }
                }
            });
        return List.copyOf(addresses);
    }

    /**
     * The IPv4 neighbours of one link whose MAC can be used as a next hop: states REACHABLE, STALE, DELAY, PROBE,
     * PERMANENT or NOARP, with a link-layer address ({@link RtNetlinkNeighbour#isUsable()}).
     *
     * @param ifIndex the link.
     * @return its usable neighbours, immutable.
     */
    public synchronized List<RtNetlinkNeighbour> neighbours(final int ifIndex)
    {
        final List<RtNetlinkNeighbour> usable = new ArrayList<>();
        for (final RtNetlinkNeighbour neighbour : dumpNeighbours(ifIndex))
        {
            if (neighbour.isUsable())
            {
                usable.add(neighbour);
            }
        }
        return List.copyOf(usable);
    }

    /**
     * Every IPv4 neighbour entry of one link, including INCOMPLETE and FAILED ones and entries without a MAC.
     *
     * @param ifIndex the link.
     * @return its neighbour entries, immutable.
     */
    public synchronized List<RtNetlinkNeighbour> allNeighbours(final int ifIndex)
    {
        return dumpNeighbours(ifIndex);
    }

    /**
     * struct rtmsg, 12 bytes: the fixed part of RTM_NEWROUTE / RTM_GETROUTE.
     * <pre>
     *   0        1        2        3        4        5        6        7        8               12
     *   +--------+--------+--------+--------+--------+--------+--------+--------+---------------+
     *   | family | dst_len| src_len|  tos   | table  |protocol| scope  |  type  |     flags     |
     *   +--------+--------+--------+--------+--------+--------+--------+--------+---------------+
     * </pre>
     */
    public static final int RTMSG_LENGTH = 12;
    /** Offset of rtm_dst_len. */
    public static final int RTM_DST_LEN_OFFSET = 1;
    /** Offset of rtm_table. */
    public static final int RTM_TABLE_OFFSET = 4;
    /** Offset of rtm_type. */
    public static final int RTM_TYPE_OFFSET = 7;
    /** Message type: new route (also a dump reply). */
    public static final int RTM_NEWROUTE = 24;
    /** Message type: get routes. */
    public static final int RTM_GETROUTE = 26;
    /** Route attribute: output interface index. */
    public static final int RTA_OIF = 4;
    /** Route attribute: gateway address. */
    public static final int RTA_GATEWAY = 5;
    /** Route attribute: priority (metric). */
    public static final int RTA_PRIORITY = 6;
    /** Route attribute: table id, when above 255. */
    public static final int RTA_TABLE = 15;
    /** The main routing table. */
    public static final int RT_TABLE_MAIN = 254;
    /** Route type: unicast. */
    public static final int RTN_UNICAST = 1;
    /** Returned by {@link #defaultGateway(int)} when there is none. */
    public static final int NO_GATEWAY = 0;

    /**
     * The gateway of the IPv4 default route of the main table that leaves through a link; the lowest metric wins.
     *
     * @param ifIndex the link.
     * @return the gateway's address, or {@link #NO_GATEWAY}.
     */
    public synchronized int defaultGateway(final int ifIndex)
    {
        final int[] best = {NO_GATEWAY, Integer.MAX_VALUE};
        dump("RTM_GETROUTE dump", () ->
            {
                best[0] = NO_GATEWAY;
                best[1] = Integer.MAX_VALUE;
            },
            (buffer, seq) -> NetlinkMessages.encodeDump(buffer, RTM_GETROUTE, seq, AF_INET, RTMSG_LENGTH),
            message ->
            {
                if (NetlinkMessages.type(message) != RTM_NEWROUTE || NetlinkMessages.family(message) != AF_INET ||
                    message.byteSize() < NLMSGHDR_LENGTH + RTMSG_LENGTH)
                {
                    return;
                }
                final long base = NLMSGHDR_LENGTH;
                final int dstLength = message.get(java.lang.foreign.ValueLayout.JAVA_BYTE,
                    base + RTM_DST_LEN_OFFSET) & 0xFF;
                final int type = message.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + RTM_TYPE_OFFSET) & 0xFF;
                final NetlinkAttributes attributes = NetlinkAttributes.parse("RTM_NEWROUTE", message,
                    base + NetlinkMessages.align(RTMSG_LENGTH), message.byteSize(), RTA_TABLE);
                final int table = attributes.u32(RTA_TABLE,
                    message.get(java.lang.foreign.ValueLayout.JAVA_BYTE, base + RTM_TABLE_OFFSET) & 0xFF);
                if (dstLength == 0 && type == RTN_UNICAST && table == RT_TABLE_MAIN &&
                    attributes.has(RTA_GATEWAY) && attributes.u32(RTA_OIF, 0) == ifIndex)
                {
                    final int metric = attributes.u32(RTA_PRIORITY, 0);
                    if (metric < best[1])
                    {
                        best[0] = attributes.ipv4(RTA_GATEWAY);
                        best[1] = metric;
                    }
                }
            });
        return best[0];
    }

    private List<RtNetlinkNeighbour> dumpNeighbours(final int ifIndex)
    {
        final List<RtNetlinkNeighbour> neighbours = new ArrayList<>();
        dump("RTM_GETNEIGH dump ifindex " + ifIndex, neighbours::clear,
            (buffer, seq) -> NetlinkMessages.encodeDump(buffer, RTM_GETNEIGH, seq, AF_INET, NDMSG_LENGTH),
            message ->
            {
                if (NetlinkMessages.type(message) == RTM_NEWNEIGH && NetlinkMessages.family(message) == AF_INET)
                {
                    final RtNetlinkNeighbour neighbour = NetlinkMessages.parseNeighbour(message);
                    if (neighbour.ifIndex() == ifIndex)
                    {
                        neighbours.add(neighbour);
                    }
                }
            });
        return List.copyOf(neighbours);
    }

    /**
     * Adds an IPv4 address to a link (RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, scope global, no broadcast).
     *
     * @param ifIndex      the link.
     * @param address      the address.
     * @param prefixLength 0 to 32.
     * @throws NativeException with EEXIST when the link has the address already, ENODEV when there is no such link.
     */
    public synchronized void addAddress(final int ifIndex, final int address, final int prefixLength)
    {
        final int rc = changeAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifIndex, address, prefixLength);
        if (rc < 0)
        {
            throw addressFailure(RTM_NEWADDR, ifIndex, address, prefixLength, rc);
        }
    }

    /**
     * Adds an IPv4 address to a link unless the link has it already.
     *
     * @return true when it was added, false when it was there.
     * @throws NativeException for any error but EEXIST.
     */
    public synchronized boolean addAddressIfAbsent(final int ifIndex, final int address, final int prefixLength)
    {
        final int rc = changeAddress(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, ifIndex, address, prefixLength);
        if (rc == -Errno.EEXIST)
        {
            return false;
        }
        if (rc < 0)
        {
            throw addressFailure(RTM_NEWADDR, ifIndex, address, prefixLength, rc);
        }
        return true;
    }

    /**
     * Adds an IPv4 address to a link for a limited time, or renews the time of one it has (RTM_NEWADDR,
     * NLM_F_CREATE | NLM_F_REPLACE, IFA_CACHEINFO with both lifetimes set): the kernel removes the address by itself
     * about {@code validSeconds} after the last renewal (its lifetime check runs at one-second granularity). A lease
     * that whoever holds it must keep renewing: if the holder dies, the address does not outlive it for long.
     *
     * @param validSeconds the lifetime, at least 1.
     * @throws NativeException when the kernel refuses (ENODEV when there is no such link).
     */
    public synchronized void leaseAddress(
        final int ifIndex, final int address, final int prefixLength, final int validSeconds)
    {
        if (validSeconds < 1)
        {
            throw new IllegalArgumentException("a lease lasts at least 1 s: " + validSeconds);
        }
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not within 0..32");
        }
        final int seq = nextSequence();
        final int length = NetlinkMessages.encodeAddress(socket.sendBuffer(), RTM_NEWADDR,
            NLM_F_REQUEST | NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, seq, ifIndex, address, prefixLength,
            validSeconds);
        final int rc = exchange(NetlinkMessages.typeName(RTM_NEWADDR), length, seq, MODE_ACK, ignored -> { });
        if (rc < 0)
        {
            throw addressFailure(RTM_NEWADDR, ifIndex, address, prefixLength, rc);
        }
    }

    /**
     * Removes an IPv4 address from a link (RTM_DELADDR).
     *
     * @throws NativeException with EADDRNOTAVAIL when the link does not have the address, ENODEV when there is no
     *                         such link.
     */
    public synchronized void removeAddress(final int ifIndex, final int address, final int prefixLength)
    {
        final int rc = changeAddress(RTM_DELADDR, 0, ifIndex, address, prefixLength);
        if (rc < 0)
        {
            throw addressFailure(RTM_DELADDR, ifIndex, address, prefixLength, rc);
        }
    }

    /**
     * Removes an IPv4 address from a link if the link has it.
     *
     * @return true when it was removed, false when it was not there.
     * @throws NativeException for any error but EADDRNOTAVAIL.
     */
    public synchronized boolean removeAddressIfPresent(final int ifIndex, final int address, final int prefixLength)
    {
        final int rc = changeAddress(RTM_DELADDR, 0, ifIndex, address, prefixLength);
        if (rc == -Errno.EADDRNOTAVAIL)
        {
            return false;
        }
        if (rc < 0)
        {
            throw addressFailure(RTM_DELADDR, ifIndex, address, prefixLength, rc);
        }
        return true;
    }

    private int changeAddress(
        final int type, final int flags, final int ifIndex, final int address, final int prefixLength)
    {
        if (prefixLength < 0 || prefixLength > 32)
        {
            throw new IllegalArgumentException("prefix length " + prefixLength + " is not within 0..32");
        }
        final int seq = nextSequence();
        final int length = NetlinkMessages.encodeAddress(
            socket.sendBuffer(), type, NLM_F_REQUEST | NLM_F_ACK | flags, seq, ifIndex, address, prefixLength);
        return exchange(NetlinkMessages.typeName(type), length, seq, MODE_ACK, ignored -> { });
    }

    private NativeException addressFailure(
        final int type, final int ifIndex, final int address, final int prefixLength, final int rc)
    {
        final String kernelSays = kernelMessage;
        final String what = NetlinkMessages.typeName(type) + " " + NetlinkMessages.formatIpv4(address) + "/" +
            prefixLength + " " + describeLink(ifIndex);
        kernelMessage = kernelSays;
        return failure(what, rc);
    }

    /**
     * Asks the kernel to resolve an IPv4 neighbour as if a packet were waiting for it: RTM_NEWNEIGH with
     * {@link #NTF_USE}, state {@link #NUD_NONE} and NLM_F_CREATE | NLM_F_REPLACE (what {@code ip neigh replace ADDR
     * dev DEV nud none use} sends). The kernel creates the entry if it has none and runs neigh_event_send on it: a
     * new, FAILED or NONE entry goes INCOMPLETE and an ARP request goes out now; a STALE one goes to DELAY and is
     * re-confirmed; a REACHABLE or PERMANENT one is left alone. NUD_NONE rather than iproute2's default PERMANENT
     * keeps the new entry subject to the garbage collector like any learned entry.
     * <p>
     * Returns once the kernel has accepted the request, before the answer arrives: watch {@link RtNetlinkEvents}
     * or poll {@link #neighbours(int)}.
     *
     * @param ifIndex the link to resolve on.
     * @param address the neighbour's IPv4 address.
     * @throws NativeException for example with ENODEV when there is no such link.
     */
    public synchronized void resolveNeighbour(final int ifIndex, final int address)
    {
        final int seq = nextSequence();
        final int length = NetlinkMessages.encodeNeighbourUse(socket.sendBuffer(), seq, ifIndex, address);
        final int rc = exchange("RTM_NEWNEIGH", length, seq, MODE_ACK, ignored -> { });
        if (rc < 0)
        {
            final String kernelSays = kernelMessage;
            final String what = "RTM_NEWNEIGH " + NetlinkMessages.formatIpv4(address) + " " + describeLink(ifIndex) +
                " use";
            kernelMessage = kernelSays;
            throw failure(what, rc);
        }
    }

    /** Closes the socket. Idempotent. */
    @Override
    public synchronized void close()
    {
        socket.close();
    }

    private String describeLink(final int ifIndex)
    {
        try
        {
            return "dev " + link(ifIndex).name();
        }
        catch (final RuntimeException ex)
        {
            return "ifindex " + ifIndex;
        }
    }

    private int nextSequence()
    {
        // 0 is what the kernel puts in notifications; never use it for a request.
        sequence = sequence == Integer.MAX_VALUE ? 1 : sequence + 1;
        return sequence;
    }

    private NativeException failure(final String what, final int rc)
    {
        final String call = null == kernelMessage || kernelMessage.isEmpty() ? what :
            what + " (kernel: " + kernelMessage + ")";
        return new NativeException(call, -rc);
    }

    private void dump(final String what, final Runnable reset, final Encoder encoder,
        final Consumer<MemorySegment> onMessage)
    {
        for (int attempt = 1; attempt <= DUMP_ATTEMPTS; attempt++)
        {
            reset.run();
            final int seq = nextSequence();
            final int length = encoder.encode(socket.sendBuffer(), seq);
            final int rc = exchange(what, length, seq, MODE_DUMP, onMessage);
            if (rc < 0)
            {
                throw failure(what, rc);
            }
            if (!dumpInterrupted)
            {
                return;
            }
        }
        throw new NativeException(what + " (the table kept changing during " + DUMP_ATTEMPTS + " dumps)",
            Errno.EINTR);
    }

    /**
     * Sends one request and reads replies until it is answered: an NLMSG_ERROR (ack or error) in ACK mode, the first
     * data message or an error in GET mode, NLMSG_DONE or an error in DUMP mode. Replies to other sequence numbers
     * (left over from a request that failed half-way) are skipped.
     *
     * @return 0, or -errno from the kernel (or from a syscall; -EAGAIN when no reply came in time).
     */
    private int exchange(
        final String what, final int length, final int seq, final int mode, final Consumer<MemorySegment> onMessage)
    {
        kernelMessage = null;
        dumpInterrupted = false;
        final long sent = socket.send(length);
        if (sent < 0)
        {
            kernelMessage = "sendto failed";
            return (int)sent;
        }
        while (true)
        {
            final int ready = socket.awaitReadable(REPLY_TIMEOUT_MS);
            if (0 == ready)
            {
                kernelMessage = "no reply within " + REPLY_TIMEOUT_MS + " ms";
                return -Errno.EAGAIN;
            }
            if (ready < 0 && ready != -Errno.EINTR)
            {
                kernelMessage = "poll failed";
                return ready;
            }
            final long received = socket.receive(0);
            if (received == -Errno.EAGAIN || received == -Errno.EINTR)
            {
                continue;
            }
            if (received < 0)
            {
                kernelMessage = "recv failed";
                return (int)received;
            }
            for (final MemorySegment message : NetlinkMessages.split(socket.receiveBuffer().asSlice(0, received)))
            {
                if (NetlinkMessages.sequence(message) != seq)
                {
                    continue;
                }
                final int type = NetlinkMessages.type(message);
                if (NLMSG_ERROR == type)
                {
                    kernelMessage = NetlinkMessages.extAckMessage(message);
                    return NetlinkMessages.errorCode(message);
                }
                if (NLMSG_DONE == type)
                {
                    if (MODE_DUMP == mode)
                    {
                        return NetlinkMessages.doneError(message);
                    }
                    continue;
                }
                if (type < NLMSG_MIN_TYPE)
                {
                    continue;
                }
                if ((NetlinkMessages.flags(message) & NLM_F_DUMP_INTR) != 0)
                {
                    dumpInterrupted = true;
                }
                onMessage.accept(message);
                if (MODE_GET == mode)
                {
                    return 0;
                }
            }
        }
    }

    @FunctionalInterface
    private interface Encoder
    {
        int encode(MemorySegment buffer, int seq);
    }
}
