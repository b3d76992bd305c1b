package io.tandem.control.net;

import io.tandem.dataplane.packet.Bytes;
import io.tandem.ffi.Netns;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class NftIngressRuleTest
{
    private static final String VIP = "198.18.210.100";
    private static final String SNAT = "198.18.210.200";

    @Test
    void shouldWriteOneTableWithADropPerListenerAndTheSnatRange()
    {
        final NftIngressRule rule = new NftIngressRule("eth1");
        final String ruleset = rule.ruleset(new long[]{listener(VIP, 443), listener(VIP, 80)},
            Bytes.parseIpv4(SNAT), 1024, 65535);
        assertEquals("""
            table netdev tandem_eth1 {}
            delete table netdev tandem_eth1
            table netdev tandem_eth1 {
              chain ingress {
                type filter hook ingress device "eth1" priority -500; policy accept;
                ip daddr 198.18.210.100 tcp dport 443 counter drop
                ip daddr 198.18.210.100 tcp dport 80 counter drop
                ip daddr 198.18.210.200 tcp dport 1024-65535 counter drop
              }
            }
            """, ruleset);
    }

    private static long listener(final String vip, final int port)
    {
        return ((long)Bytes.parseIpv4(vip) << 16) | port;
    }

    /** Curl's exit code for a connection to the VIP from the peer namespace: 7 refused, 28 timed out. */
    private static int curlExit(final Netns client, final int port) throws Exception
    {
        final Process p = client.start("curl", "-s", "-o", "/dev/null", "--max-time", "1",
            "http://" + VIP + ":" + port + "/");
        p.getInputStream().readAllBytes();
        return p.waitFor();
    }

    @Test
    @Tag("root")
    void shouldKeepTheKernelFromAnsweringListenerSegmentsUntilRemoved() throws Exception
    {
        try (Netns node = Netns.create("nft"); Netns client = Netns.create("nftc"))
        {
            Netns.veth(node, "tdm-n", client, "tdm-c");
            node.ip("addr", "add", VIP + "/24", "dev", "tdm-n");
            node.ip("addr", "add", SNAT + "/32", "dev", "tdm-n");
            client.ip("addr", "add", "198.18.210.1/24", "dev", "tdm-c");
            final NftIngressRule rule = new NftIngressRule("tdm-n", List.of("ip", "netns", "exec", node.name()));

            assertEquals(7, curlExit(client, 80), "without the rule the kernel refuses with an RST");
            rule.install(new long[]{listener(VIP, 80)}, Bytes.parseIpv4(SNAT), 1024, 65535);
            assertTrue(rule.isInstalled());
            assertEquals(28, curlExit(client, 80), "with it, the kernel never sees the SYN");
            assertEquals(7, curlExit(client, 81), "ports that are not listeners stay with the kernel");
            assertTrue(rule.list().contains("tcp dport 80"), rule.list());

            rule.install(new long[]{listener(VIP, 81)}, Bytes.parseIpv4(SNAT), 1024, 65535);
            assertEquals(7, curlExit(client, 80), "replaced atomically: port 80 is the kernel's again");
            assertEquals(28, curlExit(client, 81));

            rule.remove();
            assertFalse(rule.isInstalled());
            assertEquals(7, curlExit(client, 81));
            rule.remove();
        }
    }
}
