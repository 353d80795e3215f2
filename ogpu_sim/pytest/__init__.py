"""The pytest face: the plugin source authors put in their CI, its options, assertion helpers.

The plugin module (:mod:`ogpu_sim.pytest.plugin`) is loaded by pytest through the ``pytest11``
entry point; nothing here is imported by the rest of ogpu-sim.
"""
