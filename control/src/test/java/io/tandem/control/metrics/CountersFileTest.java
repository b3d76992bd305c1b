package io.tandem.control.metrics;

import io.tandem.dataplane.status.WorkerCounter;
import io.tandem.dataplane.status.WorkerCounters;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CountersFileTest
{
    @Test
    void shouldLetAnotherMappingReadWhatTheWorkersPublish(@TempDir final Path dir)
    {
        final Path path = dir.resolve("counters");
        try (CountersFile file = CountersFile.create(path, 2 * WorkerCounter.values().length))
        {
            final var manager = file.manager();
            final WorkerCounters w0 = new WorkerCounters(manager, 0);
            final WorkerCounters w1 = new WorkerCounters(manager, 1);
            w0.add(WorkerCounter.RX_FRAMES, 5);
            w1.add(WorkerCounter.RX_FRAMES, 7);
            w0.publish();
            w1.publish();

            try (CountersFile reader = CountersFile.open(path))
            {
                assertEquals(12, reader.total(WorkerCounter.RX_FRAMES.label()));
                assertEquals(0, reader.total(WorkerCounter.TX_FRAMES.label()));
                assertEquals(ProcessHandle.current().pid(), reader.pid());
            }
        }
    }

    @Test
    void shouldRefuseMissingAndForeignFiles(@TempDir final Path dir) throws Exception
    {
        final IllegalStateException missing = assertThrows(IllegalStateException.class,
            () -> CountersFile.open(dir.resolve("none")));
        assertTrue(missing.getMessage().contains("is the agent running?"));
        final Path foreign = Files.write(dir.resolve("foreign"), new byte[256]);
        final IllegalStateException ex = assertThrows(IllegalStateException.class, () -> CountersFile.open(foreign));
        assertTrue(ex.getMessage().contains("not a Tandem counters file"));
    }
}
