package io.tandem.control.admin;

import jdk.net.ExtendedSocketOptions;
import jdk.net.UnixDomainPrincipal;

import java.io.IOException;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.GroupPrincipal;
import java.nio.file.attribute.UserPrincipal;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.attribute.UserPrincipalNotFoundException;
import java.util.Arrays;
import java.util.List;

/**
 * Who may talk to the admin socket: root, and members of the admin group ({@code tandem} by default). The peer is
 * the process at the other end of the connection as the kernel saw it at {@code connect(2)}: its uid and gid come
 * from {@code SO_PEERCRED}, read through the JDK's {@link ExtendedSocketOptions#SO_PEERCRED}.
 * <p>
 * {@code SO_PEERCRED} carries the primary gid only, not the supplementary groups. A peer is a member when its
 * primary gid is the group's, or when its user name is listed in the group's entry of {@code /etc/group}. A user
 * made a member by another name service (LDAP, sssd) only through a supplementary group is not seen; make the group
 * the primary one, or list the user in {@code /etc/group}. Thread-safe: the group is looked up on each check, so a
 * group created or changed while the agent runs counts from the next connection on.
 */
public final class PeerPolicy
{
    private static final Path GROUP_FILE = Path.of("/etc/group");

    private final String groupName;
    private final Path groupFile;
    private final UserPrincipalLookupService lookup;
    private final UserPrincipal root;

    /**
     * @param groupName the admin group's name.
     */
    public PeerPolicy(final String groupName)
    {
        this(groupName, GROUP_FILE);
    }

    PeerPolicy(final String groupName, final Path groupFile)
    {
        this.groupName = groupName;
        this.groupFile = groupFile;
        this.lookup = FileSystems.getDefault().getUserPrincipalLookupService();
        this.root = rootPrincipal(lookup);
    }

    /** @return the admin group's name. */
    public String groupName()
    {
        return groupName;
    }

    /**
     * @param channel a connection accepted on the admin socket.
     * @return null when the peer may use the socket, else why not, for the 403 answer.
     */
    public String denial(final SocketChannel channel)
    {
        final UnixDomainPrincipal peer;
        try
        {
            peer = channel.getOption(ExtendedSocketOptions.SO_PEERCRED);
        }
        catch (final IOException | UnsupportedOperationException ex)
        {
            return "the peer's credentials cannot be read (" + ex.getMessage() + ")";
        }
        return denial(peer);
    }

    /**
     * @param peer the peer's credentials.
     * @return null when the peer may use the socket, else why not.
     */
    public String denial(final UnixDomainPrincipal peer)
    {
        // Principals of the default file system compare by uid/gid, not by name.
        if (peer.user().equals(root))
        {
            return null;
        }
        final GroupPrincipal group;
        try
        {
            group = lookup.lookupPrincipalByGroupName(groupName);
        }
        catch (final UserPrincipalNotFoundException ex)
        {
            return "user " + peer.user().getName() + " is not root, and there is no group " + groupName +
                ": only root may use the admin socket";
        }
        catch (final IOException ex)
        {
            return "group " + groupName + " cannot be looked up: " + ex.getMessage();
        }
        if (peer.group().equals(group) || listedIn(peer.user().getName()))
        {
            return null;
        }
        return "user " + peer.user().getName() + " is neither root nor a member of group " + groupName;
    }

    private boolean listedIn(final String userName)
    {
        try
        {
            for (final String line : Files.readAllLines(groupFile, StandardCharsets.UTF_8))
            {
                // name:password:gid:member,member
                final String[] fields = line.split(":", -1);
                if (fields.length >= 4 && fields[0].equals(groupName))
                {
                    final List<String> members = Arrays.asList(fields[3].split(","));
                    if (members.contains(userName))
                    {
                        return true;
                    }
                }
            }
        }
        catch (final IOException ex)
        {
            // No group file: no supplementary members; the primary gid was checked already.
            return false;
        }
        return false;
    }

    private static UserPrincipal rootPrincipal(final UserPrincipalLookupService lookup)
    {
        try
        {
            // The lookup falls back to reading the name as a number when no user has that name.
            return lookup.lookupPrincipalByName("0");
        }
        catch (final IOException ex)
        {
            throw new IllegalStateException("cannot look up uid 0", ex);
        }
    }
}
