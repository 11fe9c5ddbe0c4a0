# A stand-in for MicroPython's esp32 module (an S3: it has mcu_temperature).


def mcu_temperature():
    return 41
