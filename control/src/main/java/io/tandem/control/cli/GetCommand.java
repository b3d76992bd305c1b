package io.tandem.control.cli;

import io.tandem.control.admin.AdminJson;
import picocli.CommandLine.Command;

/**
 * {@code tandem ctl get}: the load balancer in force, as the API's JSON ({@code GET /v2/load-balancer}), indented.
 * The output is a valid input of {@code apply -f}, carrying the version it was read at.
 */
@Command(name = "get", mixinStandardHelpOptions = true,
    description = {"The load balancer in force, as JSON.",
        "The load balancer as GET /v2/load-balancer returns it, with its version: edit it and 'apply -f' it back. " +
            "The output is JSON whatever -o says."})
final class GetCommand extends CtlCommand.Base
{
    @Override
    void run()
    {
        final AdminClient.Response response = client().get("/v2/load-balancer");
        if (!response.ok())
        {
            throw refused(response, "reading the load balancer");
        }
        out().print(AdminJson.write(response.json()));
    }
}
