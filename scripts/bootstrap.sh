# Shared set-up for start.sh and test.sh (sourced, not run): a Python 3.11+ virtualenv in .venv, the
# pinned requirements (reinstalled only when a requirements file changed), and a .env with fresh secrets.

find_python() {
  local candidate
  for candidate in python3.13 python3.12 python3.11 python3; do
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  echo "OpenAlgo needs Python 3.11 or newer; none was found on PATH." >&2
  return 1
}

ensure_venv() {
  if [ ! -x .venv/bin/python ]; then
    local python; python=$(find_python) || return 1
    echo "Creating .venv with $("$python" --version)"
    "$python" -m venv .venv || {
      echo "Could not create a virtualenv; on Debian/Ubuntu install python3-venv first." >&2; return 1; }
    .venv/bin/python -m pip install --quiet --upgrade pip
  fi
}

# Install a requirements file unless the same content was installed before. The stamp covers every
# requirements file, and installing one also stamps the files it includes with -r.
ensure_requirements() {
  local file=$1 digest included
  digest=$(cat requirements*.txt | sha256sum | cut -d' ' -f1)
  if [ "$(cat ".venv/.installed-$file" 2>/dev/null)" = "$digest" ]; then return 0; fi
  echo "Installing $file"
  .venv/bin/python -m pip install --quiet --disable-pip-version-check -r "$file"
  echo "$digest" > ".venv/.installed-$file"
  for included in $(sed -n 's/^-r[[:space:]]*//p' "$file"); do
    echo "$digest" > ".venv/.installed-$included"
  done
}

# Create .env from .env.sample with fresh random secrets; an existing .env is never touched.
ensure_env_file() {
  [ -f .env ] && return 0
  echo "Creating .env from .env.sample with fresh random APP_KEY and API_KEY_PEPPER"
  .venv/bin/python - <<'PY'
import re, secrets
text = open(".env.sample").read()
for name in ("APP_KEY", "API_KEY_PEPPER"):
    text = re.sub(rf"^{name}=.*$", f"{name}='{secrets.token_hex(32)}'", text, flags=re.M)
with open(".env", "w") as handle:
    handle.write(text)
PY
  chmod 600 .env
}
