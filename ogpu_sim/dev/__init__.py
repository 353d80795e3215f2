"""Developer-only tools: the contract build (``make contracts``) and the gas report (``make gas``).

Nothing a user runs imports this package (an import-linter contract says so).
"""
