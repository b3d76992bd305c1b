package io.tandem.control.net;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Turns off the receive offloads that would hand the data plane frames larger than the MTU (GRO, LRO, and on
 * virtio the guest TSO that LRO controls), and the send offloads of the node's own stack, on the data interface;
 * and puts back what was on when the agent stops.
 * <p>
 * The worker forwards MTU-sized frames through rings that cannot carry segmentation metadata; the alternative,
 * PACKET_VNET_HDR on both rings, would keep super-frames (fewer, larger frames per wakeup) at the cost of
 * segmenting them on the way out. Offloads off is the simpler contract and is what Tandem does; the measured
 * comparison belongs with the end-to-end benchmark.
 */
public final class DataInterfaceOffloads
{
    /** The features turned off, by ethtool's short names. */
    public static final List<String> FEATURES = List.of("gro", "lro", "gso", "tso");

    private final String interfaceName;
    private final List<String> commandPrefix;
    private final Map<String, Boolean> before = new LinkedHashMap<>();

    /**
     * @param interfaceName the data interface.
     * @param commandPrefix put before every ethtool command, e.g. {@code ip netns exec NS} in tests; empty for the
     *                      agent.
     */
    public DataInterfaceOffloads(final String interfaceName, final List<String> commandPrefix)
    {
        this.interfaceName = interfaceName;
        this.commandPrefix = List.copyOf(commandPrefix);
    }

    private List<String> ethtool(final String... args)
    {
        final List<String> command = new ArrayList<>(commandPrefix);
        command.add("ethtool");
        command.addAll(List.of(args));
        return command;
    }

    /**
     * Reads the current settings, then turns the features off. Features the driver does not have, or cannot
     * change ("[fixed]"), are left as they are.
     */
    public void disable()
    {
        final String current = Commands.run(null, ethtool("-k", interfaceName));
        final Map<String, String> longNames = Map.of(
            "gro", "generic-receive-offload",
            "lro", "large-receive-offload",
            "gso", "generic-segmentation-offload",
            "tso", "tcp-segmentation-offload");
        final List<String> command = ethtool("-K", interfaceName);
        for (final String feature : FEATURES)
        {
            final String prefix = longNames.get(feature) + ": ";
            for (final String line : current.split("\n"))
            {
                final String trimmed = line.strip();
                if (trimmed.startsWith(prefix) && !trimmed.contains("[fixed]"))
                {
                    final boolean on = trimmed.substring(prefix.length()).startsWith("on");
                    before.put(feature, on);
                    if (on)
                    {
                        command.add(feature);
                        command.add("off");
                    }
                }
            }
        }
        if (command.size() > commandPrefix.size() + 3)
        {
            Commands.run(null, command);
        }
    }

    /** Puts back the features that were on before {@link #disable()}. */
    public void restore()
    {
        final List<String> command = ethtool("-K", interfaceName);
        before.forEach((feature, on) ->
        {
            if (on)
            {
                command.add(feature);
                command.add("on");
            }
        });
        before.clear();
        if (command.size() > commandPrefix.size() + 3)
        {
            Commands.run(null, command);
        }
    }
}
