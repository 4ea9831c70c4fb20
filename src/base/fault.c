/*
 * fault.c - SIGSEGV/SIGBUS inside a guarded call become an error (fault.h).
 */
#define _GNU_SOURCE
#include "base/fault.h"

#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct sigaction prev_segv, prev_bus;
/* The innermost guarded call of this thread. Touched by the thread before
 * any fault, so the handler never makes TLS allocate. */
static _Thread_local sigjmp_buf *current;

static void on_fault(int sig, siginfo_t *si, void *uc) {
  sigjmp_buf *j = current;
  if (j) siglongjmp(*j, sig);
  /* Not ours: hand it to who was there before, or die as the default does. */
  struct sigaction *p = sig == SIGBUS ? &prev_bus : &prev_segv;
  if ((p->sa_flags & SA_SIGINFO) && p->sa_sigaction) {
    p->sa_sigaction(sig, si, uc);
  } else if (p->sa_handler != SIG_DFL && p->sa_handler != SIG_IGN) {
    p->sa_handler(sig);
  } else {
    /* returning re-runs the faulting instruction under the default action */
    signal(sig, SIG_DFL);
  }
}

static void install(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  /* SA_NODEFER: leaving the handler by siglongjmp must not leave the
   * signal blocked (sigsetjmp without a saved mask is cheap). */
  sa.sa_flags = SA_SIGINFO | SA_NODEFER | SA_ONSTACK;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGSEGV, &sa, &prev_segv);
  sigaction(SIGBUS, &sa, &prev_bus);
}

int feast_fault_guard(feast_fault_fn fn, void *arg, int *sig) {
  pthread_once(&once, install);
  sigjmp_buf jb;
  sigjmp_buf *volatile outer = current;
  int s = sigsetjmp(jb, 0);
  if (s) {
    current = outer;
    *sig = s;
    return -1;
  }
  current = &jb;
  int rc = fn(arg);
  current = outer;
  *sig = 0;
  return rc;
}
