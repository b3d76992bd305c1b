/**
 * The admin socket: HTTP/1.1 and JSON on a Unix domain socket ({@code /run/tandem/admin.sock}), in the resource
 * model of the STACKIT load balancer API, so that {@code curl --unix-socket} and {@code tandemctl} configure and watch
 * a node. {@link io.tandem.control.admin.AdminServer} serves it for an {@link io.tandem.control.admin.AdminBackend}
 * (the agent); {@link io.tandem.control.admin.PrometheusRenderer} writes the metrics.
 *
 * <h2>Routes</h2>
 * <pre>
 * GET  /v2/load-balancer                      the LoadBalancer in force; ETag: "version"
 * PUT  /v2/load-balancer                      a full LoadBalancer carrying the version it was based on
 *                                             -&gt; 200 the new LoadBalancer, 409 when the version is stale
 * GET  /v2/load-balancer/target-pools/{name}  one TargetPool
 * PUT  /v2/load-balancer/target-pools/{name}  the API's UpdateTargetPoolPayload (name may be left out); an
 *                                             optional If-Match: "version" makes it conditional (409 when stale)
 * GET  /v2/status                             role, versions, plan use, connections per listener, target health
 * GET  /v2/plans                              the API's ListPlansResponse
 * GET  /metrics                               Prometheus text format 0.0.4
 * </pre>
 * The API's paths carry a project, a region and a load balancer name; a node serves exactly one load balancer, so
 * they are left out. Errors have the API's {@code Status} shape {@code {code, message, details}}, with the HTTP
 * statuses and {@code google.rpc.Code}s listed at {@link io.tandem.control.admin.ApiError}; a refused payload's
 * details carry a {@code google.rpc.BadRequest} with every violation the reader found, each with its JSON path.
 *
 * <h2>Who may connect</h2>
 * The socket file is mode 0660, owner root, group {@code tandem}. When that group does not exist the agent does not
 * create it (adding system groups is the image's job): the file stays {@code root:root} 0660, so only root can
 * connect, and the agent logs {@code admin.socket.group.missing} saying so. Whatever the file's mode, every
 * connection's peer is checked with {@code SO_PEERCRED}: uid 0, or a member of the group; others get 403. The
 * credentials are read from the {@code SocketChannel} that Jetty's endpoint exposes as its transport, with the JDK's
 * {@code jdk.net.ExtendedSocketOptions.SO_PEERCRED} (see {@link io.tandem.control.admin.PeerPolicy} for how
 * membership is decided).
 *
 * <h2>Why Jetty</h2>
 * Jetty 12 ({@code jetty-server} and {@code jetty-unixdomain-server}) is maintained by the Eclipse Foundation with
 * frequent security releases, and its {@code UnixDomainServerConnector} listens on the JDK's own
 * {@link java.net.UnixDomainSocketAddress}, without native code of its own. It brings a tested HTTP/1.1 parser with
 * header size limits, idle timeouts and a bounded thread pool, so that the agent carries no hand-written parser and
 * a malformed, huge or stalled request costs it nothing but a closed connection. The JDK's {@code HttpServer} cannot
 * listen on a Unix socket. Jetty logs through SLF4J; without a provider on the class path SLF4J prints one warning
 * and discards Jetty's logs, which is what the agent wants: it logs the admin socket's events itself.
 */
package io.tandem.control.admin;
