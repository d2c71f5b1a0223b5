"""Python's cyclic garbage collection on the GUI thread only.

CPython collects reference cycles on whichever thread allocates when a generation's threshold is crossed. When that
is a worker (the live renderer, a model loader, a planner) and the garbage holds a widget, Qt destroys the widget off
the GUI thread: `QWindow::close` then waits for the GUI thread to flush window-system events, and when the GUI thread
is itself waiting for that worker, both wait for ever. (Seen in the test suite: a model switch stuck in
`Module.__setattr__` -> gc -> `QWidget::~QWidget`, while the GUI thread waited for the switch's result.)

    collect_on_gui_thread(app)   # automatic collection off; the same collections from a timer on the GUI thread
    collect_due()                # one such round, for a loop that runs between steps without an event loop
"""
from __future__ import annotations

import gc

INTERVAL_MS = 250          # how often the GUI thread looks at the allocation counts
_TIMER_NAME = "neuralos-gui-thread-gc"


def collect_due() -> int:
    """Collect as CPython's automatic collector would now: the oldest generation whose allocation count has crossed
    its threshold (with the younger ones). Returns that generation, or -1 when none was due."""
    counts, limits = gc.get_count(), gc.get_threshold()
    for generation in range(min(len(counts), len(limits)) - 1, -1, -1):
        if limits[generation] and counts[generation] > limits[generation]:
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
