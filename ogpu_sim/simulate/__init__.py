"""The simulate face: marketplace scenarios (TOML), the runner that plays them, the report.

:mod:`~ogpu_sim.simulate.scenario` reads and validates a scenario file,
:mod:`~ogpu_sim.simulate.runner` plays it on a :class:`ogpu_sim.Simulator`, and
:mod:`~ogpu_sim.simulate.report` (with :mod:`~ogpu_sim.simulate.plots`) writes the run folder.
"""
