"""Actors on a running network: simulated providers and the timeline that records what happened."""
