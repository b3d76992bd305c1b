package io.tandem.dataplane.snapshot;

import io.tandem.dataplane.flow.FlowTable;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class PlanTest
{
    @Test
    void shouldMapApiIdsToConnectionCaps()
    {
        assertEquals(10_000, Plan.fromId("p10").maxConnections());
        assertEquals(50_000, Plan.fromId("p50").maxConnections());
        assertEquals(250_000, Plan.fromId("p250").maxConnections());
        assertEquals(750_000, Plan.fromId("p750").maxConnections());
        assertEquals(1_500_000, Plan.fromId("p1500").maxConnections());
        assertEquals(Plan.P10, Plan.DEFAULT);
    }

    @Test
    void shouldRefuseUnknownIdsNamingTheKnownOnes()
    {
        final IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Plan.fromId("P10"));
        assertEquals("unknown planId 'P10': one of p10, p50, p250, p750, p1500", ex.getMessage());
    }

    @Test
    void shouldFitTheLargestPlansFlowTableIn256MiB()
    {
        for (final Plan plan : Plan.values())
        {
            assertTrue(plan.flowTableBytes() <= 256L << 20, plan + ": " + plan.flowTableBytes());
        }
        try (FlowTable table = new FlowTable(Plan.P1500.maxConnections(), 1))
        {
            assertEquals(1_500_000, table.capacity());
        }
    }
}
