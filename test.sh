#!/usr/bin/env bash
# Run the whole test suite: same set-up as start.sh plus dev requirements; PostgreSQL and Redis are used
# where already running (or given as TEST_DATABASE_URL / TEST_REDIS_URL), otherwise installed and started
# as throw-away servers for this run; headless Chromium (browser tests) is installed from Debian when
# missing. Then the date-sensitive tests run again under three other clocks (scripts/shifted_clocks.sh).
# Extra arguments go to pytest (e.g. ./test.sh -k health) and skip the reruns unless TEST_CLOCKS is set.
set -euo pipefail
cd "$(dirname "$0")"
source scripts/bootstrap.sh
source scripts/test_services.sh
source scripts/shifted_clocks.sh
ensure_venv
ensure_requirements requirements-dev.txt
ensure_env_file
trap stop_test_services EXIT
ensure_test_postgres
ensure_test_redis
ensure_test_chromium
.venv/bin/python -m tests.support.openalgo_clients >/dev/null   # the 2.x client's own venv (acceptance tests)
.venv/bin/python -m pytest "$@"
if [ $# -eq 0 ] || [ -n "${TEST_CLOCKS:-}" ]; then
  run_shifted_clocks "$@"
fi
