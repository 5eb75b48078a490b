# Reruns of the date-sensitive tests (marker `dates`) under other clocks (sourced by test.sh).
# Each clock is passed as OPENALGO_CLOCK_SHIFT (seconds from now), which utils/clock.py applies in the test
# process and in every server, proxy and thread the tests start, so the paper market, the calendar and
# the app all live on that day; time.monotonic() stays real, so waits and timeouts behave as always.
# (libfaketime was tried first: with Python 3.11 it leaves timed lock waits blocked forever.)
#
# The clocks, each chosen for what it catches:
#   2027-03-17 10:30 IST  a Wednesday in another year, inside market hours (prices far from today's)
#   2028-01-15 20:45 IST  a Saturday evening: markets shut, the next session days away
#   2026-11-24 12:00 IST  an NSE holiday (Prakash Gurpurb) on a Tuesday, the NIFTY weekly expiry weekday
# TEST_CLOCKS (space-separated ISO datetimes) replaces the list; TEST_CLOCKS=none skips the reruns.

DEFAULT_TEST_CLOCKS="2027-03-17T10:30:00+05:30 2028-01-15T20:45:00+05:30 2026-11-24T12:00:00+05:30"

_clock_shift() {  # ISO datetime -> whole seconds from now
  .venv/bin/python -c 'import sys; from datetime import datetime, timezone
print(round((datetime.fromisoformat(sys.argv[1]) - datetime.now(timezone.utc)).total_seconds()))' "$1"
}

run_shifted_clocks() {  # extra pytest arguments
  local clocks="${TEST_CLOCKS:-$DEFAULT_TEST_CLOCKS}" clock started
  [ "$clocks" = none ] && return 0
  for clock in $clocks; do
    started=$SECONDS
    echo "=== date-sensitive tests under the clock $clock"
    OPENALGO_CLOCK_SHIFT=$(_clock_shift "$clock") .venv/bin/python -m pytest -m dates -q "$@"
    echo "=== clock $clock: $((SECONDS - started)) s"
  done
}
