package io.tandem.dataplane.snapshot;

import io.tandem.dataplane.flow.FlowTable;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The service plans of the STACKIT load balancer API ({@code planId}): each caps the concurrent connections of a
 * node, and the flow table is sized from the cap.
 */
public enum Plan
{
    /** 10 000 connections; the default. */
    P10(10_000),
    /** 50 000 connections. */
    P50(50_000),
    /** 250 000 connections. */
    P250(250_000),
    /** 750 000 connections. */
    P750(750_000),
    /** 1 500 000 connections. */
    P1500(1_500_000);

    /** The plan used when a configuration names none. */
    public static final Plan DEFAULT = P10;

    private final int maxConnections;

    Plan(final int maxConnections)
    {
        this.maxConnections = maxConnections;
    }

    /** @return the cap on concurrent connections of a node. */
    public int maxConnections()
    {
        return maxConnections;
    }

    /** @return the plan's id as the API spells it, e.g. {@code p250}. */
    public String id()
    {
        return name().toLowerCase(Locale.ROOT);
    }

    /** @return off-heap bytes of a flow table sized for this plan (index and records). */
    public long flowTableBytes()
    {
        return FlowTable.footprintBytes(maxConnections);
    }

    /**
     * @param id as the API spells it, e.g. {@code p10}.
     * @return the plan.
     * @throws IllegalArgumentException naming the known ids when {@code id} is not one of them.
     */
    public static Plan fromId(final String id)
    {
        for (final Plan plan : values())
        {
            if (plan.id().equals(id))
            {
                return plan;
            }
        }
        throw new IllegalArgumentException("unknown planId '" + id + "': one of " +
            Arrays.stream(values()).map(Plan::id).collect(Collectors.joining(", ")));
    }
}
