"""The command-line face: ``ogpu-sim simulate | node | run | doctor | build``."""

from ogpu_sim.cli.main import main

__all__ = ["main"]
