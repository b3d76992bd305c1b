package io.tandem.control.config;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.dataplane.snapshot.ForwardingSnapshot;
import io.tandem.dataplane.snapshot.Listener;
import io.tandem.dataplane.snapshot.NextHops;
import io.tandem.dataplane.snapshot.Plan;
import io.tandem.dataplane.snapshot.TargetPool;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.Map;

import static io.tandem.control.config.ConfigFixtures.resource;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SnapshotFactoryTest
{
    private static final long NODE_MAC = Bytes.parseMac("02:00:c6:12:00:c8");
    private static final NextHops NEXT_HOPS = NextHops.builder().epoch(1).localNetwork(ip("198.18.0.0"), 15)
        .neighbour(ip("198.18.1.11"), Bytes.parseMac("02:00:c6:12:01:0b")).build();

    private static int ip(final String text)
    {
        return Bytes.parseIpv4(text);
    }

    @Test
    void shouldBuildListenersAndPoolsAsConfigured()
    {
        final TandemConfig config = ConfigReader.parse(resource("example.json"));

        final ForwardingSnapshot snapshot = SnapshotFactory.build(config, 42, NODE_MAC, NEXT_HOPS,
            TargetHealth.ALL_HEALTHY, null, true);

        assertEquals(42, snapshot.version());
        assertEquals(NODE_MAC, snapshot.nodeMac());
        assertEquals(ip("198.18.0.200"), snapshot.snatIp());
        assertEquals(Plan.P250.maxConnections(), snapshot.maxConnections());
        assertSame(NEXT_HOPS, snapshot.nextHops());

        assertEquals(3, snapshot.listenerCount());
        assertListener(snapshot, 0, "https", 443, "web-tls", Duration.ofSeconds(300));
        assertListener(snapshot, 1, "http", 80, "web", Duration.ofSeconds(300));
        assertListener(snapshot, 2, "postgres", 5432, "db", Duration.ofHours(1));
        assertTrue(snapshot.isVip(ip("198.18.0.100")));
        assertEquals(ForwardingSnapshot.NO_LISTENER, snapshot.listenerIndex(ip("198.18.0.100"), 8080));

        assertEquals(3, snapshot.poolCount());
        final TargetPool web = snapshot.pool(1);
        assertEquals("web", web.name());
        assertEquals(8080, web.targetPort());
        assertEquals(3, web.targetCount());
        assertEquals(ip("198.18.1.13"), web.targetIp(2));
        assertEquals(3, web.healthyCount());
        assertFalse(web.sourceIpPersistence());
        final TargetPool db = snapshot.pool(2);
        assertEquals(5432, db.targetPort());
        assertTrue(db.sourceIpPersistence());
        assertEquals(db.maglev(ip("198.19.200.1")), db.maglev(ip("198.19.200.1")));
    }

    private static void assertListener(
        final ForwardingSnapshot snapshot, final int i, final String name, final int port, final String pool,
        final Duration idleTimeout)
    {
        final Listener listener = snapshot.listener(i);
        assertEquals(name, listener.name());
        assertEquals(ip("198.18.0.100"), listener.vip());
        assertEquals(port, listener.port());
        assertEquals(pool, snapshot.pool(listener.poolIndex()).name());
        assertEquals(idleTimeout.toNanos(), listener.idleTimeoutNs());
        assertEquals(i, snapshot.listenerIndex(ip("198.18.0.100"), port));
        // options.accessControl applies to every listener: 198.18.0.0/24 and 198.19.128.0/17.
        assertEquals(2, listener.aclRangeCount());
        assertTrue(listener.allows(ip("198.18.0.77")));
        assertTrue(listener.allows(ip("198.19.200.1")));
        assertFalse(listener.allows(ip("198.18.1.77")));
        assertFalse(listener.allows(ip("198.19.127.255")));
    }

    @Test
    void shouldTakeTargetHealthByPoolAndAddress()
    {
        final LoadBalancerConfig lb = ConfigReader.parse(resource("example.json")).loadBalancer();
        final TargetHealth health = TargetHealth.of(Map.of(
            new TargetHealth.Key("web", "198.18.1.12"), false,
            new TargetHealth.Key("web-tls", "198.18.1.11"), true,
            new TargetHealth.Key("db", "198.18.2.21"), false));

        final ForwardingSnapshot snapshot = SnapshotFactory.build(lb, 1, NODE_MAC, ip("198.18.0.201"), NEXT_HOPS,
            health);

        assertEquals(ip("198.18.0.201"), snapshot.snatIp());
        final TargetPool webTls = snapshot.pool(0);
        assertEquals(3, webTls.healthyCount());
        final TargetPool web = snapshot.pool(1);
        assertTrue(web.isHealthy(0));
        assertFalse(web.isHealthy(1));
        assertTrue(web.isHealthy(2));
        assertEquals(2, web.healthyCount());
        final TargetPool db = snapshot.pool(2);
        assertEquals(1, db.healthyCount());
        // Only db-b is healthy, so Maglev sends every client there.
        assertEquals(1, db.maglev(ip("198.19.200.1")));
        assertEquals(1, db.maglev(ip("198.18.0.9")));
    }

    @Test
    void shouldLetEverySourceInWhenNoRangeIsConfigured()
    {
        final TandemConfig config = ConfigReader.parse(ConfigReaderTest.MINIMAL);

        final ForwardingSnapshot snapshot = SnapshotFactory.build(config, 1, NODE_MAC, NEXT_HOPS,
            TargetHealth.ALL_HEALTHY, null, true);

        assertEquals(Plan.P10.maxConnections(), snapshot.maxConnections());
        final Listener listener = snapshot.listener(0);
        assertEquals("tcp-80", listener.name());
        assertEquals(0, listener.aclRangeCount());
        assertTrue(listener.allows(ip("198.19.255.254")));
        assertEquals(Duration.ofSeconds(300).toNanos(), listener.idleTimeoutNs());
    }

    @Test
    void shouldGiveEveryTargetAStableSlotOfItsOwn()
    {
        final TandemConfig config = ConfigReader.parse(resource("example.json"));
        final TargetSlots slots = new TargetSlots();

        final ForwardingSnapshot first = SnapshotFactory.build(config, 1, NODE_MAC, NEXT_HOPS,
            TargetHealth.ALL_HEALTHY, slots, true);
        final ForwardingSnapshot second = SnapshotFactory.build(config, 2, NODE_MAC, NEXT_HOPS,
            TargetHealth.ALL_HEALTHY, slots, true);

        final java.util.Set<Integer> seen = new java.util.HashSet<>();
        int targets = 0;
        for (int p = 0; p < first.poolCount(); p++)
        {
            for (int t = 0; t < first.pool(p).targetCount(); t++)
            {
                final int slot = first.pool(p).targetSlot(t);
                assertTrue(slot > 0, "slot 0 is the shared one");
                assertEquals(slot, second.pool(p).targetSlot(t), "stable across snapshots");
                assertTrue(seen.add(slot), "one slot per pool and target");
                targets++;
            }
        }
        assertEquals(targets, slots.slots().size());
    }
}
