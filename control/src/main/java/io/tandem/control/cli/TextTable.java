package io.tandem.control.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * A table for people: a header row in capitals, columns padded to their widest cell and two spaces apart, numbers
 * aligned right. Not thread-safe; for one print.
 */
final class TextTable
{
    private final String[] headers;
    private final boolean[] right;
    private final List<String[]> rows = new ArrayList<>();

    /**
     * @param headers the column titles; a title starting with {@code >} (dropped when printed) aligns its column
     *                right.
     */
    TextTable(final String... headers)
    {
        this.headers = new String[headers.length];
        this.right = new boolean[headers.length];
        for (int i = 0; i < headers.length; i++)
        {
            right[i] = headers[i].startsWith(">");
            this.headers[i] = right[i] ? headers[i].substring(1) : headers[i];
        }
    }

    /**
     * @param cells one value per column; null prints as {@code -}.
     * @return this.
     */
    TextTable row(final Object... cells)
    {
        if (cells.length != headers.length)
        {
            throw new IllegalArgumentException("expected " + headers.length + " cells, got " + cells.length);
        }
        final String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++)
        {
            row[i] = null == cells[i] ? "-" : String.valueOf(cells[i]);
        }
        rows.add(row);
        return this;
    }

    /** @return true when no row was added. */
    boolean isEmpty()
    {
        return rows.isEmpty();
    }

    /**
     * Prints the header and the rows, each line without trailing spaces.
     *
     * @param out where to.
     */
    void print(final PrintWriter out)
    {
        final int[] widths = new int[headers.length];
        for (int i = 0; i < headers.length; i++)
        {
            widths[i] = headers[i].length();
        }
        for (final String[] row : rows)
        {
            for (int i = 0; i < row.length; i++)
            {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        line(out, headers, widths);
        for (final String[] row : rows)
        {
            line(out, row, widths);
        }
    }

    private void line(final PrintWriter out, final String[] cells, final int[] widths)
    {
        final StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++)
        {
            if (i > 0)
            {
                line.append("  ");
            }
            final String pad = " ".repeat(widths[i] - cells[i].length());
            line.append(right[i] ? pad + cells[i] : cells[i] + pad);
        }
        out.println(line.toString().stripTrailing());
    }
}
