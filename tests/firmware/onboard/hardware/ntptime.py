# A stand-in for MicroPython's ntptime: the server answers.
host = "pool.ntp.org"
timeout = 1
calls = []


def settime():
    calls.append([host, timeout])
