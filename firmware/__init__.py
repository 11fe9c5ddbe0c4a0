"""ESP32 sensor firmware (device code) and the host tools that flash and provision it."""
