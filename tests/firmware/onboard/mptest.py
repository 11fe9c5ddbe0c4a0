# Device side of the firmware tests: input, output and hex helpers.
# Runs under MicroPython and CPython alike (see tests/firmware/device.py).
import binascii
import json
import sys

MARKER = "@@"


def inp():
    """The test's input (input.json next to the script)."""
    script = sys.argv[0]
    cut = script.rfind("/")
    with open(script[: cut + 1] + "input.json") as f:
        return json.loads(f.read())


def out(obj):
    """Hand ``obj`` back to the test as JSON, in lines short enough for the runner's output."""
    text = json.dumps(obj)
    print(MARKER + "<")
    for i in range(0, len(text), 2000):
        print(MARKER + "+" + text[i : i + 2000])
    print(MARKER + ">")


def hx(data):
    return binascii.hexlify(bytes(data)).decode()


def unhx(text):
    return binascii.unhexlify(text)
