package io.tandem.ffi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RtNetlink against the kernel, in a pair of network namespaces joined by a veth pair: what it reads must agree with
 * what {@code ip} prints, and what it changes must show in {@code ip}'s output.
 */
@Tag("root")
class RtNetlinkTest
{
    private static final Pattern IP_LINK = Pattern.compile(
        "^(\\d+): ([^:@\\s]+)(?:@\\S+)?: <([^>]*)> mtu (\\d+) .*?link/\\S+ ([0-9a-f:]{17})");

    @Test
    void shouldListLinksWithTheMacsAndMtusIpPrints() throws Exception
    {
        try (Pair pair = Pair.create("201"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final List<RtNetlinkLink> links = netlink.links();

            final Map<String, String[]> printed = ipLinks(pair.a);
            assertEquals(printed.keySet(), Map.copyOf(byName(links)).keySet(), links.toString());
            for (final RtNetlinkLink link : links)
            {
                final String[] fields = printed.get(link.name());
                assertEquals(Integer.parseInt(fields[0]), link.index(), link.toString());
                assertEquals(Integer.parseInt(fields[2]), link.mtu(), link.toString());
                assertEquals(NetlinkMessages.parseMac(fields[3]), link.mac(), link.toString());
                assertEquals(fields[1].contains("LOWER_UP"), link.isLowerUp(), link.toString());
                assertEquals(fields[1].contains(",UP") || fields[1].startsWith("UP"), link.isUp(), link.toString());
            }
            final RtNetlinkLink veth = byName(links).get("tdm0");
            assertEquals("veth", veth.kind());
            assertTrue(veth.isUp() && veth.isLowerUp() && veth.isRunning(), veth.toString());
            assertEquals(pair.macA, veth.mac());
            final RtNetlinkLink lo = byName(links).get("lo");
            assertEquals(0L, lo.mac(), "loopback's address is all zeros");
            assertTrue((lo.flags() & RtNetlink.IFF_LOOPBACK) != 0);

            assertEquals(veth.index(), netlink.link("tdm0").index());
            assertEquals(veth.mac(), netlink.link(veth.index()).mac());
            final NativeException missing = assertThrows(NativeException.class, () -> netlink.link("tdm-nope"));
            assertEquals(Errno.ENODEV, missing.errno());
            assertTrue(missing.getMessage().startsWith("RTM_GETLINK dev tdm-nope"), missing.getMessage());
        }
    }

    @Test
    void shouldLetALeasedAddressLapseUnlessItIsRenewed() throws Exception
    {
        try (Pair pair = Pair.create("203"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final int index = netlink.link("tdm0").index();
            final int renewed = NetlinkMessages.parseIpv4("198.18.203.100");
            final int lapsing = NetlinkMessages.parseIpv4("198.18.203.200");

            netlink.leaseAddress(index, renewed, 32, 2);
            netlink.leaseAddress(index, lapsing, 32, 2);
            assertTrue(ipAddresses(pair.a).contains("inet 198.18.203.100/32 scope global dynamic"),
                ipAddresses(pair.a));
            final long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(6);
            while (ipAddresses(pair.a).contains("198.18.203.200/") && System.nanoTime() - deadline < 0)
            {
                netlink.leaseAddress(index, renewed, 32, 2); // renewing one leaves the other alone
                Thread.sleep(250);
            }
            assertFalse(ipAddresses(pair.a).contains("198.18.203.200/"), "the unrenewed lease lapsed: " +
                ipAddresses(pair.a));
            assertTrue(ipAddresses(pair.a).contains("198.18.203.100/32"), "the renewed one lives on");
            assertThrows(IllegalArgumentException.class, () -> netlink.leaseAddress(index, renewed, 32, 0));
        }
    }

    @Test
    void shouldAddAndRemoveAddressesAsIpShowsThem() throws Exception
    {
        try (Pair pair = Pair.create("202"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final int index = netlink.link("tdm0").index();
            final int address = NetlinkMessages.parseIpv4("198.18.202.1");
            final int vip = NetlinkMessages.parseIpv4("198.18.202.100");

            netlink.addAddress(index, address, 24);
            assertTrue(ipAddresses(pair.a).contains("inet 198.18.202.1/24 "), ipAddresses(pair.a));
            assertEquals(List.of(new RtNetlinkAddress(index, address, 24, "tdm0", 0x80, 0)),
                netlink.addresses(index), "IFA_F_PERMANENT, scope global");

            final NativeException duplicate = assertThrows(NativeException.class,
                () -> netlink.addAddress(index, address, 24));
            assertEquals(Errno.EEXIST, duplicate.errno());
            assertTrue(duplicate.getMessage().startsWith("RTM_NEWADDR 198.18.202.1/24 dev tdm0"),
                duplicate.getMessage());
            assertTrue(duplicate.getMessage().endsWith(": EEXIST (17) File exists"), duplicate.getMessage());
            assertFalse(netlink.addAddressIfAbsent(index, address, 24));
            assertTrue(netlink.addAddressIfAbsent(index, vip, 32));
            assertTrue(ipAddresses(pair.a).contains("inet 198.18.202.100/32 "), ipAddresses(pair.a));
            assertEquals(2, netlink.addresses(index).size());
            assertTrue(netlink.addresses().stream().anyMatch(a -> a.address() == vip));

            netlink.removeAddress(index, address, 24);
            assertFalse(ipAddresses(pair.a).contains("198.18.202.1/"), ipAddresses(pair.a));
            assertTrue(netlink.removeAddressIfPresent(index, vip, 32));
            assertFalse(netlink.removeAddressIfPresent(index, vip, 32));
            assertEquals("", ipAddresses(pair.a).strip());
            assertEquals(List.of(), netlink.addresses(index));
            final NativeException absent = assertThrows(NativeException.class,
                () -> netlink.removeAddress(index, address, 24));
            assertEquals(Errno.EADDRNOTAVAIL, absent.errno());
            assertTrue(absent.getMessage().startsWith("RTM_DELADDR 198.18.202.1/24 dev tdm0"), absent.getMessage());
        }
    }

    @Test
    void shouldNameTheOperationAndTheErrnoForABadIndex() throws Exception
    {
        try (Pair pair = Pair.create("203"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final int address = NetlinkMessages.parseIpv4("198.18.203.9");
            final NativeException add = assertThrows(NativeException.class,
                () -> netlink.addAddress(999_999, address, 24));
            assertEquals(Errno.ENODEV, add.errno());
            assertTrue(add.getMessage().startsWith("RTM_NEWADDR 198.18.203.9/24 ifindex 999999"), add.getMessage());
            assertTrue(add.getMessage().endsWith(": ENODEV (19) No such device"), add.getMessage());

            final NativeException resolve = assertThrows(NativeException.class,
                () -> netlink.resolveNeighbour(999_999, address));
            assertEquals(Errno.ENODEV, resolve.errno());
            assertTrue(resolve.getMessage().startsWith("RTM_NEWNEIGH 198.18.203.9 ifindex 999999 use"),
                resolve.getMessage());

            assertThrows(IllegalArgumentException.class, () -> netlink.addAddress(1, address, 33));
            assertTrue(netlink.addresses(999_999).isEmpty());
            assertTrue(netlink.neighbours(999_999).isEmpty());
        }
    }

    @Test
    void shouldFindThePeerInTheNeighbourTableAfterAPing() throws Exception
    {
        try (Pair pair = Pair.create("204"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            pair.addresses("198.18.204.1", "198.18.204.2");
            final int index = netlink.link("tdm0").index();
            assertTrue(netlink.allNeighbours(index).isEmpty(), () -> netlink.allNeighbours(index).toString());

            assertTrue(pair.a.exec("ping", "-c", "1", "-W", "2", "198.18.204.2").contains("1 received"));

            final List<RtNetlinkNeighbour> neighbours = netlink.neighbours(index);
            assertEquals(1, neighbours.size(), neighbours.toString());
            final RtNetlinkNeighbour peer = neighbours.get(0);
            assertEquals(NetlinkMessages.parseIpv4("198.18.204.2"), peer.address());
            assertEquals(pair.macB, peer.mac(), peer.toString());
            assertEquals(index, peer.ifIndex());
            assertTrue(peer.isUsable(), peer.toString());
            assertTrue(pair.a.ip("neigh", "show", "dev", "tdm0").contains(
                "198.18.204.2 lladdr " + NetlinkMessages.formatMac(pair.macB)));
        }
    }

    @Test
    void shouldMakeTheKernelResolveANeighbourItDidNotKnow() throws Exception
    {
        try (Pair pair = Pair.create("205");
            RtNetlink netlinkA = pair.a.call(RtNetlink::open);
            RtNetlink netlinkB = pair.b.call(RtNetlink::open))
        {
            pair.addresses("198.18.205.1", "198.18.205.2");
            final int indexA = netlinkA.link("tdm0").index();
            final int indexB = netlinkB.link("tdm1").index();
            final int peer = NetlinkMessages.parseIpv4("198.18.205.2");
            assertTrue(netlinkA.allNeighbours(indexA).isEmpty());
            assertTrue(netlinkB.allNeighbours(indexB).isEmpty());

            netlinkA.resolveNeighbour(indexA, peer);

            final RtNetlinkNeighbour resolved = await(3_000, () -> netlinkA.neighbours(indexA).stream()
                .filter(n -> n.address() == peer && n.state() == RtNetlink.NUD_REACHABLE).findFirst());
            assertEquals(pair.macB, resolved.mac(), resolved.toString());
            // B learnt A from the ARP request A sent: the request went out on the wire.
            final RtNetlinkNeighbour learnt = await(1_000, () -> netlinkB.neighbours(indexB).stream()
                .filter(n -> n.address() == NetlinkMessages.parseIpv4("198.18.205.1")).findFirst());
            assertEquals(pair.macA, learnt.mac(), learnt.toString());

            // Resolving it again leaves a good entry as it is.
            netlinkA.resolveNeighbour(indexA, peer);
            assertEquals(pair.macB, netlinkA.neighbours(indexA).get(0).mac());
        }
    }

    @Test
    void shouldLeaveAnUnansweredResolutionOutOfTheUsableNeighbours() throws Exception
    {
        try (Pair pair = Pair.create("206"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            pair.addresses("198.18.206.1", "198.18.206.2");
            final int index = netlink.link("tdm0").index();
            final int nobody = NetlinkMessages.parseIpv4("198.18.206.99");

            netlink.resolveNeighbour(index, nobody);

            final RtNetlinkNeighbour pending = await(1_000, () -> netlink.allNeighbours(index).stream()
                .filter(n -> n.address() == nobody).findFirst());
            assertTrue((pending.state() & (RtNetlink.NUD_INCOMPLETE | RtNetlink.NUD_FAILED)) != 0, pending.toString());
            assertFalse(pending.isUsable());
            assertTrue(netlink.neighbours(index).isEmpty(), () -> netlink.neighbours(index).toString());
        }
    }

    @Test
    void shouldServeRequestsFromAnotherThreadInTheNamespaceItWasOpenedIn() throws Exception
    {
        try (Pair pair = Pair.create("207"); RtNetlink inA = pair.a.call(RtNetlink::open))
        {
            // This thread is in the root namespace, the socket in A: the answer is A's, not ours.
            assertEquals(List.of("lo", "tdm0"), inA.links().stream().map(RtNetlinkLink::name).sorted().toList());
        }
    }

    static <T> T await(final long timeoutMs, final Supplier<Optional<T>> probe) throws InterruptedException
    {
        final long deadline = System.nanoTime() + timeoutMs * 1_000_000L;
        while (true)
        {
            final Optional<T> found = probe.get();
            if (found.isPresent())
            {
                return found.get();
            }
            if (System.nanoTime() - deadline > 0)
            {
                throw new AssertionError("not within " + timeoutMs + " ms");
            }
            Thread.sleep(20);
        }
    }

    private static Map<String, RtNetlinkLink> byName(final List<RtNetlinkLink> links)
    {
        final Map<String, RtNetlinkLink> byName = new HashMap<>();
        links.forEach(link -> byName.put(link.name(), link));
        return byName;
    }

    /** @return name → {index, flags, mtu, mac} as {@code ip -o link} prints them. */
    private static Map<String, String[]> ipLinks(final Netns netns)
    {
        final Map<String, String[]> links = new HashMap<>();
        for (final String line : netns.ip("-o", "link").split("\n"))
        {
            final Matcher matcher = IP_LINK.matcher(line);
            assertTrue(matcher.find(), line);
            links.put(matcher.group(2), new String[]{matcher.group(1), matcher.group(3), matcher.group(4),
                matcher.group(5)});
        }
        return links;
    }

    private static String ipAddresses(final Netns netns)
    {
        return netns.ip("-4", "-o", "addr", "show", "dev", "tdm0");
    }

    /**
     * Two namespaces joined by a veth pair, {@code tdm0} in {@code a} and {@code tdm1} in {@code b}, both up, without
     * addresses. Closing removes both namespaces, also when creating them failed half-way.
     */
    @Test
    void shouldFindTheDefaultGatewayOfALinkWithTheLowestMetric() throws Exception
    {
        try (Pair pair = Pair.create("gw"); RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final int index = netlink.link("tdm0").index();
            assertEquals(RtNetlink.NO_GATEWAY, netlink.defaultGateway(index));
            pair.a.ip("addr", "add", "198.18.205.10/24", "dev", "tdm0");
            pair.a.ip("route", "add", "default", "via", "198.18.205.2", "dev", "tdm0", "metric", "200");
            pair.a.ip("route", "add", "default", "via", "198.18.205.1", "dev", "tdm0", "metric", "100");
            assertEquals(NetlinkMessages.parseIpv4("198.18.205.1"), netlink.defaultGateway(index));
            assertEquals(RtNetlink.NO_GATEWAY, netlink.defaultGateway(index + 1000));
        }
    }

    static final class Pair implements AutoCloseable
    {
        final Netns a;
        final Netns b;
        final long macA;
        final long macB;

        private Pair(final Netns a, final Netns b)
        {
            this.a = a;
            this.b = b;
            Netns.veth(a, "tdm0", b, "tdm1");
            this.macA = mac(a, "tdm0");
            this.macB = mac(b, "tdm1");
        }

        static Pair create(final String label)
        {
            final Netns a = Netns.create("nl" + label + "a");
            try
            {
                final Netns b = Netns.create("nl" + label + "b");
                try
                {
                    return new Pair(a, b);
                }
                catch (final RuntimeException ex)
                {
                    b.close();
                    throw ex;
                }
            }
            catch (final RuntimeException ex)
            {
                a.close();
                throw ex;
            }
        }

        void addresses(final String inA, final String inB)
        {
            a.ip("addr", "add", inA + "/24", "dev", "tdm0");
            b.ip("addr", "add", inB + "/24", "dev", "tdm1");
        }

        private static long mac(final Netns netns, final String name)
        {
            final Matcher matcher = Pattern.compile("link/ether ([0-9a-f:]{17})")
                .matcher(netns.ip("-o", "link", "show", "dev", name));
            assertTrue(matcher.find());
            return NetlinkMessages.parseMac(matcher.group(1));
        }

        @Override
        public void close()
        {
            try
            {
                b.close();
            }
            finally
            {
                a.close();
            }
        }
    }
}
