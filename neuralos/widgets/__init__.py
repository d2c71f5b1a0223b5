"""Qt view layer: the widget renderer (18 basic-catalog components), the desktop canvas, scene
extraction and input routing. `render_messages` is the one-shot entry point for data pipelines."""
from __future__ import annotations


def render_messages(messages: list[dict], size: tuple[int, int] = (1024, 768), theme: str = "light"):
    """Apply A2UI messages to a fresh session, lay out, and grab: (frame (H, W, 3) uint8 RGB, Scene).

    Raises `neuralos.a2ui.processor.Rejected` (a BadInput) when the messages are invalid.
    """
    from neuralos.session import Session
    from neuralos.widgets.app import ensure_app
    from neuralos.widgets.canvas import DesktopCanvas

    ensure_app()
    w, h = size
    session = Session(w, h, theme)
    session.apply(messages)
    canvas = DesktopCanvas(session)
    try:
        scene = canvas.scene()
        frame = canvas.grab_frame()
    finally:
        canvas.close_canvas()
        canvas.hide()
        canvas.deleteLater()
    return frame, scene


__all__ = ["render_messages"]
