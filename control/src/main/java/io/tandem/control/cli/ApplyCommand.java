package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.tandem.control.admin.AdminJson;
import io.tandem.control.config.ConfigException;
import io.tandem.control.config.ConfigReader;
import io.tandem.control.config.ConfigViolation;
import io.tandem.control.config.LoadBalancerConfig;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * {@code tandem ctl apply -f FILE}: replaces the whole load balancer ({@code PUT /v2/load-balancer}) after checking
 * the file with the agent's own rules ({@link ConfigReader#parseLoadBalancer}), so that a bad file never reaches the
 * agent. The version the change is based on is {@code --if-version}, else the file's {@code version}, else the
 * version in force, read just before.
 */
@Command(name = "apply", mixinStandardHelpOptions = true,
    description = {"Replace the whole load balancer with a file.",
        "FILE holds a LoadBalancer as JSON, as 'get' prints it ('-' reads standard input). It is checked first " +
            "with the agent's own rules: every violation is printed with its path and nothing is sent (exit 2).",
        "The change is based on a version: --if-version V, else the file's \"version\"; when that is no longer " +
            "current nothing changes (exit 3). A file without a version is based on the version in force, read " +
            "just before: it OVERWRITES whatever is there, including changes made since the file was written."})
final class ApplyCommand extends CtlCommand.Base
{
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @Option(names = {"-f", "--file"}, required = true, paramLabel = "FILE",
        description = "the LoadBalancer JSON; '-' reads standard input")
    String file;

    @Option(names = "--if-version", paramLabel = "V",
        description = "apply only if the version in force is V (else exit 3); must match the file's version if " +
            "it has one")
    String ifVersion;

    @Option(names = "--dry-run", description = "check the file and stop; sends nothing")
    boolean dryRun;

    @Override
    void run()
    {
        final String text = read();
        final LoadBalancerConfig parsed;
        try
        {
            parsed = ConfigReader.parseLoadBalancer(text);
        }
        catch (final ConfigException ex)
        {
            final StringBuilder message = new StringBuilder()
                .append(file).append(" is not a valid load balancer (").append(ex.violations().size())
                .append(ex.violations().size() == 1 ? " violation" : " violations").append("); nothing was sent:");
            for (final ConfigViolation violation : ex.violations())
            {
                message.append("\n  ").append(violation.message());
            }
            throw new CtlException(CtlCommand.EXIT_USAGE, message.toString());
        }
        final ObjectNode tree = tree(text);
        final String fileVersion = blankToNull(parsed.version());
        if (null != ifVersion && ifVersion.isBlank())
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--if-version must not be empty");
        }
        if (null != ifVersion && null != fileVersion && !ifVersion.equals(fileVersion))
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, "--if-version " + ifVersion + " contradicts the version " +
                "in " + file + " (" + fileVersion + "); drop one of them");
        }
        if (dryRun)
        {
            out().println(file + " is a valid load balancer" + (null == fileVersion ? "" : " based on version " +
                fileVersion) + "; nothing was sent (--dry-run)");
            return;
        }

        final AdminClient client = client();
        String basedOn = null != ifVersion ? ifVersion : fileVersion;
        if (null == basedOn)
        {
            final AdminClient.Response current = client.get("/v2/load-balancer");
            if (!current.ok())
            {
                throw refused(current, "reading the version in force");
            }
            basedOn = null != current.etagVersion() ? current.etagVersion() :
                blankToNull(current.json().path("version").asText(null));
        }
        if (null == basedOn)
        {
            tree.remove("version");
        }
        else
        {
            tree.put("version", basedOn);
        }

        final AdminClient.Response response = client.put("/v2/load-balancer", tree.toString(), null);
        if (!response.ok())
        {
            throw refused(response, "the load balancer in " + file);
        }
        final JsonNode applied = response.json();
        if (json())
        {
            out().print(AdminJson.write(applied));
            return;
        }
        out().println("applied " + file + ": load balancer \"" + applied.path("name").asText() + "\" is now at " +
            "version " + applied.path("version").asText("(none)") + " (based on " +
            (null == basedOn ? "(none)" : basedOn) + ")");
    }

    private String read()
    {
        try
        {
            if ("-".equals(file))
            {
                final InputStream in = System.in;
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            }
            return Files.readString(Path.of(file), StandardCharsets.UTF_8);
        }
        catch (final IOException | RuntimeException ex)
        {
            final String why = switch (ex)
            {
                case NoSuchFileException missing -> "no such file";
                case AccessDeniedException denied -> "permission denied";
                default -> String.valueOf(ex.getMessage());
            };
            throw new CtlException(CtlCommand.EXIT_USAGE, "cannot read " + file + ": " + why);
        }
    }

    private ObjectNode tree(final String text)
    {
        try
        {
            // The reader accepted it, so it is one JSON object: send it as written, not in the reader's canonical
            // form, so that what the agent sees is what the file says.
            return (ObjectNode)JSON.readTree(text);
        }
        catch (final IOException | ClassCastException ex)
        {
            throw new CtlException(CtlCommand.EXIT_USAGE, file + " is not a JSON object: " + ex.getMessage());
        }
    }

    private static String blankToNull(final String text)
    {
        return null == text || text.isBlank() ? null : text;
    }
}
