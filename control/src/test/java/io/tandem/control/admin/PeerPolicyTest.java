package io.tandem.control.admin;

import jdk.net.UnixDomainPrincipal;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The decision alone, on credentials built by hand; the socket tests read real ones with SO_PEERCRED. */
class PeerPolicyTest
{
    private static final UserPrincipalLookupService LOOKUP = FileSystems.getDefault().getUserPrincipalLookupService();

    @Test
    void shouldLetRootInWhateverItsGroup(@TempDir final Path dir) throws Exception
    {
        final PeerPolicy policy = new PeerPolicy("no-such-group-here", Files.writeString(dir.resolve("group"), ""));
        assertNull(policy.denial(peer("0", "65534")));
        assertNull(policy.denial(peer("root", "root")));
    }

    @Test
    void shouldRefuseOthersWhenTheGroupIsMissing(@TempDir final Path dir) throws Exception
    {
        final PeerPolicy policy = new PeerPolicy("no-such-group-here", Files.writeString(dir.resolve("group"), ""));
        final String denial = policy.denial(peer("65534", "65534"));
        assertNotNull(denial);
        assertTrue(denial.contains("there is no group no-such-group-here"), denial);
    }

    @Test
    void shouldLetMembersInByPrimaryGroupOrByTheGroupFile(@TempDir final Path dir) throws Exception
    {
        // nogroup (65534) exists on Debian; the group file lists user "nobody" as a supplementary member.
        final String nogroup = groupName(65534);
        final Path groups = Files.writeString(dir.resolve("group"), "root:x:0:\n" + nogroup + ":x:65534:daemon,nobody\n");
        final PeerPolicy policy = new PeerPolicy(nogroup, groups);
        assertNull(policy.denial(peer("65534", "65534")), "primary group");
        assertNull(policy.denial(peer("nobody", "65533")), "listed in the group file");
        final String denial = policy.denial(peer("65530", "65533"));
        assertNotNull(denial, "neither");
        assertTrue(denial.contains("neither root nor a member of group"), denial);
    }

    /** @return the name of the group with this gid in /etc/group; the test needs it to exist. */
    static String groupName(final int gid) throws Exception
    {
        for (final String line : Files.readAllLines(Path.of("/etc/group")))
        {
            final String[] fields = line.split(":", -1);
            if (fields.length >= 3 && fields[2].equals(Integer.toString(gid)))
            {
                return fields[0];
            }
        }
        assumeTrue(false, "no group with gid " + gid);
        return null;
    }

    private static UnixDomainPrincipal peer(final String user, final String group) throws Exception
    {
        final UserPrincipal u = LOOKUP.lookupPrincipalByName(user);
        final GroupPrincipal g = LOOKUP.lookupPrincipalByGroupName(group);
        return new UnixDomainPrincipal(u, g);
    }
}
