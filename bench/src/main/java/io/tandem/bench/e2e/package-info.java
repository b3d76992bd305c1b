/**
 * The end-to-end benchmark: real TCP through a real agent on the demo topology, measured side by side with the same
 * traffic sent directly to a target, so that what is reported is a ratio from one run on one machine.
 */
package io.tandem.bench.e2e;
