"""A bounded ring buffer of signed readings in flash, delivered oldest first.

Reading number ``i`` (a counter that never repeats on a device) lives in
``out/<i>``.  Which numbers are live is decided by the committed state's
``head`` and ``tail`` (state.py): files at or past ``tail`` were written but
never committed, files before ``head`` were delivered or dropped; both are
removed when the outbox is recovered at boot.

Overflow policy: when ``capacity`` readings are waiting, the oldest is
dropped to make room; the reading signed next carries the drop in its
``dropped`` field (docs/protocol.md section 3.1).
"""

DIR = "out"


class Outbox:
    """The files of the ring buffer; the bounds live in the device's state."""

    def __init__(self, store, capacity):
        if capacity < 1:
            raise ValueError("outbox capacity must be at least 1, got %r" % capacity)
        self.store = store
        self.capacity = capacity
        store.makedirs(DIR)

    def _name(self, index):
        return DIR + "/" + str(index)

    def put(self, index, message):
        """Write reading ``index`` (not live until the state commits it)."""
        self.store.write(self._name(index), message)

    def get(self, index):
        """Bytes of reading ``index``, or None if its file is gone."""
        return self.store.read(self._name(index))

    def discard(self, index):
        """Remove reading ``index`` (delivered, dropped or never committed)."""
        self.store.remove(self._name(index))

    def recover(self, head, tail):
        """Remove what a power cut left behind; return the index of the oldest live reading."""
        self.store.clean(DIR)
        live = []
        for name in self.store.listdir(DIR):
            try:
                index = int(name)
            except ValueError:
                self.store.remove(DIR + "/" + name)
                continue
            if head <= index < tail:
                live.append(index)
            else:
                self.discard(index)
        return min(live) if live else tail
