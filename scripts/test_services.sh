# PostgreSQL and Redis for the test suite (sourced by test.sh). A server already running on the usual
# port is used as it is; otherwise the Debian package is installed if missing and a throw-away server is
# started on a free port, then stopped and removed when the run ends. Exports TEST_DATABASE_URL and
# TEST_REDIS_URL. TEST_FORCE_LOCAL_SERVICES=1 skips the running servers (to exercise the fallback).

_services_dir=""

_free_port() {
  .venv/bin/python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

_port_open() {  # host port
  .venv/bin/python -c 'import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=1).close()
except OSError:
    sys.exit(1)' "$1" "$2"
}

_apt_install() {
  if [ "$(id -u)" != 0 ]; then
    echo "Need to install $* but not running as root; install it or set the TEST_* URL." >&2; return 1
  fi
  echo "Installing $* from Debian packages"
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}

_services_tmp() {
  [ -n "$_services_dir" ] || { _services_dir=$(mktemp -d -t openalgo-test-services-XXXXXX); chmod 755 "$_services_dir"; }
}

_pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then echo "$dir"; return 0; fi
  dirname "$(command -v initdb 2>/dev/null || echo /nonexistent/initdb)"
}

ensure_test_postgres() {
  if [ -n "${TEST_DATABASE_URL:-}" ]; then return 0; fi
  if [ -z "${TEST_FORCE_LOCAL_SERVICES:-}" ] && _port_open 127.0.0.1 5432; then
    export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:5432/test"
    return 0
  fi
  local bin port data run_as=()
  bin=$(_pg_bin)
  if [ ! -x "$bin/initdb" ]; then _apt_install postgresql; bin=$(_pg_bin); fi
  _services_tmp
  port=$(_free_port)
  data="$_services_dir/pg"
  mkdir -p "$data"
  if [ "$(id -u)" = 0 ]; then  # PostgreSQL refuses to run as root
    id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
    chown postgres "$data"
    run_as=(env -C / runuser -u postgres --)  # from /, which the postgres user can enter
  fi
  echo "Starting a throw-away PostgreSQL on port $port"
  "${run_as[@]}" "$bin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 >/dev/null
  "${run_as[@]}" "$bin/pg_ctl" -D "$data" -l "$data/server.log" -w \
    -o "-p $port -k $data -c listen_addresses=127.0.0.1 -c fsync=off -c full_page_writes=off" start >/dev/null
  "${run_as[@]}" "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres test
  _pg_stop=("${run_as[@]}" "$bin/pg_ctl" -D "$data" -m immediate stop)
  export TEST_DATABASE_URL="postgresql://postgres@127.0.0.1:$port/test"
}

ensure_test_redis() {
  if [ -n "${TEST_REDIS_URL:-}" ]; then return 0; fi
  if [ -z "${TEST_FORCE_LOCAL_SERVICES:-}" ] && _port_open 127.0.0.1 6379; then
    export TEST_REDIS_URL="redis://127.0.0.1:6379/0"
    return 0
  fi
  command -v redis-server >/dev/null 2>&1 || _apt_install redis-server
  _services_tmp
  local port; port=$(_free_port)
  echo "Starting a throw-away Redis on port $port"
  redis-server --port "$port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
    --dir "$_services_dir" --pidfile "$_services_dir/redis.pid" --logfile "$_services_dir/redis.log"
  for _ in $(seq 50); do _port_open 127.0.0.1 "$port" && break; sleep 0.1; done
  export TEST_REDIS_URL="redis://127.0.0.1:$port/0"
}

stop_test_services() {
  if [ -n "${_pg_stop+x}" ]; then "${_pg_stop[@]}" >/dev/null 2>&1 || true; fi
  if [ -n "$_services_dir" ] && [ -f "$_services_dir/redis.pid" ]; then
    kill "$(cat "$_services_dir/redis.pid")" 2>/dev/null || true
  fi
  if [ -n "$_services_dir" ]; then rm -rf "$_services_dir"; fi
}

# Headless Chromium for the browser tests (tests/browser, Playwright with the system executable; Playwright
# never downloads a browser). Installed from Debian when missing; OPENALGO_TEST_CHROMIUM points elsewhere.
ensure_test_chromium() {
  local chromium="${OPENALGO_TEST_CHROMIUM:-/usr/bin/chromium}"
  if [ -x "$chromium" ]; then return 0; fi
  _apt_install chromium chromium-driver
}
