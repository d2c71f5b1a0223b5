"""Work around a reference-count bug of some PySide6 builds: `SignalInstance.emit()` returns `True`
without owning a reference to it.

Each Python-side `emit()` whose result is dropped then takes one reference from `True`; on Python
3.11 (where `True` is not immortal) the interpreter aborts with "bool_dealloc: deallocating True or
False" after a few thousand emits, e.g. a canvas emitting `scene_changed` on every mouse move.
PySide6-Essentials 6.12.0 on CPython 3.11.7 has it. `apply()` measures whether this PySide6 loses
references and, only then, wraps `emit` to take the missing reference; it is idempotent and a no-op
on fixed builds and on interpreters with immortal booleans (3.12+).
"""
from __future__ import annotations

import ctypes
import sys

_PROBES = 8


def leaks() -> int:
    """References to `True` that one `emit()` loses (0 on a sound build). Restores what it lost."""
    from PySide6.QtCore import QObject, Signal

    class _Probe(QObject):
        ping = Signal()

    probe = _Probe()
    before = sys.getrefcount(True)
    for _ in range(_PROBES):
        probe.ping.emit()
    lost = before - sys.getrefcount(True)
    for _ in range(max(0, lost)):
        ctypes.pythonapi.Py_IncRef(ctypes.py_object(True))
    return max(0, lost) // _PROBES


def apply() -> bool:
    """Patch `SignalInstance.emit` if this build needs it; returns True when patched."""
    from PySide6.QtCore import SignalInstance

    if getattr(SignalInstance.emit, "_neuralos_refcount_fix", False):
        return True
    if leaks() == 0:
        return False
    original = SignalInstance.emit
    incref = ctypes.pythonapi.Py_IncRef
    incref.argtypes = [ctypes.py_object]
    incref.restype = None

    def emit(self, *args):
        result = original(self, *args)
        if result is True or result is False:
            incref(result)
        return result

    emit._neuralos_refcount_fix = True
    emit.__doc__ = original.__doc__
    SignalInstance.emit = emit
    return True
