package io.tandem.control.config;

import com.fasterxml.jackson.core.JsonPointer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** Test payloads: the example file, edited in place by JSON pointer, and assertions on violations. */
final class ConfigFixtures
{
    static final ObjectMapper JSON = new ObjectMapper();

    private ConfigFixtures()
    {
    }

    static String resource(final String name)
    {
        try (InputStream in = ConfigFixtures.class.getResourceAsStream("/config/" + name))
        {
            if (null == in)
            {
                throw new IllegalStateException("no test resource config/" + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /** @return a fresh, mutable tree of {@code example.json}. */
    static ObjectNode example()
    {
        return tree(resource("example.json"));
    }

    static ObjectNode tree(final String json)
    {
        try
        {
            return (ObjectNode)JSON.readTree(json);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    static JsonNode json(final String json)
    {
        try
        {
            return JSON.readTree(json);
        }
        catch (final IOException ex)
        {
            throw new UncheckedIOException(ex);
        }
    }

    /**
     * @param root    a tree.
     * @param pointer where, e.g. {@code /loadBalancer/listeners/0/port}; the parent must exist.
     * @param value   the new value as JSON text, or null to remove the field.
     * @return the root, for chaining.
     */
    static ObjectNode set(final ObjectNode root, final String pointer, final String value)
    {
        final JsonPointer at = JsonPointer.compile(pointer);
        final JsonNode parent = root.at(at.head());
        final String last = at.last().getMatchingProperty();
        if (parent instanceof ArrayNode array)
        {
            final int i = Integer.parseInt(last);
            if (null == value)
            {
                array.remove(i);
            }
            else if (i == array.size())
            {
                array.add(json(value));
            }
            else
            {
                array.set(i, json(value));
            }
        }
        else if (parent instanceof ObjectNode object)
        {
            if (null == value)
            {
                object.remove(last);
            }
            else
            {
                object.set(last, json(value));
            }
        }
        else
        {
            throw new IllegalArgumentException("no container at " + at.head() + " for " + pointer);
        }
        return root;
    }

    /** @return the violations of parsing {@code json}, which must be refused. */
    static List<ConfigViolation> violations(final String json)
    {
        return assertThrows(ConfigException.class, () -> ConfigReader.parse(json)).violations();
    }

    /** Asserts that {@code json} is refused with exactly one violation of that path and message. */
    static void assertRefused(final String json, final String path, final String message)
    {
        final List<ConfigViolation> violations = violations(json);
        assertEquals(List.of(path + " -> " + message),
            violations.stream().map(v -> v.path() + " -> " + v.message()).toList());
    }
}
