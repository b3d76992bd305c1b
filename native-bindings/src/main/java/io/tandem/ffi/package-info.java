/**
 * Panama FFM bindings to the kernel: libc calls with errno, AF_PACKET rings, rtnetlink, bpf(2). The only package that
 * touches {@link java.lang.foreign.Linker}; no load-balancing logic lives here.
 */
package io.tandem.ffi;
