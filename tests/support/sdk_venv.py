"""Virtualenvs of their own for official broker SDKs (dev dependencies that must not enter the app's venv).

`sdk_python("upstox", requirements)` creates `.venv-sdk/upstox` from a pinned requirements file the first
time (and again when that file changes), under a file lock so parallel test workers build it once, and
returns its interpreter. Tests then run a driver script with it against a fake server.
"""
from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
VENVS = PROJECT_ROOT / ".venv-sdk"


def sdk_python(name: str, requirements: Path, pip_options: tuple[str, ...] = ()) -> Path:
    """`pip_options` go to the install (e.g. --no-deps when the file pins every dependency itself)."""
    root = VENVS / name
    python = root / "bin" / "python"
    stamp = root / ".requirements-sha256"
    digest = hashlib.sha256(requirements.read_bytes() + " ".join(pip_options).encode()).hexdigest()
    VENVS.mkdir(exist_ok=True)
    with open(VENVS / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if python.exists() and stamp.exists() and stamp.read_text() == digest:
            return python
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(root)], check=True)
        result = subprocess.run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                                 *pip_options, "-r", str(requirements)], capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"could not install {requirements.name} into {root}:\n{result.stderr[-2000:]}")
        stamp.write_text(digest)
    return python
