"""Shared helpers for benchmark drivers: timing a command with its peak RSS,
and describing the machine for RESULTS.md."""
import os
import platform
import signal
import threading
import time


def measure(cmd, env=None, timeout=None):
    """Run cmd (a list) in a child; return (seconds, peak RSS in MiB) from wait4's rusage.
    With timeout (seconds), the child is killed when it runs longer and TimeoutError is raised."""
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:
        try:
            if env is not None:
                os.execvpe(cmd[0], cmd, env)
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    timer = None
    if timeout is not None:
        timer = threading.Timer(timeout, os.kill, (pid, signal.SIGKILL))
        timer.start()
    _, status, usage = os.wait4(pid, 0)
    elapsed = time.perf_counter() - start
    if timer is not None:
        timer.cancel()
        if elapsed >= timeout and os.waitstatus_to_exitcode(status) == -signal.SIGKILL:
            raise TimeoutError(f"{' '.join(cmd)} killed after {timeout:.0f}s (peak RSS {usage.ru_maxrss / 1024.0:.0f} MiB)")
    if os.waitstatus_to_exitcode(status) != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed with {os.waitstatus_to_exitcode(status)}")
    return elapsed, usage.ru_maxrss / 1024.0


def machine():
    cpu = "unknown"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return f"{cpu}, {os.cpu_count()} cores, {mem:.0f} GiB RAM, {platform.system()} {platform.release()}"
