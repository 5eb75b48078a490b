"""Supervision of the proxy by `python app.py`: start it as a child process, restart it when it dies,
stop it with the app. A child that exits because its port is taken (exit code 3) or its configuration is
invalid (2) is not restarted: restarting cannot fix either, and the child has already said why."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time

from utils.config import PROJECT_ROOT, Settings
from utils.logging import get_logger
from utils.net import port_open

log = get_logger("websocket_proxy.launcher")

_FINAL_EXIT_CODES = {2: "invalid configuration", 3: "port already in use"}


class ProxySupervisor:
    def __init__(self, restart_delay: float = 1.0, max_restart_delay: float = 30.0, stable_after: float = 60.0):
        self.restart_delay = restart_delay
        self.max_restart_delay = max_restart_delay
        self.stable_after = stable_after     # a child that ran this long resets the back-off
        self.process: subprocess.Popen | None = None
        self.restarts = 0
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._watch, name="proxy-supervisor", daemon=True)

    def start(self) -> "ProxySupervisor":
        self._spawn()
        self._thread.start()
        return self

    def _spawn(self) -> None:
        with self._lock:
            if self._stopping.is_set():
                return
            self.process = subprocess.Popen(
                [sys.executable, "-m", "websocket_proxy", "--parent-pid", str(os.getpid())], cwd=PROJECT_ROOT)

    def _watch(self) -> None:
        delay = self.restart_delay
        while not self._stopping.is_set():
            started = time.monotonic()
            code = self.process.wait()
            if self._stopping.is_set():
                return
            if code in _FINAL_EXIT_CODES:
                log.error("WebSocket proxy exited (%s); not restarting it. The REST API keeps working.",
                          _FINAL_EXIT_CODES[code])
                return
            if time.monotonic() - started >= self.stable_after:
                delay = self.restart_delay
            log.warning("WebSocket proxy exited with code %s; restarting in %.0f s", code, delay)
            if self._stopping.wait(delay):
                return
            delay = min(delay * 2, self.max_restart_delay)
            self.restarts += 1
            self._spawn()

    def wait_listening(self, host: str, port: int, timeout: float) -> bool:
        """Block until the proxy accepts connections on host:port (True), or it exits for good or
        `timeout` seconds pass (False). The app prints its banner only after this."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if port_open(host, port):
                return True
            with self._lock:
                process = self.process
            if process is not None and process.poll() in _FINAL_EXIT_CODES:
                return False
            time.sleep(0.05)
        return False

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        with self._lock:
            process = self.process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._thread.is_alive():
            self._thread.join(timeout)


def start_proxy(settings: Settings) -> ProxySupervisor | None:
    """Start the supervised proxy unless WEBSOCKET_PROXY_ENABLED is false."""
    if not settings.WEBSOCKET_PROXY_ENABLED:
        return None
    return ProxySupervisor().start()
