package io.tandem.control.election;

import java.util.Collections;
import java.util.EnumMap;
import java.util.Map;

/**
 * A snapshot of a {@link VrrpSpeaker}'s counters, each counted since the speaker was constructed. Every received
 * packet is either accepted or dropped for exactly one reason.
 *
 * @param advertisementsSent     advertisements the kernel took, priority 0 ones included.
 * @param sendErrors             sends the kernel refused (e.g. ENETDOWN while the interface is down).
 * @param packetsReceived        datagrams read from the socket.
 * @param advertisementsAccepted advertisements that passed every check and reached the state machine.
 * @param receiveErrors          errors reading or polling the socket (e.g. ENETDOWN).
 * @param transitions            role changes, the startup INITIALIZE → BACKUP included.
 * @param listenerErrors         exceptions the {@link VrrpListener} threw.
 * @param dropped                dropped packets by reason; every reason is present, most with 0.
 */
public record VrrpCounters(
    long advertisementsSent, long sendErrors, long packetsReceived, long advertisementsAccepted, long receiveErrors,
    long transitions, long listenerErrors, Map<VrrpDropReason, Long> dropped)
{
    /** Copies {@code dropped}, filling absent reasons with 0. */
    public VrrpCounters
    {
        final EnumMap<VrrpDropReason, Long> copy = new EnumMap<>(VrrpDropReason.class);
        for (final VrrpDropReason reason : VrrpDropReason.values())
        {
            copy.put(reason, dropped.getOrDefault(reason, 0L));
        }
        dropped = Collections.unmodifiableMap(copy);
    }

    /** @return packets dropped for {@code reason}. */
    public long dropped(final VrrpDropReason reason)
    {
        return dropped.get(reason);
    }

    /** @return packets dropped for any reason. */
    public long droppedTotal()
    {
        return dropped.values().stream().mapToLong(Long::longValue).sum();
    }
}
