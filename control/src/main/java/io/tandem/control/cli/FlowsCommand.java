package io.tandem.control.cli;

import com.fasterxml.jackson.databind.JsonNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code tandem ctl flows}: a sample of the connections the workers track ({@code GET /v2/flows}). Each worker answers
 * with up to {@code --limit} of its connections, from where its previous sample stopped, so repeated calls walk
 * through a large table.
 */
@Command(name = "flows", mixinStandardHelpOptions = true,
    description = {"A sample of tracked connections.",
        "Up to --limit connections per worker: client, listener, target, SNAT port, TCP state, age, time to its " +
            "next deadline and payload bytes. Repeated calls continue where the last sample stopped."})
final class FlowsCommand extends CtlCommand.Base
{
    @Option(names = "--limit", defaultValue = "50", description = "most connections per worker, 1..256 " +
        "(default ${DEFAULT-VALUE})")
    int limit;

    @Override
    void run()
    {
        final AdminClient.Response response = client().get("/v2/flows?limit=" + Math.max(1, Math.min(256, limit)));
        if (!response.ok())
        {
            throw refused(response, "the flow sample");
        }
        if (json())
        {
            out().print(response.body().endsWith("\n") ? response.body() : response.body() + "\n");
            return;
        }
        final TextTable table = new TextTable(">WORKER", "CLIENT", "LISTENER", "TARGET", ">SNAT PORT", "STATE",
            ">AGE MS", ">EXPIRES IN MS", ">PAYLOAD BYTES");
        int rows = 0;
        for (final JsonNode flow : response.json().path("flows"))
        {
            table.row(flow.path("worker").asText(), flow.path("client").asText(), flow.path("listener").asText(),
                flow.path("target").asText(), flow.path("snatPort").asText(), flow.path("state").asText(),
                flow.path("ageMs").asText(), flow.path("expiresInMs").asText(), flow.path("payloadBytes").asText());
            rows++;
        }
        table.print(out());
        out().printf("%d connection(s) sampled%n", rows);
    }
}
