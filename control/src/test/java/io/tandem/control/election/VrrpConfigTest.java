package io.tandem.control.election;

import io.tandem.dataplane.packet.Bytes;
import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Defaults, derived values and validation messages that name the field.
 */
class VrrpConfigTest
{
    private static final byte[] KEY = new byte[32];

    private static VrrpConfig unicast()
    {
        return VrrpConfig.of("eth1", "198.18.51.2", "198.18.51.1", 51, 100);
    }

    @Test
    void shouldDefaultToMulticastWithoutPreemptionAt100Ms()
    {
        final VrrpConfig config = VrrpConfig.of("eth1", "198.18.51.2", null, 51, 100);
        assertFalse(config.preempt());
        assertEquals(10, config.advertIntervalCs());
        assertNull(config.key());
        assertEquals(List.of(), config.virtualAddresses());
        assertFalse(config.isUnicast());
        assertEquals(VrrpAdvertisement.MULTICAST_GROUP, config.destinationAddress());
        assertEquals(0, config.peerAddressValue());
        assertEquals(Bytes.parseIpv4("198.18.51.2"), config.localAddressValue());
    }

    @Test
    void shouldDeriveTheUnicastDestinationAndAddressValues()
    {
        final VrrpConfig config = unicast().withVirtualAddresses(List.of("198.18.51.100", "198.18.51.101"))
            .withPreempt(true).withAdvertIntervalCs(100).withKey(KEY);
        assertTrue(config.isUnicast());
        assertEquals(Bytes.parseIpv4("198.18.51.1"), config.destinationAddress());
        assertEquals(List.of(Bytes.parseIpv4("198.18.51.100"), Bytes.parseIpv4("198.18.51.101")),
            config.virtualAddressValues());
        assertTrue(config.preempt());
        assertEquals(100, config.advertIntervalCs());
        assertArrayEquals(KEY, config.key());
    }

    @Test
    void shouldCopyTheKeyAndKeepItOutOfToString()
    {
        final byte[] key = new byte[16];
        Arrays.fill(key, (byte)7);
        final VrrpConfig config = unicast().withKey(key);
        key[0] = 9;
        assertEquals(7, config.key()[0], "copied in");
        config.key()[1] = 9;
        assertEquals(7, config.key()[1], "copied out");
        assertEquals(config, unicast().withKey(config.key()), "equal by the key's content");
        assertNotEquals(config, unicast());
        assertEquals(config.hashCode(), unicast().withKey(config.key()).hashCode());
        assertTrue(config.toString().contains("key=16 bytes"), config.toString());
    }

    @Test
    void shouldNameTheFieldThatIsWrong()
    {
        assertMessage("interfaceName", () -> VrrpConfig.of("", "198.18.51.2", null, 1, 100));
        assertMessage("interfaceName", () -> VrrpConfig.of("a-name-of-16-chr", "198.18.51.2", null, 1, 100));
        assertMessage("interfaceName", () -> VrrpConfig.of(null, "198.18.51.2", null, 1, 100));
        assertMessage("localAddress", () -> VrrpConfig.of("eth1", "198.18.51", null, 1, 100));
        assertMessage("localAddress", () -> VrrpConfig.of("eth1", null, null, 1, 100));
        assertMessage("localAddress", () -> VrrpConfig.of("eth1", "224.0.0.18", null, 1, 100));
        assertMessage("peerAddress", () -> VrrpConfig.of("eth1", "198.18.51.2", "198.18.51.x", 1, 100));
        assertMessage("peerAddress", () -> VrrpConfig.of("eth1", "198.18.51.2", "198.18.51.2", 1, 100));
        assertMessage("routerId", () -> VrrpConfig.of("eth1", "198.18.51.2", null, 0, 100));
        assertMessage("routerId", () -> VrrpConfig.of("eth1", "198.18.51.2", null, 256, 100));
        assertMessage("priority", () -> VrrpConfig.of("eth1", "198.18.51.2", null, 1, 0));
        assertMessage("priority", () -> VrrpConfig.of("eth1", "198.18.51.2", null, 1, 255));
        assertMessage("advertIntervalCs", () -> unicast().withAdvertIntervalCs(0));
        assertMessage("advertIntervalCs", () -> unicast().withAdvertIntervalCs(4096));
        assertMessage("key", () -> unicast().withKey(new byte[15]));
        assertMessage("virtualAddresses", () -> unicast().withVirtualAddresses(null));
        assertMessage("virtualAddresses", () -> unicast().withVirtualAddresses(List.of("198.18.51.300")));
        assertMessage("virtualAddresses", () -> unicast().withVirtualAddresses(List.of("198.18.51.100",
            "198.18.51.100")));
        assertMessage("virtualAddresses", () -> unicast().withVirtualAddresses(
            Collections.nCopies(256, "198.18.51.100")));
    }

    private static void assertMessage(final String field, final Supplier<VrrpConfig> build)
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, build::get);
        assertTrue(ex.getMessage().startsWith(field + " ") || ex.getMessage().startsWith(field + ":"),
            ex.getMessage());
    }
}
