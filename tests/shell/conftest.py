"""Shell tests: the configured QApplication and a shown main window."""
import pytest

from neuralos.session import Session


@pytest.fixture(scope="session", autouse=True)
def shell_app():
    from shell.app import make_app
    return make_app()


@pytest.fixture
def make_window(qtbot):
    """make_window(renderer="widgets", planner="builtin", size=(800, 600)) -> a shown MainWindow."""
    from shell.window import MainWindow
    made = []

    def make(renderer="widgets", planner="builtin", size=(800, 600), session=None):
        session = session or Session(*size)
        w = MainWindow(session, renderer=renderer, planner=planner)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitExposed(w)
        qtbot.waitUntil(lambda: not w.planner.loading, timeout=20000)
        made.append(w)
        return w

    yield make
    for w in made:
        w.shutdown()
