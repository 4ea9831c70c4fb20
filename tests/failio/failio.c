/*
 * failio.c - failure injection for the integration tests, SQLite-style: an
 * LD_PRELOAD library that makes the Nth write, fsync or read of the
 * process fail, so a test can run a command once for every N and check
 * that each run ends with a clear error and leaves the stores as they
 * were (tests/py/test_failure_injection.py, docs/testing.md).
 *
 *   FEAST_FAILIO=write:N   the Nth write/pwrite/writev fails with ENOSPC
 *   FEAST_FAILIO=fsync:N   the Nth fsync/fdatasync fails with EIO
 *   FEAST_FAILIO=read:N    the Nth read/pread/recv fails with EIO
 *   FEAST_FAILIO_COUNT=F   at exit, write "write W fsync S read R" to F
 *                          (how many there were: the range of N to try)
 *
 * Only descriptors above 2 count, so the failing command can still report
 * why on stderr. Allocation failures are injected by libfeast itself
 * (FEAST_FAIL_ALLOC=N, src/base/alloc.c).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE, OP_FSYNC, OP_READ, N_OPS };
static const char *const NAMES[N_OPS] = {"write", "fsync", "read"};

static atomic_long counts[N_OPS];
static int fail_op = -1;
static long fail_at;

__attribute__((constructor)) static void init(void) {
  const char *v = getenv("FEAST_FAILIO");
  if (!v) return;
  for (int i = 0; i < N_OPS; i++) {
    size_t n = strlen(NAMES[i]);
    if (strncmp(v, NAMES[i], n) == 0 && v[n] == ':') {
      fail_op = i;
      fail_at = atol(v + n + 1);
    }
  }
}

__attribute__((destructor)) static void report(void) {
  const char *f = getenv("FEAST_FAILIO_COUNT");
  if (!f) return;
  FILE *o = fopen(f, "w");
  if (!o) return;
  fprintf(o, "write %ld fsync %ld read %ld\n", atomic_load(&counts[OP_WRITE]), atomic_load(&counts[OP_FSYNC]),
          atomic_load(&counts[OP_READ]));
  fclose(o);
}

/* Counts the call; true when this one must fail. */
static int hit(int op, int fd) {
  if (fd <= 2) return 0;
  long n = atomic_fetch_add(&counts[op], 1) + 1;
  return op == fail_op && n == fail_at;
}

#define REAL(ret, name, ...)                                  \
  static ret (*real_##name)(__VA_ARGS__);                     \
  if (!real_##name) *(void **)&real_##name = dlsym(RTLD_NEXT, #name)

ssize_t write(int fd, const void *b, size_t n) {
  REAL(ssize_t, write, int, const void *, size_t);
  if (hit(OP_WRITE, fd)) return errno = ENOSPC, -1;
  return real_write(fd, b, n);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off) {
  REAL(ssize_t, pwrite, int, const void *, size_t, off_t);
  if (hit(OP_WRITE, fd)) return errno = ENOSPC, -1;
  return real_pwrite(fd, b, n, off);
}

ssize_t pwrite64(int fd, const void *b, size_t n, off_t off) {
  REAL(ssize_t, pwrite64, int, const void *, size_t, off_t);
  if (hit(OP_WRITE, fd)) return errno = ENOSPC, -1;
  return real_pwrite64(fd, b, n, off);
}

ssize_t writev(int fd, const struct iovec *v, int n) {
  REAL(ssize_t, writev, int, const struct iovec *, int);
  if (hit(OP_WRITE, fd)) return errno = ENOSPC, -1;
  return real_writev(fd, v, n);
}

int fsync(int fd) {
  REAL(int, fsync, int);
  if (hit(OP_FSYNC, fd)) return errno = EIO, -1;
  return real_fsync(fd);
}

int fdatasync(int fd) {
  REAL(int, fdatasync, int);
  if (hit(OP_FSYNC, fd)) return errno = EIO, -1;
  return real_fdatasync(fd);
}

ssize_t read(int fd, void *b, size_t n) {
  REAL(ssize_t, read, int, void *, size_t);
  if (hit(OP_READ, fd)) return errno = EIO, -1;
  return real_read(fd, b, n);
}

ssize_t pread(int fd, void *b, size_t n, off_t off) {
  REAL(ssize_t, pread, int, void *, size_t, off_t);
  if (hit(OP_READ, fd)) return errno = EIO, -1;
  return real_pread(fd, b, n, off);
}

ssize_t pread64(int fd, void *b, size_t n, off_t off) {
  REAL(ssize_t, pread64, int, void *, size_t, off_t);
  if (hit(OP_READ, fd)) return errno = EIO, -1;
  return real_pread64(fd, b, n, off);
}

ssize_t recv(int fd, void *b, size_t n, int flags) {
  REAL(ssize_t, recv, int, void *, size_t, int);
  if (hit(OP_READ, fd)) return errno = EIO, -1;
  return real_recv(fd, b, n, flags);
}
