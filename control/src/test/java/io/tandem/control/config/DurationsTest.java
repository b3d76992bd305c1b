package io.tandem.control.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class DurationsTest
{
    @Test
    void shouldReadTheApiFormat()
    {
        assertEquals(Duration.ofSeconds(300), Durations.parse("300s"));
        assertEquals(Duration.ofMillis(500), Durations.parse("0.5s"));
        assertEquals(Duration.ofMillis(1500), Durations.parse("1.5s"));
        assertEquals(Duration.ofSeconds(1, 1), Durations.parse("1.000000001s"));
        assertEquals(Duration.ofMillis(10), Durations.parse("0.010s"));
        assertEquals(Duration.ZERO, Durations.parse("0s"));
        assertEquals(Duration.ZERO, Durations.parse("-0s"));
        assertEquals(Duration.ofMillis(-2500), Durations.parse("-2.5s"));
        assertEquals(Duration.ofSeconds(999_999_999_999L, 999_999_999), Durations.parse("999999999999.999999999s"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "s", "300", "300S", "5m", "1h", "300 s", " 300s", "300s ", "300s\n", "+1s", "00s",
        "01s", "1.s", ".5s", "1.0000000001s", "1e3s", "1,5s", "1000000000000s", "--1s", "PT5S", "١s"})
    void shouldRefuseAnythingElse(final String text)
    {
        assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    }

    @Test
    void shouldWriteTheShortestCanonicalForm()
    {
        assertEquals("300s", Durations.format(Duration.ofSeconds(300)));
        assertEquals("0s", Durations.format(Duration.ZERO));
        assertEquals("0.5s", Durations.format(Duration.ofMillis(500)));
        assertEquals("0.01s", Durations.format(Duration.ofMillis(10)));
        assertEquals("1.000000001s", Durations.format(Duration.ofSeconds(1, 1)));
        assertEquals("-2.5s", Durations.format(Duration.ofMillis(-2500)));
    }

    @ParameterizedTest
    @ValueSource(strings = {"300s", "0s", "0.5s", "3600.25s", "0.000000001s", "-7.125s", "999999999999.999999999s"})
    void shouldReadWhatItWrites(final String text)
    {
        assertEquals(text, Durations.format(Durations.parse(text)));
    }
}
