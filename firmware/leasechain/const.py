"""``const()``, as micropython-lib declares its constants.

On the board the compiler folds each ``const(...)`` into the code that uses it
(and drops ``_private`` ones from the module's globals, saving RAM); under
CPython (the simulator, host tests) it is the value itself.
"""

try:
    from micropython import const
except ImportError:  # CPython

    def const(value):  # type: ignore[misc]  # the stub's signature is generic
        return value
