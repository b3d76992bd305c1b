package io.tandem.control.election;

/**
 * Told of every role change of a {@link VrrpSpeaker}.
 * <p>
 * Called on the speaker's own thread, in order, after {@link VrrpSpeaker#role()} already answers the new role. Keep
 * it quick (hand the work to another thread, e.g. adding the virtual addresses and sending gratuitous ARPs): while it
 * runs the speaker neither advertises nor reads advertisements, and a master that stops advertising for
 * Master_Down_Interval (3 intervals + skew, about 300 ms by default) is replaced by its peer. An exception it throws
 * is counted ({@link VrrpCounters#listenerErrors()}) and otherwise ignored.
 */
@FunctionalInterface
public interface VrrpListener
{
    /**
     * @param newRole the role the speaker has taken.
     * @param reason  why, for a log line, e.g. {@code "no advertisement for 310 ms (Master_Down_Interval)"}.
     */
    void onRoleChange(VrrpRole newRole, String reason);

    /**
     * While master, another master that yields to this one was heard (a split that healed). Same thread and rules as
     * {@link #onRoleChange}.
     *
     * @param sourceAddress the other master's address.
     */
    default void onRivalYields(final int sourceAddress)
    {
    }
}
