#!/usr/bin/env bash
# Starts the Google Cloud SDK's Firestore emulator in the background, loads firestore.rules,
# waits until it answers, and prints `export FIRESTORE_EMULATOR_HOST=127.0.0.1:PORT`.
#
#   eval "$(emulator/start.sh)"            # free port, state in .emulator/
#   emulator/start.sh --port 8080 --dir /tmp/fs
#
# State directory: emulator.pid, emulator.log, host. Running it again while the emulator is up
# prints the same host. Stop it with emulator/stop.sh (same --dir).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
port=""
dir="$root/.emulator"
rules="$root/firestore.rules"

while [[ $# -gt 0 ]]; do
  case "$1" in
    --port) port="$2"; shift 2 ;;
    --dir) dir="$2"; shift 2 ;;
    --rules) rules="$2"; shift 2 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "unknown option: $1" >&2; exit 2 ;;
  esac
done

install_hint="Install it with: apt-get install google-cloud-cli-firestore-emulator openjdk-17-jre-headless
(from Google's Cloud SDK apt repository), or: gcloud components install cloud-firestore-emulator.
Or point FIRESTORE_EMULATOR_JAR at cloud-firestore-emulator.jar."

find_jar() {
  local rel="platform/cloud-firestore-emulator/cloud-firestore-emulator.jar" candidate root_dir
  if [[ -n "${FIRESTORE_EMULATOR_JAR:-}" && -f "$FIRESTORE_EMULATOR_JAR" ]]; then echo "$FIRESTORE_EMULATOR_JAR"; return; fi
  for root_dir in "${CLOUDSDK_ROOT_DIR:-}" \
      "$(command -v gcloud >/dev/null 2>&1 && gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)" \
      /usr/lib/google-cloud-sdk /usr/share/google-cloud-sdk /opt/google-cloud-sdk "$HOME/google-cloud-sdk"; do
    candidate="$root_dir/$rel"
    if [[ -n "$root_dir" && -f "$candidate" ]]; then echo "$candidate"; return; fi
  done
  return 1
}

ready() { # host:port -> 0 when the emulator answers "Ok"
  local body
  if command -v curl >/dev/null 2>&1; then
    body="$(curl -fsS --max-time 2 "http://$1/" 2>/dev/null || true)"
  else
    body="$(python3 -c "import urllib.request,sys;print(urllib.request.urlopen('http://$1/',timeout=2).read().decode())" 2>/dev/null || true)"
  fi
  [[ "$body" == Ok* ]]
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])' 2>/dev/null && return
  local p
  for _ in $(seq 1 50); do
    p=$((20000 + RANDOM % 20000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return; fi
  done
  return 1
}

mkdir -p "$dir"
pidfile="$dir/emulator.pid"
log="$dir/emulator.log"

if [[ -f "$pidfile" ]] && kill -0 "$(cat "$pidfile")" 2>/dev/null && [[ -f "$dir/host" ]] && ready "$(cat "$dir/host")"; then
  echo "export FIRESTORE_EMULATOR_HOST=$(cat "$dir/host")"
  exit 0
fi

jar="$(find_jar)" || { echo "error: the Firestore emulator is not installed. $install_hint" >&2; exit 1; }
java_bin="${JAVA_HOME:+$JAVA_HOME/bin/}java"
command -v "$java_bin" >/dev/null 2>&1 || { echo "error: Java is not installed (the emulator needs Java 11+). Install it with: apt-get install openjdk-17-jre-headless" >&2; exit 1; }
[[ -f "$rules" ]] || { echo "error: rules file $rules not found" >&2; exit 1; }
[[ -n "$port" ]] || port="$(free_port)"
host="127.0.0.1:$port"

nohup "$java_bin" -Duser.language=en -cp "$jar" com.google.cloud.datastore.emulator.firestore.CloudFirestore \
  start --host=127.0.0.1 --port="$port" --rules="$rules" >"$log" 2>&1 &
echo $! >"$pidfile"
echo "$host" >"$dir/host"

for _ in $(seq 1 600); do
  if ready "$host"; then
    echo "export FIRESTORE_EMULATOR_HOST=$host"
    exit 0
  fi
  if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
    echo "error: the emulator exited during start-up; its log ($log) ends with:" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  sleep 0.1
done
echo "error: the emulator did not answer on $host within 60 s; see $log" >&2
exit 1
