#!/usr/bin/env bash
# A private Docker engine for ogpu-sim's docker tests (no systemd, no registry needed).
#
#   eval "$(.ci/docker.sh start)"   # install docker.io/mmdebstrap if missing, start our own
#                                   # dockerd, build the base image (cached), and export
#                                   # DOCKER_HOST in the calling shell
#   .ci/docker.sh stop              # stop that dockerd (by its pid): after a `start` in this
#                                   # shell, only if that start launched it (an engine that was
#                                   # already running belongs to someone else and is left alone)
#   .ci/docker.sh status            # say whether it runs, and where
#
# start prints only `export DOCKER_HOST=...` and `export OGPU_SIM_DOCKER_STARTED=<pid or empty>`
# on stdout (progress goes to stderr). State lives in
# $OGPU_SIM_DOCKER_DIR (default ~/.cache/ogpu-sim/dockerd): socket, pidfile, log, and the data
# root, so images (base, handler layers) stay cached between runs.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${OGPU_SIM_DOCKER_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/ogpu-sim/dockerd}"
sock="$dir/docker.sock"
pidfile="$dir/dockerd.pid"
export DOCKER_HOST="unix://$sock"

say() { echo "docker.sh: $*" >&2; }

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

install_tools() {
  local missing=()
  command -v dockerd >/dev/null || missing+=(docker.io)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  local sudo=""
  [ "$(id -u)" = 0 ] || sudo="sudo"
  $sudo apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >&2
}

start() {
  install_tools
  mkdir -p "$dir"
  local started=""
  if running && docker version >/dev/null 2>&1; then
    say "dockerd already running (pid $(cat "$pidfile")) at $DOCKER_HOST"
  else
    rm -f "$pidfile" "$sock"
    say "starting dockerd at $DOCKER_HOST (log: $dir/dockerd.log)"
    setsid dockerd --host="$DOCKER_HOST" --data-root="$dir/data" --exec-root="$dir/exec" \
      --pidfile="$pidfile" >"$dir/dockerd.log" 2>&1 < /dev/null &
    for _ in $(seq 1 150); do
      docker version >/dev/null 2>&1 && break
      sleep 0.2
    done
    if ! docker version >/dev/null 2>&1; then
      say "dockerd did not come up; last log lines:"
      tail -n 20 "$dir/dockerd.log" >&2
      exit 1
    fi
    started="$(cat "$pidfile")"
  fi
  bash "$root/ogpu_sim/runtime/recipes/base/build.sh" "${OGPU_SIM_BASE_IMAGE:-ogpu-sim-base:latest}" >&2
  echo "export DOCKER_HOST=$DOCKER_HOST"
  echo "export OGPU_SIM_DOCKER_STARTED=$started"
}

stop() {
  if ! running; then
    say "no dockerd of ours running"
    return 0
  fi
  local pid
  pid="$(cat "$pidfile")"
  if [ "${OGPU_SIM_DOCKER_STARTED+set}" = set ] && [ "$OGPU_SIM_DOCKER_STARTED" != "$pid" ]; then
    say "dockerd (pid $pid) was running before this start: leaving it running"
    return 0
  fi
  say "stopping dockerd (pid $pid)"
  kill "$pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.1
  done
  say "dockerd $pid still alive after 10 s; sending KILL"
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status)
    if running; then echo "running: pid $(cat "$pidfile"), DOCKER_HOST=$DOCKER_HOST"
    else echo "not running"; exit 1; fi ;;
  *) echo "usage: eval \"\$(.ci/docker.sh start)\" | .ci/docker.sh stop | .ci/docker.sh status" >&2; exit 2 ;;
esac
