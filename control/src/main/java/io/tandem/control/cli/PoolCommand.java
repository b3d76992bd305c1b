package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.admin.AdminJson;
import io.tandem.control.config.ConfigException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigViolation;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.List;

/** {@code tandem ctl pool ...}: commands on one target pool. */
@Command(name = "pool", mixinStandardHelpOptions = true, subcommands = PoolCommand.SetTargets.class,
    description = "Change one target pool.")
final class PoolCommand
{
    /**
     * {@code tandem ctl pool set-targets NAME IP[=displayName]...}: reads the pool with its version, replaces its
     * targets, and writes it back conditionally ({@code If-Match}), so that a change made in between is not lost.
     */
    @Command(name = "set-targets", mixinStandardHelpOptions = true,
        description = {"Replace the targets of a target pool.",
            "Replaces the targets of pool NAME and keeps its other settings, e.g.",
            "  tandem ctl pool set-targets web 198.18.0.21=web-1 198.18.0.22",
            "A target without a name is named after its address (198-18-0-22). The pool is read with its " +
                "version and written back only if nothing changed in between (else exit 3)."})
    static final class SetTargets extends CtlCommand.Base
    {
        @Parameters(index = "0", paramLabel = "NAME", description = "the target pool")
        String pool;

        @Parameters(index = "1..*", arity = "1..*", paramLabel = "IP[=displayName]",
            description = "the new targets, in order")
        List<String> targets;

        @Override
        void run()
        {
            final ArrayNode newTargets = targets();
            final AdminClient client = client();
            final String path = "/v2/load-balancer/target-pools/" + URLEncoder.encode(pool, StandardCharsets.UTF_8);
            final AdminClient.Response current = client.get(path);
            if (!current.ok())
            {
                throw refused(current, "reading target pool " + pool);
            }
            final String version = current.etagVersion();
            if (!(current.json() instanceof ObjectNode poolTree))
            {
                throw new CtlException(CtlCommand.EXIT_ERROR, "the agent answered target pool " + pool +
                    " with JSON that is not an object");
            }
            poolTree.set("targets", newTargets);
            final String body = poolTree.toString();
            check(body);

            final AdminClient.Response response = client.put(path, body, version);
            if (!response.ok())
            {
                throw refused(response, "the targets of pool " + pool);
            }
            final JsonNode updated = response.json();
            if (json())
            {
                out().print(AdminJson.write(updated));
                return;
            }
            out().println("target pool " + pool + " now has " + updated.path("targets").size() + " target" +
                (updated.path("targets").size() == 1 ? "" : "s") + "; the load balancer is at version " +
                (null == response.etagVersion() ? "(none)" : response.etagVersion()) + " (based on " +
                (null == version ? "(none)" : version) + ")");
            final TextTable table = new TextTable("TARGET", "IP");
            for (final JsonNode target : updated.path("targets"))
            {
                table.row(target.path("displayName").asText(), target.path("ip").asText());
            }
            table.print(out());
        }

        private ArrayNode targets()
        {
            final ArrayNode array = JsonNodeFactory.instance.arrayNode();
            for (final String target : targets)
            {
                final int equals = target.indexOf('=');
                final String ip = (equals < 0 ? target : target.substring(0, equals)).trim();
                final String name = equals < 0 ? ip.replace('.', '-') : target.substring(equals + 1).trim();
                if (ip.isEmpty() || name.isEmpty())
                {
                    throw new CtlException(CtlCommand.EXIT_USAGE, "a target is IP or IP=displayName, got \"" +
                        target + "\"");
                }
                array.addObject().put("displayName", name).put("ip", ip);
            }
            return array;
        }

        /** The agent's rules for a pool alone; whether it fits the load balancer is the agent's to say. */
        private void check(final String body)
        {
            try
            {
                ConfigReader.parseTargetPool(body);
            }
            catch (final ConfigException ex)
            {
                final StringBuilder message = new StringBuilder("the new targets of pool " + pool +
                    " are not valid; nothing was sent:");
                for (final ConfigViolation violation : ex.violations())
                {
                    message.append("\n  ").append(violation.message());
                }
                throw new CtlException(CtlCommand.EXIT_USAGE, message.toString());
            }
        }
    }
}
