package io.tandem.dataplane.worker;

/**
 * One tracked connection as a worker saw it when it answered a sample request: a copy, for people and the admin
 * API; not for the forwarding path.
 *
 * @param workerId     the worker that owns it.
 * @param clientIp     the client's address.
 * @param clientPort   the client's port.
 * @param vip          the listener's address.
 * @param vipPort      the listener's port.
 * @param targetIp     the target's address.
 * @param targetPort   the target's port.
 * @param snatPort     the SNAT port towards the target.
 * @param state        a {@link io.tandem.dataplane.tcp.TcpState} constant.
 * @param ageNs        time since the connection was created, on the worker's clock.
 * @param expiresInNs  time until its current deadline (negative when due).
 * @param payloadBytes payload forwarded in both directions.
 */
public record FlowSample(
    int workerId,
    int clientIp,
    int clientPort,
    int vip,
    int vipPort,
    int targetIp,
    int targetPort,
    int snatPort,
    int state,
    long ageNs,
    long expiresInNs,
    long payloadBytes)
{
}
