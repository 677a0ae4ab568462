# Shared set-up for scripts/run and scripts/test: sourced, not run.

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# Build outside the clone so fresh clones (CI) reuse earlier builds.
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/attendance/target}"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

as_root() {
  if [[ "$(id -u)" == 0 ]]; then "$@"; elif command -v sudo >/dev/null 2>&1; then sudo "$@"; else return 1; fi
}

apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  say "installing $*"
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1 \
    || { as_root apt-get update -qq >/dev/null 2>&1 && as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null; }
}

require_rust() {
  command -v cargo >/dev/null 2>&1 || die "Rust is not installed: see https://rustup.rs (curl --proto '=https' -sSf https://sh.rustup.rs | sh)"
}

require_java() {
  command -v java >/dev/null 2>&1 || apt_install openjdk-17-jre-headless || die "Java is missing: apt-get install openjdk-17-jre-headless"
}

# PostgreSQL on 127.0.0.1:5432 for the reconciler and its tests: start it, or install it.
ensure_postgres() {
  if ! command -v pg_ctlcluster >/dev/null 2>&1 && ! command -v pg_isready >/dev/null 2>&1; then
    apt_install postgresql || die "PostgreSQL is missing: apt-get install postgresql"
  fi
  if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    say "starting PostgreSQL"
    local version
    version="$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$version" ]] || die "no PostgreSQL cluster found in /etc/postgresql"
    as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || die "could not start PostgreSQL $version"
    for _ in $(seq 1 50); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 0.2; done
  fi
  pg_isready -q -h 127.0.0.1 -p 5432 || die "PostgreSQL does not answer on 127.0.0.1:5432"
  export TEST_DATABASE_URL="${TEST_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
}

# Debian's zbar: tests/it/qr_codes.rs scans the projector's code with `zbarimg`.
ensure_zbar() {
  command -v zbarimg >/dev/null 2>&1 || apt_install zbar-tools || die "zbar is missing: apt-get install zbar-tools"
}

# Node.js, npm and Debian's Chromium for the browser suite (no browser downloads).
ensure_browser_tools() {
  command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1 || apt_install nodejs npm || die "Node.js is missing: apt-get install nodejs npm"
  [[ -x "${CHROMIUM:-/usr/bin/chromium}" ]] || apt_install chromium chromium-driver || die "Chromium is missing: apt-get install chromium"
  if [[ ! -d tests/browser/node_modules ]] || [[ tests/browser/package-lock.json -nt tests/browser/node_modules ]]; then
    say "installing the browser suite's npm packages"
    (cd tests/browser && npm ci --no-audit --no-fund --loglevel=error) || die "npm ci failed in tests/browser"
    touch tests/browser/node_modules
  fi
}
