package io.tandem.control.agent;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.ffi.Netns;
import io.tandem.ffi.RtNetlink;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The node's service addresses on a veth in a namespace, as {@code ip address} shows them: permanent for a
 * standalone node, leases that renewals keep alive for a pair's, and no renewal ever puts back an address that was
 * released while it ran.
 */
@Tag("root")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class OwnedAddressesTest
{
    private static final int VIP = Bytes.parseIpv4("198.18.57.100");
    private static final int SNAT = Bytes.parseIpv4("198.18.57.200");

    @Test
    void shouldOwnPermanentAddressesAndReleaseThem() throws Exception
    {
        try (Netns ns = withLink("oap"); RtNetlink netlink = ns.call(RtNetlink::open))
        {
            final OwnedAddresses owned = new OwnedAddresses(netlink, netlink.link("tdm0").index(), 0);
            assertTrue(owned.own(VIP));
            assertFalse(owned.own(VIP), "already there: taken over");
            assertTrue(owned.own(SNAT));
            assertTrue(addresses(ns).contains("inet 198.18.57.100/32 scope global tdm0"), addresses(ns));
            assertFalse(addresses(ns).contains("dynamic"), addresses(ns));
            assertEquals(List.of(VIP, SNAT), owned.addresses());

            owned.renew(); // nothing to renew
            owned.release(VIP);
            assertFalse(addresses(ns).contains("198.18.57.100/"), addresses(ns));
            owned.releaseAll();
            assertEquals("", addresses(ns).strip());
            assertEquals(List.of(), owned.addresses());
            owned.release(VIP); // not there: nothing happens
        }
    }

    @Test
    void shouldKeepLeasedAddressesWhileRenewedAndLetThemLapseAfter() throws Exception
    {
        try (Netns ns = withLink("oal"); RtNetlink netlink = ns.call(RtNetlink::open))
        {
            final OwnedAddresses owned = new OwnedAddresses(netlink, netlink.link("tdm0").index(), 2);
            assertTrue(owned.own(VIP));
            assertTrue(addresses(ns).contains("inet 198.18.57.100/32 scope global dynamic tdm0"), addresses(ns));

            final long renewUntil = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(3500);
            while (System.nanoTime() - renewUntil < 0)
            {
                owned.renew();
                Thread.sleep(250);
            }
            assertTrue(addresses(ns).contains("198.18.57.100/32"), "renewed past its 2 s lease: " + addresses(ns));

            final long lapseBy = System.nanoTime() + TimeUnit.SECONDS.toNanos(6);
            while (addresses(ns).contains("198.18.57.100/") && System.nanoTime() - lapseBy < 0)
            {
                Thread.sleep(100);
            }
            assertFalse(addresses(ns).contains("198.18.57.100/"), "lapsed without renewals: " + addresses(ns));
        }
    }

    @Test
    void shouldNeverPutBackAnAddressReleasedWhileRenewalsRun() throws Exception
    {
        try (Netns ns = withLink("oar"); RtNetlink netlink = ns.call(RtNetlink::open))
        {
            final OwnedAddresses owned = new OwnedAddresses(netlink, netlink.link("tdm0").index(), 3);
            final AtomicBoolean running = new AtomicBoolean(true);
            final AtomicLong renewals = new AtomicLong();
            final Thread renewer = new Thread(() ->
            {
                final long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
                while (running.get() && System.nanoTime() - deadline < 0)
                {
                    owned.renew();
                    renewals.incrementAndGet();
                }
            }, "renewer");
            renewer.start();
            try
            {
                for (int round = 0; round < 50; round++)
                {
                    owned.own(VIP);
                    owned.own(SNAT);
                    owned.releaseAll();
                    assertEquals(List.of(), netlink.addresses(netlink.link("tdm0").index()),
                        "round " + round + ": released while renewals ran, and none came back");
                }
            }
            finally
            {
                running.set(false);
                renewer.join(5000);
            }
            assertTrue(renewals.get() > 50, "renewals ran alongside: " + renewals.get());
            assertEquals("", addresses(ns).strip());
        }
    }

    @Test
    void shouldRefuseANegativeLease()
    {
        assertThrows(IllegalArgumentException.class, () -> new OwnedAddresses(null, 1, -1));
    }

    private static Netns withLink(final String label)
    {
        final Netns ns = Netns.create(label);
        try
        {
            // this kernel has no dummy links: a veth pair with both ends in the namespace
            ns.ip("link", "add", "tdm0", "type", "veth", "peer", "name", "tdm1");
            ns.ip("link", "set", "tdm0", "up");
            ns.ip("link", "set", "tdm1", "up");
            return ns;
        }
        catch (final RuntimeException ex)
        {
            ns.close();
            throw ex;
        }
    }

    private static String addresses(final Netns ns)
    {
        return ns.ip("-4", "-o", "address", "show", "dev", "tdm0");
    }
}
