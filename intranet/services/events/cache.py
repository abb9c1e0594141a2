"""A bounded in-process cache for rendered calendars (feeds' bytes, calendar pages' grids)."""

from __future__ import annotations

import threading
from collections import OrderedDict
from typing import Any


class BoundedCache:
    """A thread-safe LRU bounded by the total size of its values (and by entries)."""

    def __init__(self, max_bytes: int, max_entries: int = 10000) -> None:
        self.max_bytes = max_bytes
        self.max_entries = max_entries
        self._data: OrderedDict[Any, tuple[Any, int]] = OrderedDict()
        self._size = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            hit = self._data.get(key)
            if hit is None:
                return None
            self._data.move_to_end(key)
            return hit[0]

    def put(self, key: Any, value: Any, size: int = 1) -> None:
        if size > self.max_bytes:
            return
        with self._lock:
            old = self._data.pop(key, None)
            if old is not None:
                self._size -= old[1]
            self._data[key] = (value, size)
            self._size += size
            while self._size > self.max_bytes or len(self._data) > self.max_entries:
                _key, (_value, dropped) = self._data.popitem(last=False)
                self._size -= dropped

    def clear(self) -> None:
        with self._lock:
            self._data.clear()
            self._size = 0

    @property
    def size(self) -> int:
        return self._size

    def __len__(self) -> int:
        return len(self._data)
