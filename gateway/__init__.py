"""Raspberry-Pi gateway agent: verifies, stores and anchors signed readings."""
