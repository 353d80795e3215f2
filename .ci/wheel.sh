#!/usr/bin/env bash
# Build the ogpu-sim wheel from exactly the files git tracks (with their working-tree contents),
# in a temporary copy: nothing untracked, no stale ./build/lib or *.egg-info of an earlier build
# can end up in it. `make wheel` and .ci/outside-in.sh both build through this script.
#
#   .ci/wheel.sh OUTDIR [PYTHON]   (PYTHON defaults to .venv/bin/python; it needs the build
#                                   tools of the dev extras: build, setuptools>=68, wheel)
#
# Prints the wheel's path on stdout; progress and errors go to stderr.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:?usage: .ci/wheel.sh OUTDIR [PYTHON]}"
python="${2:-$root/.venv/bin/python}"
say() { echo "wheel.sh: $*" >&2; }
# the build runs in another folder: a relative PYTHON (.venv/bin/python) must be made absolute
case "$python" in */*) python="$(cd "$(dirname "$python")" && pwd)/$(basename "$python")" ;; esac

if ! "$python" -c 'import build' 2>/dev/null; then
  say "$python has no 'build' module: run \`make install\` (the dev extras carry build, setuptools, wheel)"
  exit 1
fi
git -C "$root" rev-parse --git-dir >/dev/null 2>&1 \
  || { say "$root is not a git checkout: the wheel is built from the files git tracks"; exit 1; }

tree="$(mktemp -d -t ogpu-sim-wheel-XXXXXX)"
trap 'rm -rf "$tree"' EXIT
# Tracked files that still exist (a file deleted but not yet committed is left out).
(cd "$root" && git ls-files -z | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | tar --null --no-recursion -T - -cf -) | tar -xf - -C "$tree"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
# --no-isolation: the tools come from PYTHON's environment (no index needed); build checks the
# [build-system] requirements and fails naming any that is missing.
(cd "$tree" && "$python" -m build --wheel --no-isolation --outdir "$out" . >&2) \
  || { say "building the wheel failed (output above)"; exit 1; }
version="$(sed -n 's/^version = "\(.*\)"$/\1/p' "$tree/pyproject.toml" | head -n1)"
wheel="$out/ogpu_sim-$version-py3-none-any.whl"
test -f "$wheel" || { say "the build made no $wheel"; exit 1; }
echo "$wheel"
