"""GPU detection: real device options when the GPU is there, emulation otherwise."""

from __future__ import annotations

import pytest

from ogpu_sim.runtime import gpu


def test_an_engine_with_an_nvidia_runtime_has_nvidia_gpus(monkeypatch):
    monkeypatch.delenv(gpu.FORCE_EMULATION_ENV, raising=False)
    assert gpu.engine_has_gpu("nvidia", {"Runtimes": {"runc": {}, "nvidia": {}}}) is True
    assert gpu.engine_has_gpu("nvidia", {"Runtimes": {"runc": {}}}) is False


@pytest.mark.parametrize("kind", ["nvidia", "amd"])
def test_forced_emulation_hides_every_gpu(monkeypatch, kind):
    monkeypatch.setenv(gpu.FORCE_EMULATION_ENV, "1")
    assert gpu.engine_has_gpu(kind, {"Runtimes": {"nvidia": {}}}) is False
    assert gpu.host_has_gpu(kind) is False


def test_amd_follows_dev_kfd(monkeypatch, tmp_path):
    monkeypatch.delenv(gpu.FORCE_EMULATION_ENV, raising=False)
    monkeypatch.setattr(gpu, "Path", lambda p: tmp_path / p.lstrip("/"))
    assert gpu.host_has_gpu("amd") is False
    (tmp_path / "dev").mkdir()
    (tmp_path / "dev" / "kfd").touch()
    assert gpu.host_has_gpu("amd") is True
