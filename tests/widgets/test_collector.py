"""Garbage collected on the GUI thread only: a widget left in a reference cycle is never destroyed by a worker."""
import gc
import threading
import time
import weakref

from PySide6.QtWidgets import QWidget

from neuralos.widgets.collector import FULL_CHECK_S, collect_due, collect_on_gui_thread, freeze_long_lived


class Cycle:
    """A reference cycle that notes the thread it was destroyed on."""

    destroyed_on: list[str] = []

    def __init__(self):
        self.me = self

    def __del__(self):
        Cycle.destroyed_on.append(threading.current_thread().name)


def test_collect_due_collects_the_oldest_generation_past_its_threshold():
    old = gc.get_threshold()
    try:
        gc.collect()
        gc.set_threshold(50, 1000, 1000)
        assert collect_due() == -1                          # nothing allocated since the full collection
        ref = weakref.ref(Cycle())
        kept = [[] for _ in range(60)]                      # past generation 0's threshold
        assert isinstance(ref(), Cycle)
        assert collect_due() == 0
        assert ref() is None and gc.get_count()[0] < 50
        del kept
    finally:
        gc.set_threshold(*old)


def test_a_full_collection_waits_for_the_oldest_generation_to_grow_by_a_quarter_and_is_looked_at_rarely(monkeypatch):
    from neuralos.widgets import collector

    monkeypatch.setattr(collector._Oldest, "long_lived", 0)
    monkeypatch.setattr(collector._Oldest, "checked", float("-inf"))
    old = gc.get_threshold()
    clock = [1000.0]

    def full_due():                                         # two collections of generation 1: its count past 1
        gc.collect(1)
        gc.collect(1)

    try:
        gc.set_threshold(1, 1, 1)
        full_due()
        assert collect_due(lambda: clock[0]) == 2           # the first look: a full collection
        full_due()
        assert collect_due(lambda: clock[0]) != 2           # within FULL_CHECK_S: not even looked at
        clock[0] += FULL_CHECK_S
        full_due()
        assert collect_due(lambda: clock[0]) != 2           # looked at: grown by far less than a quarter
        kept = [[] for _ in range(len(gc.get_objects(2)) // 3)]
        full_due()                                          # ... which moves them into the oldest generation
        clock[0] += FULL_CHECK_S
        assert collect_due(lambda: clock[0]) == 2           # a third more: due
        del kept
    finally:
        gc.set_threshold(*old)


def test_a_worker_allocating_never_collects_a_widget_and_the_gui_thread_does(app):
    gc.enable()                                             # as in a process without the collector
    timer = collect_on_gui_thread(app, interval_ms=20)
    assert collect_on_gui_thread(app) is timer and not gc.isenabled()
    widget = QWidget()
    widget.cycle = widget                                   # garbage only a cycle collection frees
    Cycle.destroyed_on.clear()
    Cycle()
    ref = weakref.ref(widget)
    del widget

    def churn():
        for _ in range(5_000):                              # cycles: far past every threshold, on this thread
            junk = []
            junk.append(junk)

    worker = threading.Thread(target=churn, name="worker")
    worker.start()
    worker.join()
    assert isinstance(ref(), QWidget)
    assert Cycle.destroyed_on == []                         # the worker collected nothing
    deadline = time.monotonic() + 10
    while Cycle.destroyed_on == [] and time.monotonic() < deadline:
        app.processEvents()                                 # the timer fires here, on the GUI thread
        time.sleep(0.02)
    assert ref() is None
    assert Cycle.destroyed_on == [threading.current_thread().name]


def test_freezing_keeps_what_lives_now_out_of_later_collections(monkeypatch):
    from neuralos.widgets import collector

    monkeypatch.setattr(collector._Oldest, "frozen", False)
    monkeypatch.setattr(collector._Oldest, "long_lived", 0)
    exits = []
    monkeypatch.setattr(collector.atexit, "register", exits.append)
    garbage = weakref.ref(Cycle())                          # garbage now: collected first, not frozen
    long_lived = Cycle()
    try:
        assert freeze_long_lived()
        assert garbage() is None and gc.get_freeze_count() > 1000
        assert not any(o is long_lived for o in gc.get_objects())    # no collection walks it any more
        assert exits == [gc.unfreeze]                       # the interpreter's last collection sees them again
        later = weakref.ref(Cycle())                        # made after the freeze: collected as before
        gc.collect()
        assert later() is None
        assert not freeze_long_lived()                      # once per process
    finally:
        gc.unfreeze()
    assert any(o is long_lived for o in gc.get_objects())
