#!/usr/bin/env bash
# The outside-in check: what a source author gets from a built wheel, with nothing from this
# checkout on sys.path.
#
#   1. build the ogpu-sim wheel with `make wheel` (.ci/wheel.sh: from the files git tracks);
#   2. install it (and pytest) into a fresh virtualenv;
#   3. from a temporary folder, run the example source repository's own tests with warnings as
#      errors (python -W error and pytest -W error);
#   4. from another temporary folder, run `ogpu-sim simulate` with no arguments (the default
#      scenario and its sample sources must ship in the wheel), warnings as errors.
#
# Usage: .ci/outside-in.sh [PYTHON]   (PYTHON builds the venv; default python3)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${1:-python3}"
work="$(mktemp -d -t ogpu-sim-outside-in-XXXXXX)"
trap 'rm -rf "$work"' EXIT
say() { echo "outside-in: $*"; }

say "building the wheel (make wheel)"
wheel="$(make -s -C "$root" wheel DIST="$work/dist" | tail -n1)"
say "$(basename "$wheel")"

say "installing it into a fresh virtualenv"
"$python" -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel" "pytest>=8"
"$work/venv/bin/pip" check

# Nothing of the checkout may leak in: no PYTHONPATH, and we run from temporary folders.
unset PYTHONPATH
export PYTHONWARNINGS=error

say "the example source repository's tests, from a copy, with -W error"
cp -r "$root/fixtures/example-source-repo" "$work/repo"
(cd "$work/repo" && "$work/venv/bin/python" -W error -m pytest -W error -p no:cacheprovider -q)

say "ogpu-sim simulate with no arguments, from an empty folder"
mkdir "$work/elsewhere"
(cd "$work/elsewhere" && "$work/venv/bin/ogpu-sim" simulate)
test -f "$(ls -d "$work"/elsewhere/runs/*/ | head -1)report.json"
say "ok"
