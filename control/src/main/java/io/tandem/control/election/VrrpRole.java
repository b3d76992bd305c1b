package io.tandem.control.election;

/**
 * The states of a VRRP router (RFC 5798 6.4), which are the node's roles in the pair.
 */
public enum VrrpRole
{
    /** Not started, or shut down: neither advertises nor watches the master. */
    INITIALIZE,
    /** Passive: watches the master's advertisements and takes over when they stop. */
    BACKUP,
    /** Active: owns the virtual addresses and advertises every interval. */
    MASTER
}
