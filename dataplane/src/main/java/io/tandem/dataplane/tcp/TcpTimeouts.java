package io.tandem.dataplane.tcp;

import java.util.concurrent.TimeUnit;

/**
 * The named timeouts of connection tracking, besides each listener's own idle timeout. Immutable; the defaults are
 * what an operator gets unless the node configuration says otherwise.
 *
 * @param synSentNs     a forwarded SYN with no SYN-ACK: covers the client's first three retransmissions.
 * @param synReceivedNs a SYN-ACK the client has not acknowledged.
 * @param closingNs     both FINs sent, not both acknowledged.
 * @param timeWaitNs    after both FINs were acknowledged: absorbs retransmitted FINs and ACKs.
 * @param closedNs      after an RST: lets in-flight segments through instead of answering them with RSTs.
 * @param idleClosedNs  after the balancer's own FIN pair on idle timeout: time for both peers to close.
 */
public record TcpTimeouts(
    long synSentNs, long synReceivedNs, long closingNs, long timeWaitNs, long closedNs, long idleClosedNs)
{
    /** The defaults. */
    public static final TcpTimeouts DEFAULTS = new TcpTimeouts(
        TimeUnit.SECONDS.toNanos(10),
        TimeUnit.SECONDS.toNanos(30),
        TimeUnit.SECONDS.toNanos(30),
        TimeUnit.SECONDS.toNanos(2),
        TimeUnit.SECONDS.toNanos(2),
        TimeUnit.SECONDS.toNanos(10));

    /** Checks every timeout is positive. */
    public TcpTimeouts
    {
        if (synSentNs <= 0 || synReceivedNs <= 0 || closingNs <= 0 || timeWaitNs <= 0 || closedNs <= 0 ||
            idleClosedNs <= 0)
        {
            throw new IllegalArgumentException("every TCP timeout must be positive");
        }
    }
}
