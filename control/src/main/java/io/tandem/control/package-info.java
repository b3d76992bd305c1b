/**
 * The Tandem agent: configuration, admin socket, CLI, health checks, election, pair sync and metrics around the
 * forwarding core of {@code io.tandem.dataplane}.
 */
package io.tandem.control;
