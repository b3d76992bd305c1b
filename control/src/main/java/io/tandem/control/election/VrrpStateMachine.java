package io.tandem.control.election;

import io.tandem.dataplane.packet.Bytes;

/**
 * The VRRP state machine of RFC 5798 section 6 for one virtual router, as pure logic: no threads, no sockets, no
 * clock. Every event carries the current time ({@code nowNs}, any monotonic nanosecond clock); what the machine
 * wants done (send an advertisement, tell of a role change) it asks of its {@link Actions}, synchronously, from
 * within the event. {@link #deadlineNs()} says when {@link #poll(long)} must next be called.
 * <p>
 * Transitions (RFC 5798 6.4):
 * <pre>
 *   INITIALIZE --start--------------------------------------------------------&gt; BACKUP
 *   BACKUP     --Master_Down_Timer fires (not demoted): send advert----------&gt; MASTER
 *   BACKUP     --advert priority 0: Master_Down_Timer = Skew_Time------------&gt; BACKUP
 *   BACKUP     --advert, preempt off or priority &gt;= ours: learn the master's
 *                interval, Master_Down_Timer = Master_Down_Interval----------&gt; BACKUP
 *   BACKUP     --advert, preempt on and priority &lt; ours: ignored (so the
 *                timer fires and this router preempts)------------------------&gt; BACKUP
 *   MASTER     --Adver_Timer fires: send advert------------------------------&gt; MASTER
 *   MASTER     --advert priority 0: send advert at once----------------------&gt; MASTER
 *   MASTER     --advert priority &gt; ours, or equal and the sender's primary
 *                address is higher (6.4.3): learn its interval---------------&gt; BACKUP
 *   MASTER     --demote: send priority 0------------------------------------&gt; BACKUP (stays there)
 *   MASTER     --shutdown: send priority 0----------------------------------&gt; INITIALIZE
 *   BACKUP     --shutdown-------------------------------------------------------&gt; INITIALIZE
 * </pre>
 * Timers, in centiseconds as the RFC has them: Skew_Time = ((256 − Priority) × Master_Adver_Interval) / 256 and
 * Master_Down_Interval = 3 × Master_Adver_Interval + Skew_Time, where Priority is this router's and
 * Master_Adver_Interval is the interval the current master advertises (this router's own until it has heard one).
 * The arithmetic is done in nanoseconds, so the skew is not rounded to whole centiseconds.
 * <p>
 * <b>Demotion</b> (a Tandem addition, not in the RFC): a demoted router never becomes master. A demoted master sends
 * one priority-0 advertisement, so that the peer takes over after its Skew_Time, and becomes backup; a demoted
 * backup keeps following the master's advertisements but lets its Master_Down_Timer fire without effect. When
 * undemoted it is an ordinary backup again whose Master_Down_Timer starts afresh: if no master advertises within
 * Master_Down_Interval it takes over.
 * <p>
 * Not thread-safe: one thread drives it (a {@link VrrpSpeaker}'s, or a test's).
 */
public final class VrrpStateMachine
{
    /** What {@link #deadlineNs()} answers when no timer runs. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;
    /** Nanoseconds per centisecond, the unit of VRRPv3 intervals. */
    public static final long NANOS_PER_CENTISECOND = 10_000_000L;
    /** Highest priority a router that does not own the addresses may have (255 is the owner's, not supported). */
    public static final int MAX_PRIORITY = 254;

    /**
     * What the machine asks of its driver, synchronously, within an event.
     */
    public interface Actions
    {
        /**
         * Send an advertisement now, with this router's id, interval and addresses.
         *
         * @param priority this router's priority, or {@link VrrpAdvertisement#PRIORITY_SHUTDOWN} when it stops
         *                 being master.
         */
        void sendAdvertisement(int priority);

        /**
         * The role changed; {@link #role()} already answers the new one.
         *
         * @param role   the new role.
         * @param reason why, for a log line.
         */
        void onRoleChange(VrrpRole role, String reason);

        /**
         * While master, an advertisement came from another master that yields to this one (a split that healed):
         * this one has advertised at once so the other steps down now; the addresses may need announcing again,
         * since the network may have followed the other one meanwhile.
         *
         * @param sourceAddress the other master's address.
         */
        default void onRivalYields(final int sourceAddress)
        {
        }
    }

    private final int priority;
    private final boolean preempt;
    private final int advertIntervalCs;
    private final int primaryAddress;
    private final Actions actions;

    private VrrpRole role = VrrpRole.INITIALIZE;
    private boolean demoted;
    private int masterAdvertIntervalCs;
    private long masterDownDeadlineNs = NO_DEADLINE;
    private long advertDeadlineNs = NO_DEADLINE;
    private String masterDownReason = "";

    /**
     * @param priority         this router's priority, 1..254.
     * @param preempt          whether a backup takes over from a master of lower priority (RFC Preempt_Mode).
     * @param advertIntervalCs this router's advertisement interval in centiseconds, 1..4095.
     * @param primaryAddress   this router's primary IPv4 address, the tie-break when priorities are equal.
     * @param actions          told what to send and of role changes.
     * @throws IllegalArgumentException naming the parameter out of range.
     */
    public VrrpStateMachine(
        final int priority, final boolean preempt, final int advertIntervalCs, final int primaryAddress,
        final Actions actions)
    {
        if (priority < 1 || priority > MAX_PRIORITY)
        {
            throw new IllegalArgumentException("priority must be 1.." + MAX_PRIORITY + ": " + priority);
        }
        if (advertIntervalCs < 1 || advertIntervalCs > VrrpAdvertisement.MAX_ADVERT_INTERVAL_CS)
        {
            throw new IllegalArgumentException("advertIntervalCs must be 1.." +
                VrrpAdvertisement.MAX_ADVERT_INTERVAL_CS + ": " + advertIntervalCs);
        }
        if (null == actions)
        {
            throw new IllegalArgumentException("actions must not be null");
        }
        this.priority = priority;
        this.preempt = preempt;
        this.advertIntervalCs = advertIntervalCs;
        this.primaryAddress = primaryAddress;
        this.actions = actions;
        this.masterAdvertIntervalCs = advertIntervalCs;
    }

    /**
     * Skew_Time (RFC 5798 6.1): how much later than a higher-priority backup this router takes over.
     *
     * @param priority   the local priority.
     * @param intervalCs Master_Adver_Interval in centiseconds.
     * @return {@code ((256 − priority) × intervalCs) / 256} centiseconds, in nanoseconds.
     */
    public static long skewTimeNs(final int priority, final int intervalCs)
    {
        return (256L - priority) * intervalCs * NANOS_PER_CENTISECOND / 256;
    }

    /**
     * Master_Down_Interval (RFC 5798 6.1): how long a backup waits for an advertisement before it takes over.
     *
     * @param priority   the local priority.
     * @param intervalCs Master_Adver_Interval in centiseconds.
     * @return {@code 3 × intervalCs} centiseconds plus {@link #skewTimeNs}, in nanoseconds.
     */
    public static long masterDownIntervalNs(final int priority, final int intervalCs)
    {
        return 3L * intervalCs * NANOS_PER_CENTISECOND + skewTimeNs(priority, intervalCs);
    }

    /**
     * The Startup event: from INITIALIZE to BACKUP, with Master_Down_Timer set to Master_Down_Interval of this
     * router's own interval. Ignored in any other state.
     */
    public void start(final long nowNs)
    {
        if (VrrpRole.INITIALIZE != role)
        {
            return;
        }
        masterAdvertIntervalCs = advertIntervalCs;
        armMasterDown(nowNs, masterDownIntervalNs(), "no advertisement within Master_Down_Interval");
        become(VrrpRole.BACKUP, demoted ? "startup (demoted)" : "startup");
    }

    /**
     * The Shutdown event: a master sends a priority-0 advertisement (its peer then takes over after Skew_Time);
     * either way the router goes to INITIALIZE and its timers stop. Ignored in INITIALIZE.
     */
    public void shutdown(final long nowNs)
    {
        if (VrrpRole.INITIALIZE == role)
        {
            return;
        }
        final boolean wasMaster = VrrpRole.MASTER == role;
        advertDeadlineNs = NO_DEADLINE;
        masterDownDeadlineNs = NO_DEADLINE;
        if (wasMaster)
        {
            actions.sendAdvertisement(VrrpAdvertisement.PRIORITY_SHUTDOWN);
        }
        become(VrrpRole.INITIALIZE, wasMaster ? "shutdown (sent priority 0)" : "shutdown");
    }

    /**
     * An advertisement for this virtual router passed every check (TTL, version, checksum, router id, peer, MAC).
     *
     * @param nowNs               the current time.
     * @param sourceAddress       the sender's IPv4 address (its primary address).
     * @param advertPriority      the advertisement's priority, 0..255.
     * @param maxAdvertIntervalCs the advertisement's interval in centiseconds; 0 is taken as 1.
     */
    public void onAdvertisement(
        final long nowNs, final int sourceAddress, final int advertPriority, final int maxAdvertIntervalCs)
    {
        switch (role)
        {
            case BACKUP -> onAdvertisementAsBackup(nowNs, sourceAddress, advertPriority, maxAdvertIntervalCs);
            case MASTER -> onAdvertisementAsMaster(nowNs, sourceAddress, advertPriority, maxAdvertIntervalCs);
            default ->
            {
                // RFC 5798 6.4.1: nothing is received in Initialize
            }
        }
    }

    private void onAdvertisementAsBackup(
        final long nowNs, final int sourceAddress, final int advertPriority, final int maxAdvertIntervalCs)
    {
        if (VrrpAdvertisement.PRIORITY_SHUTDOWN == advertPriority)
        {
            // 6.4.2: the master is leaving; take over after Skew_Time only, so that the backup with the highest
            // priority is the first to do so
            armMasterDown(nowNs, skewTimeNs(),
                "the master " + Bytes.ipv4ToString(sourceAddress) + " left (priority 0)");
        }
        else if (!preempt || advertPriority >= priority)
        {
            masterAdvertIntervalCs = Math.max(1, maxAdvertIntervalCs);
            armMasterDown(nowNs, masterDownIntervalNs(), "no advertisement within Master_Down_Interval");
        }
        // else: preempt on and a lower priority: let the timer run out and take over
    }

    private void onAdvertisementAsMaster(
        final long nowNs, final int sourceAddress, final int advertPriority, final int maxAdvertIntervalCs)
    {
        if (VrrpAdvertisement.PRIORITY_SHUTDOWN == advertPriority)
        {
            // 6.4.3: another master is leaving; tell its backups at once who is master
            advertise(nowNs);
            return;
        }
        final boolean higherPriority = advertPriority > priority;
        final boolean tieWon = advertPriority == priority && Integer.compareUnsigned(sourceAddress, primaryAddress) > 0;
        if (higherPriority || tieWon)
        {
            advertDeadlineNs = NO_DEADLINE;
            masterAdvertIntervalCs = Math.max(1, maxAdvertIntervalCs);
            armMasterDown(nowNs, masterDownIntervalNs(), "no advertisement within Master_Down_Interval");
            final String sender = "advertisement from " + Bytes.ipv4ToString(sourceAddress);
            become(VrrpRole.BACKUP, higherPriority ?
                sender + " with priority " + advertPriority + " > " + priority :
                sender + " with equal priority " + advertPriority + " and a higher address than " +
                Bytes.ipv4ToString(primaryAddress));
        }
        else
        {
            // a lower priority, or equal from a lower address: another master that yields to ours once it hears one
            advertise(nowNs);
            actions.onRivalYields(sourceAddress);
        }
    }

    /**
     * Fires the timers that are due: a backup's Master_Down_Timer (it becomes master unless demoted), a master's
     * Adver_Timer (it advertises). Call at {@link #deadlineNs()} or later; calling earlier does nothing.
     */
    public void poll(final long nowNs)
    {
        if (VrrpRole.BACKUP == role && NO_DEADLINE != masterDownDeadlineNs && nowNs - masterDownDeadlineNs >= 0)
        {
            masterDownDeadlineNs = NO_DEADLINE;
            if (!demoted)
            {
                advertise(nowNs);
                become(VrrpRole.MASTER, masterDownReason);
            }
        }
        else if (VrrpRole.MASTER == role && NO_DEADLINE != advertDeadlineNs && nowNs - advertDeadlineNs >= 0)
        {
            advertise(nowNs);
        }
    }

    /**
     * Demotes or undemotes this router (see the class comment). Repeating the current setting does nothing.
     *
     * @param nowNs   the current time.
     * @param demote  true: never master, a master steps down with a priority-0 advertisement; false: an ordinary
     *                backup again, with Master_Down_Timer started afresh.
     */
    public void demote(final long nowNs, final boolean demote)
    {
        if (demote == demoted)
        {
            return;
        }
        demoted = demote;
        if (demote)
        {
            if (VrrpRole.MASTER == role)
            {
                advertDeadlineNs = NO_DEADLINE;
                actions.sendAdvertisement(VrrpAdvertisement.PRIORITY_SHUTDOWN);
                masterAdvertIntervalCs = advertIntervalCs;
                armMasterDown(nowNs, masterDownIntervalNs(), "no advertisement within Master_Down_Interval");
                become(VrrpRole.BACKUP, "demoted (sent priority 0)");
            }
        }
        else if (VrrpRole.BACKUP == role)
        {
            armMasterDown(nowNs, masterDownIntervalNs(), "no advertisement within Master_Down_Interval after " +
                "undemotion");
        }
    }

    private void advertise(final long nowNs)
    {
        actions.sendAdvertisement(priority);
        advertDeadlineNs = nowNs + advertIntervalCs * NANOS_PER_CENTISECOND;
    }

    private void armMasterDown(final long nowNs, final long delayNs, final String reason)
    {
        masterDownDeadlineNs = nowNs + delayNs;
        masterDownReason = reason + " (" + formatMs(delayNs) + ")";
    }

    private void become(final VrrpRole newRole, final String reason)
    {
        role = newRole;
        actions.onRoleChange(newRole, reason);
    }

    /**
     * @return when {@link #poll(long)} must next be called, on the clock of the {@code nowNs} given to the events;
     * {@link #NO_DEADLINE} when no timer runs (INITIALIZE, or a demoted backup).
     */
    public long deadlineNs()
    {
        return switch (role)
        {
            case BACKUP -> demoted ? NO_DEADLINE : masterDownDeadlineNs;
            case MASTER -> advertDeadlineNs;
            default -> NO_DEADLINE;
        };
    }

    /** @return the current role. */
    public VrrpRole role()
    {
        return role;
    }

    /** @return true while demoted. */
    public boolean isDemoted()
    {
        return demoted;
    }

    /** @return this router's priority. */
    public int priority()
    {
        return priority;
    }

    /** @return this router's own advertisement interval, centiseconds. */
    public int advertIntervalCs()
    {
        return advertIntervalCs;
    }

    /** @return Master_Adver_Interval: the interval the master advertises (own interval until one was heard), cs. */
    public int masterAdvertIntervalCs()
    {
        return masterAdvertIntervalCs;
    }

    /** @return Skew_Time for the current Master_Adver_Interval, nanoseconds. */
    public long skewTimeNs()
    {
        return skewTimeNs(priority, masterAdvertIntervalCs);
    }

    /** @return Master_Down_Interval for the current Master_Adver_Interval, nanoseconds. */
    public long masterDownIntervalNs()
    {
        return masterDownIntervalNs(priority, masterAdvertIntervalCs);
    }

    private static String formatMs(final long ns)
    {
        final long tenths = (ns + 50_000) / 100_000;
        return tenths / 10 + "." + tenths % 10 + " ms";
    }

    @Override
    public String toString()
    {
        return "VRRP " + role + (demoted ? " (demoted)" : "") + " priority " + priority + ", interval " +
            advertIntervalCs + " cs, master interval " + masterAdvertIntervalCs + " cs";
    }
}
