"""The template plugin passes the whole contract suite against its fake server, with only its own
folders (broker/_template/, tests/brokers/_template/, tests/fixtures/_template/) — the path
docs/adding-a-broker.md walks a new broker through."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from utils.config import PROJECT_ROOT


def test_the_template_plugin_passes_the_contract_suite():
    env = {**os.environ, "OPENALGO_CONTRACT_PLUGIN": "broker._template"}
    result = subprocess.run([sys.executable, "-m", "pytest", "tests/contract", "-q", "-n", "0", "-p", "no:randomly"],
                            cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=300)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr[-2000:]
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    passed = int(re.search(r"(\d+) passed", summary)[1])
    assert "skipped" not in summary and "failed" not in summary, summary   # every test ran on the template
    assert passed >= 15, summary
