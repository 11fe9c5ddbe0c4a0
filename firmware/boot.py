# Runs first after every reset.  Kept minimal so that a bad firmware update
# still leaves a working REPL for mpremote; main.py starts the sensor.
import gc

gc.collect()
