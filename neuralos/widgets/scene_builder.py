"""Scene extraction: every visible component and piece of window chrome as a `SceneNode`.

Nodes are in paint order (desktop, then windows bottom first; in a window: chrome, then components
depth-first in stacking order, an open modal last). Boxes and clips are canvas pixels; text runs come
from the same layout objects that painted the text.
"""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QWidget

from neuralos.scene import Box, Part, Scene, SceneNode
from neuralos.widgets.components import ChromeButton, Component, ModalOverlay, scrollbar_parts


def _canvas_box(w: QWidget, canvas: QWidget) -> Box:
    p = w.mapTo(canvas, QPoint(0, 0))
    return Box(p.x(), p.y(), w.width(), w.height())


def _clip(a: Box | None, b: Box | None) -> Box | None:
    return a.intersect(b) if a is not None and b is not None else None


def build_scene(canvas) -> Scene:
    session = canvas.session
    full = Box(0, 0, canvas.width(), canvas.height())
    primaries = {sid: ctx.theme.primary for sid, ctx in canvas.contexts.items()}
    scene = Scene(full.w, full.h, canvas.base_theme.scene_dict(primaries))
    nodes = scene.nodes
    nodes.append(SceneNode(key="@desktop", surface="", component_id="desktop", role="desktop", box=full, clip=full))
    for sid in session.windows.order:
        win = session.windows.get(sid)
        frame = canvas.frames.get(sid)
        if win is None or win.minimized or frame is None or frame.isHidden():
            continue
        _window_nodes(canvas, frame, sid, full, nodes)
    return scene


def _chrome_states(btn: ChromeButton) -> frozenset:
    return frozenset(btn.states())


def _window_nodes(canvas, frame, sid: str, full: Box, nodes: list) -> None:
    fbox = _canvas_box(frame, canvas)
    fclip = fbox.intersect(full)
    tb = frame.title_bar
    tbox = _canvas_box(tb, canvas)
    cbox, mbox = _canvas_box(frame.close_btn, canvas), _canvas_box(frame.min_btn, canvas)
    active = frame.active
    wstates = frozenset({"focused"} if active else ())
    body_scroll = scrollbar_parts(frame.scroll, frame, (fbox.x, fbox.y))
    nodes.append(SceneNode(
        key=f"{sid}/@window", surface=sid, component_id="window", role="window", box=fbox, clip=fclip,
        states=wstates, interactive=True, window=sid,
        parts=(Part("window.title", tbox, wstates), Part("window.minimize", mbox, _chrome_states(frame.min_btn)),
               Part("window.close", cbox, _chrome_states(frame.close_btn)), *body_scroll)))
    tr = tb.text_rect()
    torigin = (tbox.x, tbox.y)
    nodes.append(SceneNode(
        key=f"{sid}/@title", surface=sid, component_id="title", role="window.title", box=tbox,
        clip=_clip(tbox, fclip), states=wstates, text=frame.title,
        text_runs=tuple(tb.box.runs(tr, torigin, _clip(tbox, fclip))), interactive=True, window=sid))
    for name, btn, box in (("minimize", frame.min_btn, mbox), ("close", frame.close_btn, cbox)):
        nodes.append(SceneNode(
            key=f"{sid}/@{name}", surface=sid, component_id=name, role=f"window.{name}", box=box,
            clip=_clip(box, fclip), states=_chrome_states(btn),
            text_runs=tuple(btn.box.runs(btn.rect(), (box.x, box.y), _clip(box, fclip))), interactive=True,
            window=sid))
    content_clip = _clip(_canvas_box(frame.scroll.viewport(), canvas), fclip)
    _walk(canvas, frame.scroll.viewport(), content_clip, sid, nodes)
    overlay = frame.overlay()
    if overlay is not None:
        _overlay_nodes(canvas, overlay, _clip(_canvas_box(frame.content, canvas), fclip), sid, nodes)


def _walk(canvas, widget: QWidget, clip: Box | None, sid: str, nodes: list) -> None:
    for child in widget.children():
        if not isinstance(child, QWidget) or child.isHidden() or isinstance(child, ModalOverlay):
            continue
        box = _canvas_box(child, canvas)
        cclip = _clip(box, clip)
        if isinstance(child, Component):
            nodes.append(_component_node(canvas, child, box, clip, sid))
        _walk(canvas, child, cclip, sid, nodes)


def _component_node(canvas, w: Component, box: Box, parent_clip: Box | None, sid: str) -> SceneNode:
    clip = _clip(box, parent_clip)
    info = w.scene_info((box.x, box.y), clip)
    if info.get("box") is not None:
        box = info["box"]
        clip = _clip(box, parent_clip)
    states = set(w.states()) | set(info.get("states", ()))
    return SceneNode(
        key=w.key, surface=sid, component_id=w.cid, role=w.role, box=box, clip=clip,
        states=frozenset(states), text_runs=tuple(info.get("text_runs", ())),
        parts=tuple(info.get("parts", ())), text=info.get("text", ""), value=info.get("value"),
        interactive=w.interactive, window=sid, paths=tuple(info.get("paths", ())))


def _overlay_nodes(canvas, overlay: ModalOverlay, clip: Box | None, sid: str, nodes: list) -> None:
    obox = _canvas_box(overlay, canvas)
    oclip = _clip(obox, clip)
    pbox = _canvas_box(overlay.panel, canvas)
    cb = overlay.close_btn
    cbox = _canvas_box(cb, canvas)
    modal = overlay.modal
    nodes.append(SceneNode(
        key=overlay.key, surface=sid, component_id=modal.cid, role="Modal", box=obox, clip=oclip,
        states=frozenset({"selected"}), interactive=True, window=sid,
        parts=(Part("modal.scrim", obox), Part("window", pbox), Part("window.close", cbox, frozenset(cb.states()))),
        text_runs=tuple(cb.box.runs(cb.rect(), (cbox.x, cbox.y), _clip(cbox, oclip)))))
    _walk(canvas, overlay.panel, _clip(pbox, oclip), sid, nodes)


__all__ = ["build_scene"]
