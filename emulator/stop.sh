#!/usr/bin/env bash
# Stops an emulator started by emulator/start.sh (same --dir; default .emulator/).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(dirname "$here")/.emulator"
[[ "${1:-}" == "--dir" ]] && dir="$2"
pidfile="$dir/emulator.pid"
[[ -f "$pidfile" ]] || { echo "no emulator pid file in $dir" >&2; exit 0; }
pid="$(cat "$pidfile")"
if kill -0 "$pid" 2>/dev/null; then
  kill "$pid"
  for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null || true
fi
rm -f "$pidfile" "$dir/host"
echo "emulator stopped"
