"""The public `openalgo` client in each supported version, for acceptance scenarios.

`openalgo_client` (a fixture in tests/conftest.py, parametrized over CLIENT_VERSIONS) hands a test a
`ClientVersion`; `client_version.api(api_key=..., host=..., ws_url=...)` returns a `RemoteApi` whose
methods are the real client's, run in a subprocess with that version's interpreter: 1.0.47 from the
app's venv (requirements-dev.txt), 2.0.5 from `.venv-sdk/openalgo-2.0.5`, created on first use (see
openalgo-2.0.5-requirements.txt; `python -m tests.support.openalgo_clients` builds it ahead, as test.sh
does). A scenario written once therefore runs unchanged against both. Feed callbacks: pass
`CALLBACK` for a callback argument and read what it received with `events()`.

Broker suites reuse it: take the `openalgo_client` fixture, point `.api(...)` at their server.
"""
from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.support.sdk_venv import sdk_python

HERE = Path(__file__).resolve().parent
CLIENT_VERSIONS = ("1.0.47", "2.0.5")
V2 = "2.0.5"
CALLBACK = "__callback__"
_V2_REQUIREMENTS = HERE / "openalgo-2.0.5-requirements.txt"
_V2_PIP_OPTIONS = ("--no-deps", "--ignore-requires-python")


class ClientError(AssertionError):
    """The client itself raised (its exception text is the message)."""


def interpreter(version: str) -> Path:
    """The Python that has `openalgo==version` installed."""
    if version == V2:
        return sdk_python("openalgo-2.0.5", _V2_REQUIREMENTS, _V2_PIP_OPTIONS)
    if version == CLIENT_VERSIONS[0]:
        return Path(sys.executable)
    raise ValueError(f"unknown openalgo client version {version}; known: {', '.join(CLIENT_VERSIONS)}")


class RemoteApi:
    """`openalgo.api` living in another interpreter; attribute calls are forwarded one at a time."""

    def __init__(self, python: Path, version: str, timeout: float = 120.0, **init: Any):
        self.version = version
        self.timeout = timeout
        self._lock = threading.Lock()
        self._process = subprocess.Popen([str(python), str(HERE / "openalgo_worker.py")], stdin=subprocess.PIPE,
                                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, bufsize=1)
        ready = json.loads(self._read(60))
        assert ready.get("ready") == version, f"expected openalgo {version}, the worker has {ready}"
        self._call("__init__", (), init)

    def _read(self, timeout: float) -> str:
        line: list[str] = []
        reader = threading.Thread(target=lambda: line.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout)
        if not line or not line[0]:
            self.close()
            raise ClientError(f"openalgo {self.version} worker did not answer within {timeout:g} s")
        return line[0]

    def _call(self, name: str, args: tuple, kwargs: dict[str, Any]) -> Any:
        with self._lock:
            self._process.stdin.write(json.dumps({"call": name, "args": list(args), "kwargs": kwargs}) + "\n")
            reply = json.loads(self._read(self.timeout))
        if "error" in reply:
            raise ClientError(f"openalgo {self.version} {name}() raised {reply['error']}\n{reply.get('traceback', '')}")
        return _revive(reply["result"])

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return lambda *args, **kwargs: self._call(name, args, kwargs)

    def events(self) -> list[list[Any]]:
        """What CALLBACK arguments received since the last look: [argument name, *callback args]."""
        return self._call("__events__", (), {})

    def wait_for_events(self, predicate: Any, timeout: float = 5.0) -> list[list[Any]]:
        """Collect events until `predicate(all collected)` is true or `timeout` passes; returns them."""
        seen: list[list[Any]] = []
        deadline = time.monotonic() + timeout
        while True:
            seen += self.events()
            if predicate(seen) or time.monotonic() > deadline:
                return seen
            time.sleep(0.05)

    def close(self) -> None:
        if self._process.poll() is None:
            self._process.stdin.close()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()


def _revive(value: Any) -> Any:
    """DataFrames (history) come back as DataFrames, with their index, its name and its time zone."""
    if isinstance(value, dict) and "__dataframe__" in value:
        import pandas as pd

        split = value["__dataframe__"]
        index = pd.Index(split["index"], name=value["index_name"])
        if value["index_tz"]:
            index = pd.DatetimeIndex(pd.to_datetime(split["index"], utc=True), name=value["index_name"])
            index = index.tz_convert(value["index_tz"])
        return pd.DataFrame(split["data"], columns=split["columns"], index=index)
    return value


@dataclass
class ClientVersion:
    """One client version for a test; every RemoteApi it made is closed at the end of the test."""
    version: str

    def __post_init__(self) -> None:
        self.python = interpreter(self.version)
        self._clients: list[RemoteApi] = []

    @property
    def is_v2(self) -> bool:
        return self.version == V2

    def api(self, **init: Any) -> RemoteApi:
        client = RemoteApi(self.python, self.version, **init)
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


if __name__ == "__main__":   # build every client venv ahead of the test run (test.sh)
    for version in CLIENT_VERSIONS:
        print(f"openalgo {version}: {interpreter(version)}")
