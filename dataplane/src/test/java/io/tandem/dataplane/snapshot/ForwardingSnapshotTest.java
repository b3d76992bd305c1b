package io.tandem.dataplane.snapshot;

import io.tandem.dataplane.packet.Bytes;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ForwardingSnapshotTest
{
    private static int ip(final String text)
    {
        return Bytes.parseIpv4(text);
    }

    private static ForwardingSnapshot.Builder base()
    {
        return ForwardingSnapshot.builder().version(1).snatIp(ip("198.18.0.200"))
            .pool("web", 8080, new int[]{ip("198.18.0.21"), ip("198.18.0.22")}, new boolean[]{true, false}, false);
    }

    @Test
    void shouldFindListenersByVipAndPortOnly()
    {
        final ForwardingSnapshot s = base()
            .listener("a", ip("198.18.0.100"), 80, "web", 1)
            .listener("b", ip("198.18.0.100"), 443, "web", 1)
            .listener("c", ip("198.18.0.101"), 80, "web", 1)
            .build();
        assertEquals(0, s.listenerIndex(ip("198.18.0.100"), 80));
        assertEquals(1, s.listenerIndex(ip("198.18.0.100"), 443));
        assertEquals(2, s.listenerIndex(ip("198.18.0.101"), 80));
        assertEquals(ForwardingSnapshot.NO_LISTENER, s.listenerIndex(ip("198.18.0.101"), 443));
        assertTrue(s.isVip(ip("198.18.0.101")));
        assertFalse(s.isVip(ip("198.18.0.200")));
    }

    @Test
    void shouldRefuseListenerOfUnknownPoolOrSharedVipAndPort()
    {
        final IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
            () -> base().listener("a", ip("198.18.0.100"), 80, "nope", 1).build());
        assertTrue(unknown.getMessage().contains("unknown pool nope"), unknown.getMessage());

        final IllegalArgumentException shared = assertThrows(IllegalArgumentException.class,
            () -> base().listener("a", ip("198.18.0.100"), 80, "web", 1)
                .listener("b", ip("198.18.0.100"), 80, "web", 1).build());
        assertTrue(shared.getMessage().contains("already used by a"), shared.getMessage());

        assertThrows(IllegalArgumentException.class, () -> base()
            .pool("web", 1, new int[0], new boolean[0], false).build());
    }

    @Test
    void shouldMatchAllowedSourceRanges()
    {
        final Listener l = base().listener("a", ip("198.18.0.100"), 80, "web", 1, "198.19.1.0/24", "198.18.7.7/32")
            .build().listener(0);
        assertTrue(l.allows(ip("198.19.1.200")));
        assertTrue(l.allows(ip("198.18.7.7")));
        assertFalse(l.allows(ip("198.18.7.8")));
        assertFalse(l.allows(ip("198.19.2.1")));
        final Listener all = base().listener("a", ip("198.18.0.100"), 80, "web", 1, "0.0.0.0/0").build().listener(0);
        assertTrue(all.allows(ip("198.19.2.1")));
        final Listener none = base().listener("a", ip("198.18.0.100"), 80, "web", 1).build().listener(0);
        assertTrue(none.allows(ip("198.19.2.1")));
    }

    @Test
    void shouldRejectMalformedRanges()
    {
        for (final String bad : new String[]{"198.18.0.0", "198.18.0.0/33", "198.18.0/24", "198.18.0.0/x", "/24"})
        {
            assertThrows(IllegalArgumentException.class,
                () -> base().listener("a", ip("198.18.0.100"), 80, "web", 1, bad).build(), bad);
        }
    }

    @Test
    void shouldSelectOnlyHealthyTargets()
    {
        final TargetPool pool = base().listener("a", ip("198.18.0.100"), 80, "web", 1).build().pool(0);
        assertEquals(1, pool.healthyCount());
        for (int i = 0; i < 10; i++)
        {
            assertEquals(0, pool.roundRobin(i));
        }
        final TargetPool down = ForwardingSnapshot.builder()
            .pool("p", 1, new int[]{ip("198.18.0.21")}, new boolean[]{false}, true).build().pool(0);
        assertEquals(TargetPool.NO_TARGET, down.roundRobin(0));
        assertEquals(TargetPool.NO_TARGET, down.maglev(ip("198.19.0.1")));
    }

    @Test
    void shouldResolveNeighboursThenGatewayAndNothingForUnknownOnLinkHosts()
    {
        final NextHops hops = NextHops.builder().epoch(3).localNetwork(ip("198.18.0.0"), 24).gatewayMac(0xAAL)
            .neighbour(ip("198.18.0.21"), 0xBBL).neighbour(ip("198.19.9.9"), 0xCCL).build();
        assertEquals(0xBBL, hops.resolve(ip("198.18.0.21")));
        assertEquals(0xCCL, hops.resolve(ip("198.19.9.9")), "a known neighbour wins even off-link");
        assertEquals(0xAAL, hops.resolve(ip("198.19.0.1")));
        assertEquals(NextHops.NO_MAC, hops.resolve(ip("198.18.0.99")));
        assertEquals(3, hops.epoch());
    }

    @Test
    void shouldPublishOnlyIncreasingVersionsAndReportWhatWorkersUse()
    {
        final SnapshotExchange exchange = new SnapshotExchange(base().build(), 2);
        assertEquals(-1, exchange.minObservedVersion());
        exchange.observed(0, 1);
        exchange.observed(1, 1);
        assertEquals(1, exchange.minObservedVersion());
        assertThrows(IllegalArgumentException.class, () -> exchange.publish(base().version(1).build()));
        exchange.publish(base().version(2).build());
        exchange.observed(0, 2);
        assertEquals(1, exchange.minObservedVersion());
        exchange.observed(1, 2);
        assertEquals(2, exchange.minObservedVersion());
        assertEquals(2, exchange.current().version());
    }
}
