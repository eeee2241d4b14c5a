"""An instance's long-lived objects, frozen out of the garbage collector's full passes.

What an instance loads to serve its first requests and tasks (modules, SDK clients, compiled
schemas, search indexes) stays alive for the instance's life, and every full collection would
walk all of it again: about 200,000 objects and a 200 ms pause in the middle of a chat step.
:func:`settle` runs after each request or task and calls :func:`gc.freeze` after the 1st, 2nd,
4th … 64th of them, so warm-up's objects sit in the permanent generation and full passes walk
only what later work allocates. A freeze is a list splice (no collection, no pause); cyclic
garbage alive at that moment is kept, once, instead of collected.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from typing import Any

LAST_FREEZE = 64  # the unit of work after which the instance stops freezing

_lock = threading.Lock()
_units = 0


def settle() -> bool:
    """Count one finished request or task; True when this one froze the heap."""
    global _units
    with _lock:
        if _units >= LAST_FREEZE:
            return False
        _units += 1
        if _units & (_units - 1):  # not a power of two
            return False
        gc.freeze()
        return True


def settled(fn: Callable[[Any], None]) -> Callable[[Any], None]:
    """``fn``, followed by :func:`settle` (a task handler of the local queue or a task process)."""

    def run(payload: Any) -> None:
        try:
            fn(payload)
        finally:
            settle()

    return run


def reset() -> None:
    """Forget the count and unfreeze (tests)."""
    global _units
    with _lock:
        _units = 0
        gc.unfreeze()
