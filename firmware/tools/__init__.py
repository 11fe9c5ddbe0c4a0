"""Host-side tools for the sensor firmware: they run on a workstation, never on the board."""
