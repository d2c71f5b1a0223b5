"""The Qt adapter delivers model changes as a signal on the GUI thread."""
import shutil
import threading

from neuralos.plugins.qtwatch import QtModelWatcher


def test_changed_signal_on_gui_thread(qtbot, models_dir, built):
    watcher = QtModelWatcher(interval=0.2, packages=False)
    received = []
    watcher.changed.connect(lambda models: received.append((threading.current_thread(), models)))
    watcher.start()
    try:
        assert received and received[0][1] == []
        shutil.copytree(built("planner"), models_dir / "llm")
        qtbot.waitUntil(lambda: any(m and m[0].name == "llm" for _, m in received), timeout=3000)
        assert all(t is threading.main_thread() for t, _ in received)
        assert watcher.models[0].ok
        (models_dir / "llm" / "tokenizer.json").unlink()
        assert watcher.rescan() or received[-1][1][0].status == "broken"
        qtbot.waitUntil(lambda: received[-1][1][0].status == "broken", timeout=3000)
        assert "no tokenizer" in received[-1][1][0].reason
    finally:
        watcher.stop()
