"""Processes that tests, benchmarks and the demo start: free ports, a private Mosquitto, MicroPython.

Shipped with the project (as ``structlog.testing`` is) so that ``bench/``, ``tests/`` and the
simulator's services share one copy; the MicroPython runners need a checkout (node_modules, scripts/).
"""
