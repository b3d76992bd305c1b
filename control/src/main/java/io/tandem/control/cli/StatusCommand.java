package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;

import java.io.PrintWriter;
import java.util.Locale;

/**
 * {@code tandem ctl status}: the node's role, versions, plan use, connections per listener and the health of every
 * target, from {@code GET /v2/status}. With {@code -o json} the agent's JSON as it is.
 */
@Command(name = "status", mixinStandardHelpOptions = true,
    description = {"The node's role, versions, connections and target health.",
        "Role, config and snapshot version, plan use (active/cap), connections per listener, and each target's " +
            "health with its last probe's time and result. -o json prints GET /v2/status as the agent sends it."})
final class StatusCommand extends CtlCommand.Base
{
    @Override
    void run()
    {
        final AdminClient.Response response = client().get("/v2/status");
        if (!response.ok())
        {
            throw refused(response, "the status");
        }
        if (json())
        {
            out().print(response.body().endsWith("\n") ? response.body() : response.body() + "\n");
            return;
        }
        print(response.json(), out());
    }

    static void print(final JsonNode status, final PrintWriter out)
    {
        final JsonNode plan = status.path("plan");
        final long active = plan.path("activeConnections").asLong();
        final long cap = plan.path("maxConnections").asLong();
        out.printf("role:              %s%n", text(status.path("role")));
        final JsonNode pair = status.path("pair");
        if (pair.isObject())
        {
            out.printf("pair:              peer %s, election %s, sync %s%n", text(pair.path("peer")),
                text(pair.path("electionRole")), pair.path("syncConnected").asBoolean() ? "connected" : "DOWN");
        }
        out.printf("config version:    %s%n", orDash(text(status.path("version"))));
        out.printf("snapshot version:  %s%n", orDash(text(status.path("snapshotVersion"))));
        out.printf("plan:              %s, %d of %d connections%s%n", orDash(text(plan.path("planId"))), active, cap,
            cap > 0 ? String.format(Locale.ROOT, " (%.1f%%)", 100.0 * active / cap) : "");

        out.println();
        final TextTable listeners = new TextTable("LISTENER", ">PORT", ">CONNECTIONS");
        for (final JsonNode listener : status.path("listeners"))
        {
            listeners.row(text(listener.path("name")), text(listener.path("port")),
                text(listener.path("activeConnections")));
        }
        listeners.print(out);

        out.println();
        final TextTable targets = new TextTable("POOL", "TARGET", "IP", "HEALTH", "LAST PROBE", "RESULT");
        for (final JsonNode target : status.path("targets"))
        {
            final String lastProbe = text(target.path("lastProbe"));
            targets.row(text(target.path("pool")), text(target.path("displayName")), text(target.path("ip")),
                target.path("healthy").asBoolean() ? "healthy" : "unhealthy",
                null == lastProbe ? "never" : lastProbe, text(target.path("lastResult")));
        }
        targets.print(out);
    }

    private static String orDash(final String text)
    {
        return null == text ? "-" : text;
    }

    /** @return the value as text, or null when it is null or missing (printed as {@code -}). */
    private static String text(final JsonNode node)
    {
        return node.isNull() || node.isMissingNode() ? null : node.asText();
    }
}
