package io.tandem.ffi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * RtNetlinkEvents against the kernel: changes made with ip, with ping and with RtNetlink itself arrive as events
 * with the right address and MAC within a bounded time, and an overflowing receive buffer is reported.
 */
@Tag("root")
class RtNetlinkEventsTest
{
    private static final long TIMEOUT_MS = 3_000;

    @Test
    void shouldReportNeighbourChangesMadeWithIpAndByTraffic() throws Exception
    {
        try (RtNetlinkTest.Pair pair = RtNetlinkTest.Pair.create("211");
            RtNetlinkEvents events = pair.a.call(RtNetlinkEvents::open))
        {
            pair.addresses("198.18.211.1", "198.18.211.2");
            final Recorder recorder = new Recorder();
            final int static9 = NetlinkMessages.parseIpv4("198.18.211.9");
            final long mac9 = NetlinkMessages.parseMac("02:00:00:00:00:09");

            pair.a.ip("neigh", "replace", "198.18.211.9", "lladdr", "02:00:00:00:00:09", "dev", "tdm0", "nud",
                "permanent");
            final Event added = recorder.await(events, e -> e.neighbour != null && e.neighbour.address() == static9);
            assertFalse(added.removed);
            assertEquals(mac9, added.neighbour.mac());
            assertEquals(RtNetlink.NUD_PERMANENT, added.neighbour.state());

            pair.a.ip("neigh", "replace", "198.18.211.9", "lladdr", "02:00:00:00:00:0a", "dev", "tdm0", "nud",
                "permanent");
            final Event changed = recorder.await(events, e -> e.neighbour != null && e.neighbour.address() == static9 &&
                e.neighbour.mac() == mac9 + 1);
            assertFalse(changed.removed);

            pair.a.ip("neigh", "del", "198.18.211.9", "dev", "tdm0");
            final Event removed = recorder.await(events, e -> e.removed && e.neighbour != null &&
                e.neighbour.address() == static9);
            // The kernel fails the entry before it announces the removal, so the removal carries no MAC.
            assertFalse(removed.neighbour.hasMac(), removed.neighbour.toString());
            assertFalse(removed.neighbour.isUsable());

            assertTrue(pair.a.exec("ping", "-c", "1", "-W", "2", "198.18.211.2").contains("1 received"));
            final Event learnt = recorder.await(events, e -> !e.removed && e.neighbour != null &&
                e.neighbour.address() == NetlinkMessages.parseIpv4("198.18.211.2") && e.neighbour.isUsable());
            assertEquals(pair.macB, learnt.neighbour.mac(), learnt.neighbour.toString());
            assertEquals(0, recorder.overruns);
        }
    }

    @Test
    void shouldReportAddressAndLinkChanges() throws Exception
    {
        try (RtNetlinkTest.Pair pair = RtNetlinkTest.Pair.create("212");
            RtNetlinkEvents events = pair.a.call(RtNetlinkEvents::open);
            RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final Recorder recorder = new Recorder();
            final int index = netlink.link("tdm0").index();
            final int vip = NetlinkMessages.parseIpv4("198.18.212.100");

            netlink.addAddress(index, vip, 32);
            final Event added = recorder.await(events, e -> e.address != null && e.address.address() == vip);
            assertFalse(added.removed);
            assertEquals(new RtNetlinkAddress(index, vip, 32, "tdm0", 0x80, 0), added.address);

            netlink.removeAddress(index, vip, 32);
            assertTrue(recorder.await(events, e -> e.removed && e.address != null && e.address.address() == vip)
                .address.prefixLength() == 32);

            pair.a.ip("link", "set", "tdm0", "down");
            final Event down = recorder.await(events, e -> e.link != null && e.link.index() == index &&
                !e.link.isUp());
            assertEquals("tdm0", down.link.name());
            assertEquals(pair.macA, down.link.mac());
            assertEquals("veth", down.link.kind());
        }
    }

    @Test
    void shouldReturnAtOnceWhenNothingIsQueued() throws Exception
    {
        try (Netns netns = Netns.create("nl213");
            RtNetlinkEvents events = netns.call(RtNetlinkEvents::open))
        {
            final Recorder recorder = new Recorder();
            assertEquals(0, events.pollEvents(recorder));
            assertFalse(events.awaitReadable(0));
            assertTrue(events.fd() >= 0);
            assertTrue(recorder.events.isEmpty());
        }
    }

    @Test
    void shouldReportAnOverrunWhenTheReceiveBufferOverflowsAndCarryOnAfter() throws Exception
    {
        try (RtNetlinkTest.Pair pair = RtNetlinkTest.Pair.create("214");
            RtNetlinkEvents events = pair.a.call(() -> RtNetlinkEvents.open(RtNetlink.RTMGRP_IPV4_IFADDR, 1));
            RtNetlink netlink = pair.a.call(RtNetlink::open))
        {
            final int index = netlink.link("tdm0").index();
            final int base = NetlinkMessages.parseIpv4("198.18.214.0");
            // The smallest receive buffer holds a handful of notifications; 200 do not fit.
            for (int host = 1; host <= 200; host++)
            {
                netlink.addAddress(index, base + host, 32);
            }

            final Recorder recorder = new Recorder();
            events.pollEvents(recorder);
            assertTrue(recorder.overruns >= 1, "ENOBUFS reported");
            assertEquals(recorder.overruns, events.overruns());
            assertTrue(recorder.events.size() < 200, "some were lost: " + recorder.events.size());

            // After the overrun, a re-dump sees everything and new events arrive again.
            assertEquals(200, netlink.addresses(index).size());
            netlink.removeAddress(index, base + 1, 32);
            final Event removed = recorder.await(events, e -> e.removed && e.address != null &&
                e.address.address() == base + 1);
            assertEquals(32, removed.address.prefixLength());
        }
    }

    private record Event(RtNetlinkLink link, RtNetlinkAddress address, RtNetlinkNeighbour neighbour, boolean removed)
    {
    }

    private static final class Recorder implements RtNetlinkEventListener
    {
        final List<Event> events = new ArrayList<>();
        int overruns;

        @Override
        public void onLink(final RtNetlinkLink link, final boolean removed)
        {
            events.add(new Event(link, null, null, removed));
        }

        @Override
        public void onAddress(final RtNetlinkAddress address, final boolean removed)
        {
            events.add(new Event(null, address, null, removed));
        }

        @Override
        public void onNeighbour(final RtNetlinkNeighbour neighbour, final boolean removed)
        {
            events.add(new Event(null, null, neighbour, removed));
        }

        @Override
        public void onOverrun()
        {
            overruns++;
        }

        /** Polls until an event matches, for at most {@link #TIMEOUT_MS}; consumes the events up to it. */
        Event await(final RtNetlinkEvents source, final Predicate<Event> match)
        {
            final long deadline = System.nanoTime() + TIMEOUT_MS * 1_000_000L;
            while (true)
            {
                while (!events.isEmpty())
                {
                    final Event event = events.remove(0);
                    if (match.test(event))
                    {
                        return event;
                    }
                }
                final long leftMs = (deadline - System.nanoTime()) / 1_000_000L;
                if (leftMs <= 0)
                {
                    throw new AssertionError("no matching event within " + TIMEOUT_MS + " ms");
                }
                if (source.awaitReadable((int)Math.min(leftMs, 100)))
                {
                    source.pollEvents(this);
                }
            }
        }
    }
}
