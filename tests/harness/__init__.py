"""Test helpers shipped with the suite: a private Mosquitto and the MicroPython runner."""
