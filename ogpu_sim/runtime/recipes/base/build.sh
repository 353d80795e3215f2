#!/usr/bin/env bash
# Build ogpu-sim's handler base image (Debian bookworm + python3 + pip, `python` naming python3
# as in the python:* images, so CMD ["python", "main.py"] runs) without any registry:
# mmdebstrap extracts Debian packages into a tarball that `docker import` turns into an image.
# Cached by tag: does nothing when the image exists with this recipe's version label (pass
# --force to rebuild).
#
#   bash build.sh [TAG] [--force]            (TAG defaults to ogpu-sim-base:latest)
#
# Needs: mmdebstrap, the docker CLI and a reachable engine (DOCKER_HOST), a Debian mirror
# (taken from apt's sources, or MIRROR=...). Takes ~10 s and gives a ~70 MB image.
set -euo pipefail

tag="ogpu-sim-base:latest"
force=0
for arg in "$@"; do
  case "$arg" in
    --force) force=1 ;;
    -h|--help) sed -n '2,10p' "$0"; exit 0 ;;
    *) tag="$arg" ;;
  esac
done

recipe_version=2
if [ "$force" = 0 ] && [ "$(docker image inspect -f '{{index .Config.Labels "ogpu-sim.base-version"}}' "$tag" 2>/dev/null)" = "$recipe_version" ]; then
  echo "base image $tag present (cached)" >&2
  exit 0
fi
command -v mmdebstrap >/dev/null || { echo "mmdebstrap missing: apt-get install -y mmdebstrap" >&2; exit 1; }

mirror="${MIRROR:-}"
if [ -z "$mirror" ]; then
  mirror="$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' | grep -v security | head -n1 || true)"
fi
if [ -z "$mirror" ]; then
  mirror="$(grep -hsE '^deb ' /etc/apt/sources.list | awk '{print $2}' | grep debian | head -n1 || true)"
fi
mirror="${mirror:-http://deb.debian.org/debian}"

# Extract mode ignores --customize-hook; --extract-hook runs after unpacking.
hook='rm -f "$1"/usr/lib/python3.*/EXTERNALLY-MANAGED
printf "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n" > "$1/etc/passwd"
printf "root:x:0:\nvideo:x:44:\nrender:x:105:\nnogroup:x:65534:\n" > "$1/etc/group"
mkdir -p "$1/root" "$1/tmp" && chmod 1777 "$1/tmp"
ln -sf python3 "$1/usr/bin/python"'

echo "building base image $tag from $mirror (bookworm)" >&2
mmdebstrap --quiet --variant=extract \
  --include=python3,python3-pip,dash,coreutils,ca-certificates \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --extract-hook="$hook" \
  bookworm - "$mirror" \
  | docker import \
      -c 'ENV LANG=C.UTF-8 PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
      -c 'CMD ["python3"]' \
      -c "LABEL ogpu-sim.base-version=$recipe_version" \
      --message "ogpu-sim base: Debian bookworm python3 (mmdebstrap)" \
      - "$tag" >/dev/null
echo "base image $tag built" >&2
