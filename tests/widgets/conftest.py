"""Widget tests: one configured QApplication (bundled fonts, Fusion) and canvas/session helpers."""
import json

import pytest

from neuralos.session import Session


@pytest.fixture(scope="session")
def app():
    from neuralos.widgets.app import ensure_app
    return ensure_app()


def example_messages(path):
    return json.loads(path.read_text())["messages"]


@pytest.fixture
def make_canvas(app):
    """make_canvas(messages, size=(1024, 768), theme="light") -> (session, canvas)."""
    from neuralos.widgets.canvas import DesktopCanvas
    made = []

    def make(messages=(), size=(1024, 768), theme="light"):
        session = Session(size[0], size[1], theme)
        if messages:
            session.apply(list(messages))
        canvas = DesktopCanvas(session)
        made.append(canvas)
        return session, canvas

    yield make
    for c in made:
        c.close_canvas()
        c.hide()
        c.deleteLater()


def surface(sid, components, data=None, theme=None):
    """Messages creating one basic-catalog surface."""
    create = {"surfaceId": sid, "catalogId": "https://a2ui.org/specification/v0_9/catalogs/basic/catalog.json"}
    if theme:
        create["theme"] = theme
    msgs = [{"version": "v0.9", "createSurface": create}]
    if data is not None:
        msgs.append({"version": "v0.9", "updateDataModel": {"surfaceId": sid, "path": "/", "value": data}})
    msgs.append({"version": "v0.9", "updateComponents": {"surfaceId": sid, "components": components}})
    return msgs
