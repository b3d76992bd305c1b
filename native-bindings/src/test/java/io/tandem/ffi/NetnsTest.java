package io.tandem.ffi;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

@Tag("root")
class NetnsTest
{
    @Test
    void shouldRunJavaInsideTheNamespaceAndRemoveItAfter() throws Exception
    {
        final String name;
        try (Netns a = Netns.create("nsa"); Netns b = Netns.create("nsb"))
        {
            name = a.name();
            Netns.veth(a, "tdm0", b, "tdm1");
            a.ip("addr", "add", "198.18.200.1/24", "dev", "tdm0");
            b.ip("addr", "add", "198.18.200.2/24", "dev", "tdm1");
            assertTrue(a.exec("ping", "-c", "1", "-W", "2", "198.18.200.2").contains("1 received"));
            final int index = a.call(() ->
            {
                try (Arena arena = Arena.ofConfined())
                {
                    return LibC.ifNameToIndex(LibC.allocateErrnoSegment(arena), "tdm0");
                }
            });
            assertTrue(index > 0, "tdm0 is visible from the namespace's thread");
            try (Arena arena = Arena.ofConfined())
            {
                assertTrue(LibC.ifNameToIndex(LibC.allocateErrnoSegment(arena), "tdm0") < 0,
                    "but not from the test's thread");
            }
        }
        assertFalse(Netns.run("ip", "netns", "list").contains(name));
    }
}
