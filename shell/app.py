"""Starting the shell: application identity, single instance, journal restore, window, inputs, quit.

`run(options)` is `neuralos shell`. In order:
1. the QApplication, named for the desktop (`APP_NAME`, desktop file `APP_ID`, icon);
2. the single-instance guard: a shell already running for this user and data folder gets this
   launch's request (files to open, theme, renderer, planner; stdin lines relayed) and this launch
   exits 0;
3. the journal: `--fresh` sets the old desktop aside as a backup, otherwise it is restored;
4. the main window, then the journal follows the session (every change fsync'ed);
5. `--open` files, A2UI on stdin (when it is not a terminal), a `--script` played in the window;
6. on quit (window closed, Ctrl+C, SIGTERM) the planner stops and the journal is compacted.
"""
from __future__ import annotations

import os
import signal
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from neuralos.errors import BadInput, NeuralosError
from shell import APP_ID, APP_NAME, DISPLAY_NAME, ORG_DOMAIN, ORG_NAME

DEFAULT_SIZE = (1024, 768)


@dataclass
class ShellOptions:
    renderer: str = "auto"
    planner: str = "builtin"
    size: tuple[int, int] = DEFAULT_SIZE
    open: list[str] = field(default_factory=list)
    fresh: bool = False
    script: str | None = None
    theme: str | None = None
    journal_dir: str | None = None      # default: <user data dir>/desktop
    stdin: bool | None = None           # None: read A2UI from stdin when it is not a terminal
    instance_name: str | None = None    # default: derived from the user and the journal folder


def _has_display() -> bool:
    if sys.platform.startswith("linux") or "bsd" in sys.platform:
        return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    return True


def make_app():
    """The QApplication with the shell's identity (WM_CLASS `neuralos`, desktop file `APP_ID`)."""
    from PySide6.QtWidgets import QApplication

    from neuralos.widgets.app import ensure_app

    QApplication.setApplicationName(APP_NAME)
    QApplication.setApplicationDisplayName(DISPLAY_NAME)
    QApplication.setOrganizationName(ORG_NAME)
    QApplication.setOrganizationDomain(ORG_DOMAIN)
    QApplication.setDesktopFileName(APP_ID)
    if QApplication.instance() is None:
        if not _has_display() and not os.environ.get("QT_QPA_PLATFORM"):
            os.environ["QT_QPA_PLATFORM"] = "offscreen"
        QApplication([APP_NAME])           # argv[0] names the X11 instance (WM_CLASS res_name)
    app = ensure_app()
    from shell.window import app_icon

    app.setWindowIcon(app_icon())
    return app


def _request(options: ShellOptions, explicit: set[str]) -> dict:
    """What a second launch asks the running shell to do."""
    req: dict = {"activate": True, "open": [str(Path(p).absolute()) for p in options.open]}
    for key in ("theme", "renderer", "planner"):
        if key in explicit and getattr(options, key):
            req[key] = getattr(options, key)
    return req


def _quit_on_signals(app) -> Callable[[], None]:
    """SIGINT/SIGTERM end the event loop normally (so the journal is flushed), not the process.
    Returns a function that puts the previous handlers back."""
    from PySide6.QtCore import QSocketNotifier
    from shiboken6 import Shiboken

    try:
        rfd, wfd = os.pipe()
        os.set_blocking(rfd, False)
        os.set_blocking(wfd, False)
        old_fd = signal.set_wakeup_fd(wfd)
    except (AttributeError, OSError, ValueError):   # not the main thread, or no pipes (Windows)
        return lambda: None
    notifier = QSocketNotifier(rfd, QSocketNotifier.Read)

    def drain():
        try:
            os.read(rfd, 512)
        except OSError:
            pass

    notifier.activated.connect(drain)
    def on_signal(*_):
        app.setProperty("neuralos_quit_requested", True)   # before the loop runs, quit() does nothing
        app.quit()

    old = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}

    def restore():
        for sig, handler in old.items():
            signal.signal(sig, handler)
        signal.set_wakeup_fd(old_fd)
        notifier.setEnabled(False)
        Shiboken.delete(notifier)          # now, before its fd closes: a later socket may reuse the number
        os.close(rfd)
        os.close(wfd)

    return restore


def run(options: ShellOptions, explicit: set[str] = frozenset(),
        on_window: Callable[[object], None] | None = None) -> int:
    """Run the shell until it quits; returns the exit code. `explicit` names options the user gave
    (only those are forwarded to a running shell). `on_window(window)` is called once it is shown."""
    from PySide6.QtCore import QCoreApplication, QEvent, QTimer

    from neuralos.journal import Journal, JournalBusy
    from neuralos.widgets.collector import collect_on_gui_thread
    from shell import single
    from shell.agent import stdin_is_agent

    script = None
    if options.script:
        from neuralos.playback import script as playback_script
        script = playback_script.load(options.script)        # a bad script is exit 2, before any window

    app = make_app()
    journal = Journal(options.journal_dir)
    guard = single.SingleInstance(options.instance_name or single.server_name(str(journal.dir.resolve())))
    read_stdin = stdin_is_agent() if options.stdin is None else options.stdin
    claimed = guard.claim(_request(options, explicit))
    if isinstance(claimed, single.Client):
        print("neuralos: handed over to the running shell", file=sys.stderr)
        if read_stdin:
            single.relay_lines(claimed, (b.decode("utf-8", "replace") for b in sys.stdin.buffer),
                                          lambda text: print(text, file=sys.stderr, flush=True))
        claimed.close()
        return 0                           # rejected lines were reported on stderr, as the shell does
    if claimed is False:
        raise NeuralosError(guard.error)

    restore_signals = _quit_on_signals(app)
    collect_on_gui_thread(app)            # workers must not destroy widgets (neuralos/widgets/collector.py)
    window = None
    try:
        try:
            if options.fresh:
                backup = journal.set_aside()
                if backup is not None:
                    print(f"neuralos: starting empty; the previous desktop is kept in {backup}", file=sys.stderr)
            state = journal.load()
        except JournalBusy as e:
            raise NeuralosError(str(e)) from None
        for warning in journal.warnings:
            print(f"neuralos: journal: {warning}", file=sys.stderr)
        window = _open_window(options, state, journal, guard, script, read_stdin, on_window)
        if app.property("neuralos_quit_requested"):
            QTimer.singleShot(0, app.quit)
        return int(app.exec())
    finally:
        # Closing the window posts a second Quit (its own quit() and quit-on-last-window); left queued,
        # a later processEvents() in this process would run it outside any loop and make every nested
        # event loop (dialogs, waits) return at once.
        QCoreApplication.removePostedEvents(app, QEvent.Quit)
        restore_signals()
        if window is not None:
            window.shutdown()
        journal.close()                    # the final compaction: the snapshot holds everything
        guard.close()


def _open_window(options: ShellOptions, state: dict | None, journal, guard, script, read_stdin: bool,
                 on_window: Callable[[object], None] | None):
    """The main window on the restored session, journaled, listening to a second launch and stdin."""
    from PySide6.QtCore import QTimer

    from neuralos.session import Session
    from shell.agent import StdinAgent, apply_line
    from shell.window import MainWindow

    w, h = options.size
    session = Session(w, h, "light")
    if state is not None:
        session.restore(state)
        session.windows.resize_canvas(w, h)
    window = MainWindow(session, renderer=options.renderer, planner=options.planner)
    journal.attach(session)                # after the canvas: it opens windows in its own listener
    journal.on_error = lambda e: window.report_error("The desktop journal cannot be written",
                                                     f"{e}. Changes from now on may be lost.")
    if options.theme and options.theme != session.theme:
        session.set_theme(options.theme)
    if state is not None:
        window.status.show_message(f"Restored the desktop: {len(session.surfaces)} window(s).")

    def handle(request: dict, reply) -> None:
        if "a2ui" in request:
            error = apply_line(session, str(request["a2ui"]), "<relay>")
            reply({"error": error} if error else {"ok": True})
            return
        window.bring_to_front()
        if request.get("theme"):
            window.set_theme(request["theme"])
        if request.get("renderer"):
            window.set_renderer(request["renderer"])
        if request.get("planner"):
            window.set_planner(request["planner"])
        opened = [window.open_file(p) for p in request.get("open", [])]
        reply({"ok": True, "opened": sum(opened)})

    guard.request_received.connect(handle)

    window.watch_models()

    if read_stdin:
        agent = StdinAgent(session, parent=window)
        agent.rejected.connect(lambda n, err: window.status.show_message(
            f"Agent line {n} rejected: {err['error']['message']}", error=True))
        agent.applied.connect(lambda n: window.status.show_message(f"Agent line {n} applied."))
        agent.start()

    def after_show() -> None:
        for path in options.open:
            if not window.open_file(path):
                print(f"neuralos: {window.status.message.text()}", file=sys.stderr)
        if script is not None:
            _play(window, script)
        if on_window is not None:
            on_window(window)

    window.show()
    QTimer.singleShot(0, after_show)
    return window


def _play(window, script) -> None:
    """Play a script in the visible shell, one step per event-loop turn; progress in the status line."""
    from neuralos.playback.runner import PlaybackRunner

    try:
        runner = PlaybackRunner(script, None, canvas=window.canvas, realtime=True)
    except BadInput as e:
        window.report_error("Could not play the script", str(e))
        return
    window.playback = runner
    total = len(script.steps)

    def on_step(res) -> None:
        window.status.show_message(f"Script step {res.index + 1}/{total} ({res.kind}): "
                                   + ("ok" if res.ok else res.error), error=not res.ok)

    def on_finished(result) -> None:
        if result.ok:
            window.status.show_message(f"Script finished: {total} step(s) passed.")
        else:
            window.report_error("Script failed", result.failure or "a step failed")

    runner.play_async(on_step=on_step, on_finished=on_finished)
