/**
 * The configuration of a node: immutable records in the resource model of the STACKIT load balancer API
 * ({@link io.tandem.control.config.TandemConfig}), read and validated from JSON by
 * {@link io.tandem.control.config.ConfigReader}, written back in canonical form by
 * {@link io.tandem.control.config.ConfigWriter}, and folded into the data plane's forwarding snapshot by
 * {@link io.tandem.control.config.SnapshotFactory}.
 *
 * <h2>The file</h2>
 * <pre>
 * {
 *   "node": {
 *     "dataInterface": "eth1",                    required; a Linux interface name
 *     "snatAddress": "198.18.0.200",              required; IPv4
 *     "workers": 1,                               1..64, default 1
 *     "adminSocket": "/run/tandem/admin.sock",    absolute path, this default
 *     "stateDirectory": "/var/lib/tandem",        absolute path, this default
 *     "countersFile": "/dev/shm/tandem-counters"  absolute path, this default
 *   },
 *   "loadBalancer": { a STACKIT LoadBalancer payload }
 * }
 * </pre>
 *
 * <h2>Fields of the API that Tandem does not serve</h2>
 * A payload written for the STACKIT API should work here, and a payload read back from it (with its read-only
 * fields) too. So a field is accepted and ignored when the API fills it in itself, or when its value asks for nothing
 * Tandem does not already do; a field that asks for behaviour Tandem lacks is refused, naming the reason, rather
 * than silently dropped. Ignored fields are still checked for their JSON type, and are not written back.
 * <table>
 * <caption>Unused fields</caption>
 * <tr><th>field</th><th>decision</th><th>why</th></tr>
 * <tr><td>{@code status}, {@code errors}, {@code region}, {@code privateAddress}, {@code loadBalancerSecurityGroup},
 *     {@code targetSecurityGroup}, {@code listeners[].name}</td>
 *     <td>accepted, ignored</td>
 *     <td>read-only: the API fills them in, so a payload read back from it carries them. A listener's name is
 *     derived as the API does: {@code displayName}, else {@code tcp-<port>}.</td></tr>
 * <tr><td>{@code networks}</td>
 *     <td>accepted, ignored; at most one entry, {@code networkId} a UUID, {@code role} only
 *     {@code ROLE_LISTENERS_AND_TARGETS}</td>
 *     <td>every create payload must carry it, but the network a node serves is its {@code node.dataInterface}.
 *     Tandem is one-arm, which is the one role the API supports today; split roles are refused.</td></tr>
 * <tr><td>{@code disableTargetSecurityGroupAssignment}</td><td>accepted, ignored</td>
 *     <td>Tandem assigns no security groups; targets off the data network are reached through the gateway either
 *     way.</td></tr>
 * <tr><td>{@code options.ephemeralAddress}, {@code options.privateNetworkOnly}</td>
 *     <td>{@code false} accepted; {@code true} refused</td>
 *     <td>Tandem serves the fixed {@code externalAddress} on its data interface; it cannot pick an address
 *     itself.</td></tr>
 * <tr><td>{@code options.observability.logs}, {@code .metrics}</td><td>refused ({@code {}} accepted)</td>
 *     <td>Tandem exposes Prometheus metrics and logs to the journal; it pushes nowhere with credentials.</td></tr>
 * <tr><td>{@code listeners[].protocol} other than {@code PROTOCOL_TCP}</td><td>refused</td>
 *     <td>Tandem serves only TCP.</td></tr>
 * <tr><td>{@code listeners[].udp}</td><td>refused</td><td>Tandem serves only TCP.</td></tr>
 * <tr><td>{@code listeners[].serverNameIndicators}</td><td>{@code []} accepted; entries refused</td>
 *     <td>deprecated in the API; SNI routing needs TLS passthrough, which Tandem does not do.</td></tr>
 * <tr><td>{@code activeHealthCheck.httpHealthChecks.tls}</td><td>refused</td>
 *     <td>Tandem's HTTP health checks speak plain HTTP.</td></tr>
 * </table>
 *
 * <h2>Decisions where the spec is silent</h2>
 * <ul>
 *     <li>Required: {@code name}, {@code externalAddress} (the VIP: the API has one address per load balancer and
 *     none per listener), each listener's {@code port}, {@code protocol} and {@code targetPool}, each pool's
 *     {@code name}, {@code targetPort} and at least one target, each target's {@code displayName} and
 *     {@code ip}, and {@code httpHealthChecks.path}. A JSON {@code null} is an absent field.</li>
 *     <li>Durations follow the spec's pattern ({@code "300s"}, {@code "0.5s"}); interval, timeout and idle timeout
 *     must be positive, the jitter not negative.</li>
 *     <li>Allowed source ranges with bits set beyond the prefix ({@code 198.18.1.0/16}) are refused, not
 *     normalised: it is more likely a typo for another prefix length than a wish for the wider range.</li>
 *     <li>The VIP, the SNAT address and targets must be unicast, and no target may be the VIP or the SNAT
 *     address, which would loop.</li>
 *     <li>{@code version} is a string, as the spec types it; it is kept and written back unchanged.</li>
 *     <li>No listeners and pools that no listener uses are allowed: the spec does not forbid either.</li>
 * </ul>
 */
package io.tandem.control.config;
