package io.tandem.control.health;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertEquals;

class StatusLineTest
{
    private static int parse(final String text)
    {
        final byte[] bytes = text.getBytes(StandardCharsets.ISO_8859_1);
        return StatusLine.parse(bytes, bytes.length);
    }

    @Test
    void shouldReadTheStatusOfWellFormedLines()
    {
        assertEquals(200, parse("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"));
        assertEquals(404, parse("HTTP/1.0 404 Not Found\r\n"));
        assertEquals(204, parse("HTTP/1.1 204 \r\n"));
        assertEquals(503, parse("HTTP/1.1 503\r\n"));
        assertEquals(301, parse("HTTP/1.1 301 Moved\n"));
    }

    @Test
    void shouldWaitForTheEndOfTheLine()
    {
        assertEquals(StatusLine.INCOMPLETE, parse(""));
        assertEquals(StatusLine.INCOMPLETE, parse("HTT"));
        assertEquals(StatusLine.INCOMPLETE, parse("HTTP/1.1 200 O"));
    }

    @Test
    void shouldRejectWhatIsNoStatusLine()
    {
        assertEquals(StatusLine.MALFORMED, parse("SSH-2.0-OpenSSH_9.6\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("X"), "a wrong first byte fails before any line end");
        assertEquals(StatusLine.MALFORMED, parse("HTTP/1.1 20 OK\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("HTTP/1.1 2000 OK\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("HTTP/1.1 099 Low\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("HTTP/1.1 600 High\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("HTTP/2 200\r\n"));
        assertEquals(StatusLine.MALFORMED, parse("\r\n"));
    }
}
