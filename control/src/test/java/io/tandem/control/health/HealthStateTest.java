package io.tandem.control.health;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class HealthStateTest
{
    @Test
    void shouldGoDownOnlyAfterUnhealthyThresholdFailuresInARow()
    {
        final HealthState state = new HealthState(2, 3, true);
        assertFalse(state.onProbe(false));
        assertFalse(state.onProbe(false));
        assertFalse(state.onProbe(true), "a success breaks the streak");
        assertFalse(state.onProbe(false));
        assertFalse(state.onProbe(false));
        assertTrue(state.healthy());
        assertTrue(state.onProbe(false));
        assertFalse(state.healthy());
        assertEquals(3, state.failures());
        assertFalse(state.onProbe(false), "no second transition while down");
        assertEquals(4, state.failures());
    }

    @Test
    void shouldComeUpOnlyAfterHealthyThresholdSuccessesInARow()
    {
        final HealthState state = new HealthState(2, 3, false);
        assertFalse(state.onProbe(true));
        assertFalse(state.onProbe(false));
        assertEquals(0, state.successes());
        assertFalse(state.onProbe(true));
        assertTrue(state.onProbe(true));
        assertTrue(state.healthy());
        assertEquals(2, state.successes());
        assertEquals(0, state.failures());
    }

    @Test
    void shouldFlipOnEveryProbeWithThresholdsOfOne()
    {
        final HealthState state = new HealthState(1, 1, true);
        assertFalse(state.onProbe(true));
        assertTrue(state.onProbe(false));
        assertTrue(state.onProbe(true));
    }

    @Test
    void shouldRejectThresholdsBelowOne()
    {
        assertThrows(IllegalArgumentException.class, () -> new HealthState(0, 1, true));
        assertThrows(IllegalArgumentException.class, () -> new HealthState(1, 0, true));
    }
}
