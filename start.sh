#!/usr/bin/env bash
# Quick start: set up .venv, requirements and .env, apply migrations, then run the server (and its
# WebSocket proxy) on the defaults: SQLite and the paper broker. Safe to run again; fast the second time.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
ensure_venv
ensure_requirements requirements.txt
ensure_env_file
.venv/bin/flask --app app db upgrade
exec .venv/bin/python app.py
