/**
 * Test fixtures for code that needs the kernel: network namespaces with veth pairs, built and removed by the test,
 * addressed only from 198.18.0.0/15, and a way to run code with the calling thread inside a namespace.
 */
package io.tandem.ffi.testing;
