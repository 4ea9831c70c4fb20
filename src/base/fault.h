/*
 * fault.h - run a call that reads memory-mapped bytes from outside (an LMDB
 * file) so that a SIGSEGV or SIGBUS inside it becomes an error instead of
 * the end of the process. LMDB trusts the page numbers, offsets and sizes
 * on its pages; a damaged file can send its own B-tree walk out of the map
 * or past the end of the file, where no check of ours can come first.
 *
 * The handlers are installed once, on first use, and chain to whatever was
 * installed before them for faults outside a guarded call (a real bug still
 * crashes, with the previous handler's report). A guarded call that faults
 * is abandoned where it stood: what it allocated is leaked and the object
 * it worked on must not be used again (the caller marks it damaged).
 */
#ifndef FEAST_BASE_FAULT_H
#define FEAST_BASE_FAULT_H

typedef int (*feast_fault_fn)(void *arg);

/* fn(arg)'s result, or -1 with *sig set to SIGSEGV or SIGBUS when it
 * faulted (*sig = 0 otherwise). Nests; any thread. */
int feast_fault_guard(feast_fault_fn fn, void *arg, int *sig);

#endif
