"""The broker author's documents stay true: README's broker section lists every installed broker's
settings (from the manifests) and links the guide; every file the guide names exists."""
from __future__ import annotations

import importlib
import re

from broker.registry import find_plugin_modules
from utils.config import PROJECT_ROOT


def test_readme_lists_each_installed_brokers_settings_and_links_the_guide():
    readme = (PROJECT_ROOT / "README.md").read_text()
    assert "(docs/adding-a-broker.md)" in readme
    table = readme[readme.index("<!-- broker-settings:start"):readme.index("<!-- broker-settings:end")]
    listed = set(re.findall(r"\| `([A-Z][A-Z0-9_]*)` \|", table))
    declared = {spec.name for _, module in find_plugin_modules(("broker",))
                for spec in importlib.import_module(module).MANIFEST.settings}
    assert listed == declared, f"missing: {sorted(declared - listed)}, stale: {sorted(listed - declared)}"


def test_every_file_the_guide_names_exists():
    guide = (PROJECT_ROOT / "docs" / "adding-a-broker.md").read_text()
    paths = {p for p in re.findall(r"`((?:broker|tests|docs|utils|services)/[\w./]+)`", guide) if "<" not in p}
    assert len(paths) > 20
    missing = sorted(p for p in paths if not (PROJECT_ROOT / p.rstrip("/")).exists())
    assert missing == [], missing
