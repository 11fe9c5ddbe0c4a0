"""Lease Chain sensor firmware: reads the machine's sensors and signs every reading.

The same modules run on the ESP32 under MicroPython and on a workstation under
CPython (the fleet simulator); everything that touches hardware is injected.
"""

VERSION = "1.0.0"
