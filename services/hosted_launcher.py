"""Starts one hosted strategy script under resource limits: `python hosted_launcher.py CPU_S MEMORY_MB SCRIPT`.

Run as its own process (never imported by the server) so the limits are set in the child without a
`preexec_fn` in the threaded server. CPU time (RLIMIT_CPU: SIGXCPU at the limit) and address space
(RLIMIT_AS) are limited; the number of threads, processes and open files (sockets) is not, and the
environment sets MALLOC_ARENA_MAX so each new thread does not reserve another 64 MB malloc arena of
address space — threads and sockets keep working under the memory limit.
"""
import os
import resource
import sys


def main() -> None:
    cpu_seconds, memory_mb, script = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    resource.setrlimit(resource.RLIMIT_CPU, (cpu_seconds, cpu_seconds + 5))
    limit = memory_mb * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.chdir(os.path.dirname(script))
    os.execv(sys.executable, [sys.executable, "-u", script])


if __name__ == "__main__":
    main()
