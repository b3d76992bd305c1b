package io.tandem.control.demo;

import org.agrona.concurrent.NanoClock;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The counting and bounding of {@link DemoTraffic}, with a fake sender and clock: no network, no root. */
class DemoTrafficTest
{
    private long nowNs;
    private final NanoClock clock = () -> nowNs;

    @Test
    void shouldCountRequestsByTargetName()
    {
        final DemoTraffic.Result result = DemoTraffic.run((index, timeoutNs) -> "target-" + (index % 3 + 1) + "\n",
            100, Duration.ofSeconds(5), clock);

        assertEquals(Map.of("target-1", 34, "target-2", 33, "target-3", 33), result.counts());
        assertEquals(List.of("target-1", "target-2", "target-3"), List.copyOf(result.counts().keySet()));
        assertEquals(100, result.sent());
        assertEquals(100, result.succeeded());
        assertFalse(result.timedOut());
        final String table = result.table();
        assertTrue(table.contains("target-1") && table.contains("34.0%") && table.contains("33.0%"), table);
    }

    @Test
    void shouldCountFailuresAndKeepTheirMessagesOnce()
    {
        final DemoTraffic.Result result = DemoTraffic.run((index, timeoutNs) ->
        {
            if (index % 2 == 0)
            {
                throw new IOException("connection refused");
            }
            return "target-2";
        }, 10, Duration.ofSeconds(5), clock);

        assertEquals(Map.of("target-2", 5), result.counts());
        assertEquals(10, result.sent());
        assertEquals(5, result.failed());
        assertEquals(List.of("IOException: connection refused"), result.errors());
        assertTrue(result.table().contains("failed"));
    }

    @Test
    void shouldStopAtTheTimeLimitAndCutEachRequestsTimeout()
    {
        final List<Long> timeouts = new ArrayList<>();
        final DemoTraffic.Result result = DemoTraffic.run((index, timeoutNs) ->
        {
            timeouts.add(timeoutNs);
            nowNs += 300_000_000L; // each request takes 300 ms
            return "target-1";
        }, 1000, Duration.ofSeconds(1), clock);

        assertTrue(result.timedOut());
        assertEquals(4, result.sent()); // starts at 0, 300, 600 and 900 ms; none at 1200 ms
        assertEquals(1_200_000_000L, result.elapsedNs());
        assertEquals(List.of(1_000_000_000L, 700_000_000L, 400_000_000L, 100_000_000L), timeouts);
        assertTrue(result.table().contains("time limit"));
    }

    @Test
    void shouldSendNothingWithoutTime()
    {
        final DemoTraffic.Result result = DemoTraffic.run((index, timeoutNs) -> "target-1", 10, Duration.ZERO, clock);

        assertEquals(0, result.sent());
        assertTrue(result.timedOut());
        assertTrue(result.counts().isEmpty());
    }

    @Test
    void shouldCountBlankAnswersSeparately()
    {
        final DemoTraffic.Result result = DemoTraffic.run((index, timeoutNs) -> "  ", 2, Duration.ofSeconds(1), clock);

        assertEquals(Map.of("(empty)", 2), result.counts());
    }
}
