"""Python's cyclic garbage collection on the GUI thread only.

CPython collects reference cycles on whichever thread allocates when a generation's threshold is crossed. When that
is a worker (the live renderer, a model loader, a planner) and the garbage holds a widget, Qt destroys the widget off
the GUI thread: `QWindow::close` then waits for the GUI thread to flush window-system events, and when the GUI thread
is itself waiting for that worker, both wait for ever. (Seen in the test suite: a model switch stuck in
`Module.__setattr__` -> gc -> `QWidget::~QWidget`, while the GUI thread waited for the switch's result.)

    collect_on_gui_thread(app)   # automatic collection off; the same collections from a timer on the GUI thread
    collect_due()                # one such round, for a loop that runs between steps without an event loop
    freeze_long_lived()          # once a model is loaded: later collections no longer walk it and the imports
"""
from __future__ import annotations

import atexit
import gc
import time

INTERVAL_MS = 250          # how often the GUI thread looks at the allocation counts
FULL_CHECK_S = 10.0        # at most this often, count the oldest generation to see whether a full collection is due
_TIMER_NAME = "neuralos-gui-thread-gc"


class _Oldest:
    long_lived = 0         # objects in the oldest generation after the last full collection
    checked = float("-inf")
    frozen = False         # freeze_long_lived has run


def collect_due(now=time.monotonic) -> int:
    """Collect as CPython's automatic collector would now: the oldest generation whose allocation count has crossed
    its threshold (with the younger ones). Returns that generation, or -1 when none was due.

    Like CPython, a full collection (190 ms with a model and a desktop loaded) waits until the oldest generation
    has grown by a quarter since the last one; CPython keeps that count for free, here it costs a walk of the
    generation (about 28 ms), so it is looked at no more than every FULL_CHECK_S."""
    counts, limits = gc.get_count(), gc.get_threshold()
    if counts[2] > limits[2] and now() - _Oldest.checked >= FULL_CHECK_S:
        _Oldest.checked = now()
        if len(gc.get_objects(2)) - _Oldest.long_lived > _Oldest.long_lived // 4:
            gc.collect(2)
            _Oldest.long_lived = len(gc.get_objects(2))
            return 2
    for generation in (1, 0):
        if counts[generation] > limits[generation]:
            gc.collect(generation)
            return generation
    return -1


def collect_on_gui_thread(app, interval_ms: int = INTERVAL_MS):
    """Turn automatic collection off and run `collect_due` every `interval_ms` on `app`'s thread instead (call it
    on that thread; timers fire from the event loop and from `processEvents`). Idempotent; returns the QTimer."""
    from PySide6.QtCore import QTimer

    timer = app.findChild(QTimer, _TIMER_NAME)
    if timer is None:
        timer = QTimer(app)
        timer.setObjectName(_TIMER_NAME)
        timer.timeout.connect(collect_due)
        timer.start(int(interval_ms))
    gc.disable()
    return timer


def freeze_long_lived() -> bool:
    """Collect once, then keep every object alive now out of all later collections (`gc.freeze`). Call it when the
    process's long-lived bulk exists: the imports and a loaded model, about 670 thousand objects with the default
    student. Left in the generations, the first collection of generation 1 after a model load walks them all
    wherever it lands (339 ms in the middle of a window opening, on a busy 2-core EPYC), and each full collection
    walks them again. Once per process (later models are a small part of it); returns False when it had run.
    Frozen objects that later become cyclic garbage stay allocated: the price of a one-off. They are unfrozen at
    exit, so the interpreter's last collection sees them."""
    if _Oldest.frozen:
        return False
    gc.collect()
    gc.freeze()
    _Oldest.frozen, _Oldest.long_lived = True, len(gc.get_objects(2))
    atexit.register(gc.unfreeze)
    return True
