package io.tandem.control.net;

import io.tandem.dataplane.packet.Bytes;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;

/**
 * The nftables netdev ingress rule that hides the balancer's TCP segments from the node's own TCP stack: TCP to a
 * listener's VIP and port, and TCP to the SNAT address in the workers' port range, is dropped at ingress. The
 * packet socket bound to ETH_P_ALL has seen the frame already (taps run before ingress hooks), so the worker still
 * forwards it; without the rule the kernel, which owns the VIP and SNAT addresses for ARP, would answer every such
 * segment with an RST.
 * <p>
 * Installed and removed through the {@code nft} tool: it is the interface nftables supports and documents, the
 * rule set is one readable text that an operator sees unchanged in {@code nft list ruleset}, and nft's own error
 * messages explain a failure better than raw netlink errors would. The rule lives in a table of its own per data
 * interface ({@code netdev tandem_<if>}), replaced atomically by one nft transaction and deleted whole on shutdown,
 * so it never mixes with rules the operator keeps elsewhere.
 * <p>
 * nft does not check that the device exists: since Linux 6.x a netdev chain may wait for its device to appear. The
 * agent checks the data interface over rtnetlink before it installs the rule.
 */
public final class NftIngressRule
{
    /** Priority of the ingress chain: early, before any operator filter at the default priority. */
    public static final int PRIORITY = -500;

    private final String interfaceName;
    private final String table;
    private final List<String> commandPrefix;

    /**
     * @param interfaceName the data interface.
     */
    public NftIngressRule(final String interfaceName)
    {
        this(interfaceName, List.of());
    }

    /**
     * @param interfaceName the data interface.
     * @param commandPrefix put before every nft command, e.g. {@code ip netns exec NS} in tests; empty for the agent.
     */
    public NftIngressRule(final String interfaceName, final List<String> commandPrefix)
    {
        this.interfaceName = Objects.requireNonNull(interfaceName);
        this.commandPrefix = List.copyOf(commandPrefix);
        this.table = "tandem_" + interfaceName.replaceAll("[^A-Za-z0-9_]", "_");
    }

    /** @return the nft table name the rule lives in. */
    public String table()
    {
        return table;
    }

    /**
     * The rule set for a configuration.
     *
     * @param listeners     VIP and port of each listener, as {@code ((long)vip << 16) | port}.
     * @param snatIp        the SNAT address.
     * @param snatFirstPort first port of the workers' SNAT range.
     * @param snatLastPort  last port of the range.
     * @return nft input that (re)creates the table with exactly these drops.
     */
    public String ruleset(final long[] listeners, final int snatIp, final int snatFirstPort, final int snatLastPort)
    {
        final StringBuilder sb = new StringBuilder();
        // add + delete + add: creates the table if missing, then replaces its contents in the same transaction
        sb.append("table netdev ").append(table).append(" {}\n");
        sb.append("delete table netdev ").append(table).append('\n');
        sb.append("table netdev ").append(table).append(" {\n");
        sb.append("  chain ingress {\n");
        sb.append("    type filter hook ingress device \"").append(interfaceName).append("\" priority ")
            .append(PRIORITY).append("; policy accept;\n");
        final TreeSet<String> lines = new TreeSet<>();
        for (final long listener : listeners)
        {
            lines.add("    ip daddr " + Bytes.ipv4ToString((int)(listener >>> 16)) + " tcp dport " +
                (listener & 0xFFFF) + " counter drop\n");
        }
        lines.forEach(sb::append);
        sb.append("    ip daddr ").append(Bytes.ipv4ToString(snatIp)).append(" tcp dport ").append(snatFirstPort)
            .append('-').append(snatLastPort).append(" counter drop\n");
        sb.append("  }\n}\n");
        return sb.toString();
    }

    /**
     * Installs or replaces the rule, atomically.
     *
     * @throws IllegalStateException with nft's message when nft refuses (e.g. no such device, no privilege).
     */
    public void install(final long[] listeners, final int snatIp, final int snatFirstPort, final int snatLastPort)
    {
        Commands.run(ruleset(listeners, snatIp, snatFirstPort, snatLastPort), nft("-f", "-"));
    }

    /** @return true when the table exists. */
    public boolean isInstalled()
    {
        try
        {
            Commands.run(null, nft("list", "table", "netdev", table));
            return true;
        }
        catch (final IllegalStateException ex)
        {
            return false;
        }
    }

    /** @return the installed table as nft lists it. */
    public String list()
    {
        return Commands.run(null, nft("list", "table", "netdev", table));
    }

    /** Removes the rule; does nothing when it is not installed. */
    public void remove()
    {
        if (isInstalled())
        {
            Commands.run(null, nft("delete", "table", "netdev", table));
        }
    }

    private List<String> nft(final String... args)
    {
        final List<String> command = new ArrayList<>(commandPrefix);
        command.add("nft");
        command.addAll(List.of(args));
        return command;
    }
}
