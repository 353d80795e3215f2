"""Helpers for writing source folders in a test's tmp_path."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
REAL = ROOT / "fixtures" / "real-sources"

HANDLER = """\
services:
  app:
    build: .
    ports: ["${PORT}:5555"]
    environment:
      - CALLBACK_URL=${CALLBACK_URL}
"""
GPU = """\
    deploy:
      resources:
        reservations:
          devices:
            - driver: nvidia
              count: all
              capabilities: [gpu]
"""
AMD = """\
    devices: ["/dev/kfd", "/dev/dri"]
"""


def write(folder: Path, files: dict[str, str]) -> Path:
    """Write ``files`` (relative path -> text) under ``folder`` plus an empty handler.py."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "handler.py").write_text("")
    for name, text in files.items():
        path = folder / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return folder


from tests.sdk.conftest import isolated, sim  # noqa: E402, F401  (the session simulator)
