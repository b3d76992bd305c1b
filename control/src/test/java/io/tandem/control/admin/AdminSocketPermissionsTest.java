package io.tandem.control.admin;

import io.tandem.control.agent.EventLog;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * Real peers of other users, run with {@code setpriv}: the socket file's mode and group keep them out, and where the
 * file lets them in, SO_PEERCRED does. Needs root (setpriv, chown).
 */
@Tag("root")
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AdminSocketPermissionsTest
{
    private static final int NOGROUP = 65534;
    /** nobody, primary group nogroup, no supplementary groups. */
    private static final List<String> NOBODY =
        List.of("setpriv", "--reuid=65534", "--regid=65534", "--clear-groups");
    /** nobody's uid with a gid that is no group's. */
    private static final List<String> STRANGER =
        List.of("setpriv", "--reuid=65534", "--regid=65533", "--clear-groups");

    private Path dir;
    private AdminServer server;
    private final ByteArrayOutputStream logged = new ByteArrayOutputStream();

    @BeforeEach
    void directory() throws Exception
    {
        assumeTrue(((Integer)Files.getAttribute(Path.of("/proc/self"), "unix:uid")) == 0, "needs root");
        // @TempDir is 0700: the other users must be able to traverse to the socket for the file's mode to matter.
        dir = Files.createTempDirectory("tandem-admin-");
        Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxr-xr-x"));
    }

    @AfterEach
    void stop() throws IOException
    {
        if (null != server)
        {
            server.close();
        }
        if (null != dir)
        {
            try (Stream<Path> files = Files.walk(dir))
            {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Test
    void shouldKeepRootRootAnd0660WhenTheGroupIsMissingAndRefuseOthersWith403() throws Exception
    {
        final Path socket = start("tandem-test-no-such-group");
        assertEquals("rw-rw----", PosixFilePermissions.toString(Files.getPosixFilePermissions(socket)));
        assertEquals(0, Files.getAttribute(socket, "unix:gid"));
        assertEquals(0, Files.getAttribute(socket, "unix:uid"));
        assertTrue(logged.toString(StandardCharsets.UTF_8).contains("admin.socket.group.missing"), logged.toString());

        assertEquals(200, UdsHttp.curl(socket, List.of(), "http://localhost/v2/status").status());
        final UdsHttp.Answer refusedByMode = UdsHttp.curl(socket, NOBODY, "http://localhost/v2/status");
        assertEquals(0, refusedByMode.status(), "the file's mode keeps nobody out: " + refusedByMode.headers());

        // Were the mode wrong, SO_PEERCRED still refuses.
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        final UdsHttp.Answer forbidden = UdsHttp.curl(socket, NOBODY, "http://localhost/v2/load-balancer");
        assertEquals(403, forbidden.status(), forbidden.body());
        assertEquals(ApiError.PERMISSION_DENIED, UdsHttp.JSON.readTree(forbidden.body()).get("code").asInt());
        assertTrue(forbidden.body().contains("only root may use the admin socket"), forbidden.body());
    }

    @Test
    void shouldLetMembersOfTheGroupInAndRefuseOthers() throws Exception
    {
        final String nogroup = PeerPolicyTest.groupName(NOGROUP);
        final Path socket = start(nogroup);
        assertEquals(NOGROUP, Files.getAttribute(socket, "unix:gid"));

        final UdsHttp.Answer member = UdsHttp.curl(socket, NOBODY, "http://localhost/v2/status");
        assertEquals(200, member.status(), member.body() + member.headers());

        assertEquals(0, UdsHttp.curl(socket, STRANGER, "http://localhost/v2/status").status());
        Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
        final UdsHttp.Answer stranger = UdsHttp.curl(socket, STRANGER, "http://localhost/v2/status");
        assertEquals(403, stranger.status(), stranger.body());
        assertTrue(stranger.body().contains("neither root nor a member of group " + nogroup), stranger.body());
    }

    private Path start(final String groupName)
    {
        final Path socket = dir.resolve("admin.sock");
        server = AdminServer.start(new AdminServer.Context()
            .socketPath(socket)
            .groupName(groupName)
            .backend(new InMemoryAdminBackend())
            .log(new EventLog(new PrintStream(logged, true, StandardCharsets.UTF_8), false)));
        return socket;
    }
}
