/**
 * The worker: an Agrona {@link org.agrona.concurrent.Agent} that pulls bursts of frames from its packet port, runs
 * each through parse, classify, lookup, admission, tracking and rewrite, and pushes the result back to the port;
 * it also expires connections on its timer wheel and originates the balancer's own RST and FIN segments.
 */
package io.tandem.dataplane.worker;
