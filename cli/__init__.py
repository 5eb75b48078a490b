"""Flask CLI commands (`flask --app app ...`): the headless way to operate a server.

Each module defines a click group and is listed in `COMMAND_MODULES`; later areas add theirs.
"""
from __future__ import annotations

import importlib

from flask import Flask

COMMAND_MODULES = ["db", "config", "user", "apikey", "broker", "contract", "paper", "calendar", "strategy"]


def init_app(app: Flask) -> None:
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"cli.{name}")
        app.cli.add_command(module.group)
