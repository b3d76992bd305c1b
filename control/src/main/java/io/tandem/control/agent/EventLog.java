package io.tandem.control.agent;

import java.io.PrintStream;
import java.time.Instant;

/**
 * One line per event: a timestamp, the event's name and its fields as {@code key=value}, or a JSON object per line
 * when asked for. Thread-safe (one println per event). Control-plane only.
 */
public final class EventLog
{
    private final PrintStream out;
    private final boolean json;

    /**
     * @param out  where lines go.
     * @param json one JSON object per line instead of key=value.
     */
    public EventLog(final PrintStream out, final boolean json)
    {
        this.out = out;
        this.json = json;
    }

    /**
     * Logs an event.
     *
     * @param event  its name, e.g. {@code agent.ready}.
     * @param fields alternating keys and values.
     */
    public void log(final String event, final Object... fields)
    {
        final StringBuilder sb = new StringBuilder(128);
        final String time = Instant.now().toString();
        if (json)
        {
            sb.append("{\"time\":\"").append(time).append("\",\"event\":\"").append(escape(event)).append('"');
            for (int i = 0; i + 1 < fields.length; i += 2)
            {
                sb.append(",\"").append(escape(String.valueOf(fields[i]))).append("\":");
                final Object value = fields[i + 1];
                if (value instanceof Number || value instanceof Boolean)
                {
                    sb.append(value);
                }
                else
                {
                    sb.append('"').append(escape(String.valueOf(value))).append('"');
                }
            }
            sb.append('}');
        }
        else
        {
            sb.append(time).append(' ').append(event);
            for (int i = 0; i + 1 < fields.length; i += 2)
            {
                final String value = String.valueOf(fields[i + 1]);
                sb.append(' ').append(fields[i]).append('=');
                if (value.indexOf(' ') >= 0 || value.isEmpty())
                {
                    sb.append('"').append(value.replace("\"", "\\\"")).append('"');
                }
                else
                {
                    sb.append(value);
                }
            }
        }
        out.println(sb);
    }

    private static String escape(final String text)
    {
        final StringBuilder sb = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++)
        {
            final char c = text.charAt(i);
            switch (c)
            {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default ->
                {
                    if (c < 0x20)
                    {
                        sb.append(String.format("\\u%04x", (int)c));
                    }
                    else
                    {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.toString();
    }
}
