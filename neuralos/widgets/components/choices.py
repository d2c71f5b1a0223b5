"""Choices: CheckBox and ChoicePicker (a list of check/radio options, or wrapping chips, optionally filtered)."""
from __future__ import annotations

from PySide6.QtCore import QRect, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPen
from PySide6.QtWidgets import QSizePolicy

from neuralos.a2ui.dynamic import resolve_text
from neuralos.a2ui.functions import truthy
from neuralos.marks import paint_mark
from neuralos.scene import Box, Part
from neuralos.widgets.app import BASE_PX, make_font
from neuralos.widgets.components.base import TEXT_MAX_WIDTH, Component, Validated, mix, scene_box, take_press, tint
from neuralos.widgets.components.labeled import LabeledInput
from neuralos.widgets.components.painted_items import PaintedItems
from neuralos.widgets.editor import LineEditor
from neuralos.widgets.text import TextBox, line_height


def paint_indicator(p: QPainter, r: QRect, theme, checked: bool, *, radio: bool, hovered=False, pressed=False,
                    focused=False, enabled=True, invalid=False) -> None:
    """A check box (tick when checked) or radio button (dot when checked) in `r`."""
    p.save()
    p.setRenderHint(QPainter.Antialiasing, True)
    rf = QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5)
    primary = theme.primary if enabled else theme.border
    if checked:
        p.setPen(QPen(QColor(primary), 1))
        p.setBrush(mix(primary, "#000000", 0.15) if pressed else QColor(primary))
    else:
        edge = theme.error if invalid else theme.primary if (hovered or focused) and enabled else theme.border
        p.setPen(QPen(QColor(edge), 1.5 if (hovered or focused or invalid) else 1))
        p.setBrush(mix(theme.base, theme.foreground, 0.12) if pressed else QColor(theme.base))
    if radio:
        p.drawEllipse(rf)
    else:
        p.drawRoundedRect(rf, 3, 3)
    if checked:
        paint_mark(p, "dot" if radio else "tick", Box(r.x(), r.y(), r.width(), r.height()), QColor(theme.on_primary))
    if focused and enabled:
        p.setPen(QPen(mix(theme.background, theme.primary, 0.5), 2))
        p.setBrush(Qt.NoBrush)
        if radio:
            p.drawEllipse(rf.adjusted(-2.5, -2.5, 2.5, 2.5))
        else:
            p.drawRoundedRect(rf.adjusted(-2.5, -2.5, 2.5, 2.5), 4, 4)
    p.restore()


class CheckBoxComp(Component, Validated):
    role = "CheckBox"
    interactive = True
    IND = 18

    def build(self) -> None:
        self.box = TextBox("", make_font(BASE_PX), wrap=True)
        self.init_validation()
        self.down = False
        self.checked = False
        self.setFocusPolicy(Qt.StrongFocus)
        sp = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    def refresh(self) -> None:
        changed = self.box.set_text(self.text_value("label"))
        edit = self.local_edit()
        self.checked = bool(truthy(self.value("value"))) if edit is None else edit
        msgs = self.check_messages()
        changed |= self.msg.set_text(msgs[0] if msgs else "")
        if changed:
            self.updateGeometry()
        self.update()

    def text_x(self) -> int:
        return self.IND + 8

    def sizeHint(self) -> QSize:
        w = self.text_x() + min(self.box.natural_width(), TEXT_MAX_WIDTH)
        return QSize(w, self.heightForWidth(w))

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        tw = max(1, w - self.text_x())
        return max(self.IND + 4, self.box.height_for_width(tw)) + self.msg_height(tw)

    def label_rect(self) -> QRect:
        tw = max(1, self.width() - self.text_x())
        h = max(self.IND + 4, self.box.height_for_width(tw))
        lh = self.box.line_height
        top = (self.IND + 4 - lh) // 2 if self.box.height_for_width(tw) <= lh else 0
        return QRect(self.text_x(), max(0, top), tw, h)

    def indicator_rect(self) -> QRect:
        return QRect(1, 2, self.IND, self.IND)

    def msg_rect(self) -> QRect:
        tw = max(1, self.width() - self.text_x())
        top = max(self.IND + 4, self.box.height_for_width(tw))
        return QRect(self.text_x(), top, tw, self.height() - top)

    def paintEvent(self, event) -> None:
        p = QPainter(self)
        paint_indicator(p, self.indicator_rect(), self.theme, self.checked, radio=False,
                        hovered=self.hovered(), pressed=self.down, focused=self.focused(),
                        enabled=self.isEnabled(), invalid=bool(self.msg.text))
        self.box.paint(p, self.label_rect(), self.ink())
        if self.msg.text:
            self.msg.paint(p, self.msg_rect(), QColor(self.theme.text_color("error")))
        p.end()

    def mousePressEvent(self, event) -> None:
        if event.button() == Qt.LeftButton:
            self.down = True
            take_press(self, self.ctx)
        event.accept()

    def mouseReleaseEvent(self, event) -> None:
        was, self.down = self.down, False
        if was and self.rect().contains(event.position().toPoint()):
            self.toggle()
        self.update()
        self.ctx.changed()
        event.accept()

    def keyPressEvent(self, event) -> None:
        if event.key() == Qt.Key_Space:
            self.toggle()
            event.accept()
        else:
            event.ignore()

    def toggle(self) -> None:
        self.write_value(not self.checked)

    def states(self) -> set[str]:
        s = super().states()
        if self.checked:
            s.add("checked")
        if self.hovered():
            s.add("hovered")
        if self.down:
            s.add("pressed")
        if self.focused():
            s.add("focused")
        if self.msg.text:
            s.add("invalid")
        return s

    def scene_info(self, origin, clip) -> dict:
        st = frozenset(s for s in self.states() if s in ("checked", "hovered", "pressed", "focused"))
        parts = [Part("check.indicator", scene_box(self.indicator_rect(), origin), st)]
        runs = self.box.runs(self.label_rect(), origin, clip)
        if self.msg.text:
            parts.append(Part("validation.error", scene_box(self.msg_rect(), origin)))
            runs += self.msg.runs(self.msg_rect(), origin, clip)
        return {"text": " ".join(t for t in (self.box.text, self.msg.text) if t), "text_runs": runs, "parts": parts}


class OptionsView(PaintedItems):
    """ChoicePicker options: a vertical list with check/radio indicators, or wrapping chips."""

    ROW_PAD = 6
    IND = 16
    CHIP_PAD_X, CHIP_PAD_Y, CHIP_GAP = 12, 5, 6

    def __init__(self, owner: "ChoicePickerComp"):
        super().__init__(owner)
        self.font_ = make_font(BASE_PX)
        self.boxes: list[TextBox] = []
        self.values: list[str] = []
        self.current = 0            # the option the keyboard is on
        sp = QSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        sp.setHeightForWidth(True)
        self.setSizePolicy(sp)

    @property
    def chips(self) -> bool:
        return self.owner.chips

    def set_options(self, options: list[tuple[str, str]]) -> None:
        if [(b.text, v) for b, v in zip(self.boxes, self.values)] == options and len(options) == len(self.boxes):
            return
        self.boxes = [TextBox(label, self.font_, wrap=not self.chips, align=Qt.AlignLeft | Qt.AlignVCenter)
                      for label, _v in options]
        self.values = [v for _l, v in options]
        self.current = min(self.current, max(0, len(options) - 1))
        self.updateGeometry()
        self.update()

    def rects(self, width: int) -> list[QRect]:
        out = []
        lh = line_height(self.font_)
        if self.chips:
            x = y = 0
            h = lh + 2 * self.CHIP_PAD_Y
            for b in self.boxes:
                w = b.natural_width() + 2 * self.CHIP_PAD_X
                if x and x + w > width:
                    x, y = 0, y + h + self.CHIP_GAP
                out.append(QRect(x, y, min(w, max(1, width)), h))
                x += w + self.CHIP_GAP
        else:
            y = 0
            tw = max(1, width - self.IND - 16)
            for b in self.boxes:
                h = max(self.IND, b.height_for_width(tw)) + 2 * self.ROW_PAD
                out.append(QRect(0, y, width, h))
                y += h
        return out

    def hasHeightForWidth(self) -> bool:
        return True

    def heightForWidth(self, w: int) -> int:
        rs = self.rects(w)
        return rs[-1].bottom() + 1 if rs else 0

    def sizeHint(self) -> QSize:
        if self.chips:
            w = min(480, sum(b.natural_width() + 2 * self.CHIP_PAD_X + self.CHIP_GAP for b in self.boxes))
        else:
            w = self.IND + 16 + min(TEXT_MAX_WIDTH, max((b.natural_width() for b in self.boxes), default=0))
        return QSize(max(w, 40), self.heightForWidth(max(w, 40)))

    def minimumSizeHint(self) -> QSize:
        return QSize(80, self.heightForWidth(80) if not self.chips else 0)

    def indicator_rect(self, r: QRect) -> QRect:
        return QRect(r.x() + 4, r.y() + self.ROW_PAD + (line_height(self.font_) - self.IND) // 2,
                     self.IND, self.IND)

    def label_rect(self, r: QRect) -> QRect:
        if self.chips:
            return QRect(r.x() + self.CHIP_PAD_X, r.y(), r.width() - 2 * self.CHIP_PAD_X, r.height())
        return QRect(r.x() + self.IND + 12, r.y() + self.ROW_PAD, r.width() - self.IND - 16,
                     r.height() - 2 * self.ROW_PAD)

    def visible_indexes(self) -> list[int]:
        return self.owner.visible_indexes()

    def item_rects(self) -> list[tuple[int, QRect]]:
        """The options the filter lets through, laid out as if the others were not there."""
        idx = self.visible_indexes()
        saved = self.boxes
        self.boxes = [saved[i] for i in idx]
        try:
            rs = self.rects(self.width())
        finally:
            self.boxes = saved
        return list(zip(idx, rs))

    def activate(self, i: int) -> None:
        self.owner.toggle(i)

    def paintEvent(self, event) -> None:
        theme = self.owner.theme
        p = QPainter(self)
        p.setRenderHint(QPainter.Antialiasing, True)
        selected = self.owner.selected
        focused = self.owner.focused(self)
        for i, r in self.item_rects():
            on = self.values[i] in selected
            hovered = self.is_hovered(i)
            pressed = i == self.pressed
            if self.chips:
                rf = QRectF(r).adjusted(0.5, 0.5, -0.5, -0.5)
                fill = mix(theme.background, theme.primary, 0.18) if on else QColor(theme.button)
                if hovered or pressed:
                    fill = mix(fill.name(), theme.foreground, 0.12 if pressed else 0.06)
                p.setPen(QPen(QColor(theme.primary if on else theme.border), 1))
                p.setBrush(fill)
                p.drawRoundedRect(rf, r.height() / 2, r.height() / 2)
                if focused and i == self.current:
                    p.setPen(QPen(QColor(theme.primary), 2))
                    p.setBrush(Qt.NoBrush)
                    p.drawRoundedRect(rf.adjusted(1, 1, -1, -1), r.height() / 2, r.height() / 2)
                self.boxes[i].paint(p, self.label_rect(r), QColor(theme.text_color("foreground")))
            else:
                if hovered or pressed:
                    tint(p, r, theme.foreground, 0.1 if pressed else 0.05)
                paint_indicator(p, self.indicator_rect(r), theme, on, radio=not self.owner.multiple,
                                hovered=hovered, pressed=pressed, focused=focused and i == self.current)
                self.boxes[i].paint(p, self.label_rect(r), QColor(theme.text_color("foreground")))
        p.end()

    def mousePressEvent(self, event) -> None:
        super().mousePressEvent(event)
        if self.pressed is not None:
            self.current = self.pressed

    def keyPressEvent(self, event) -> None:
        idx = self.visible_indexes()
        if not idx:
            event.ignore()
            return
        pos = idx.index(self.current) if self.current in idx else 0
        if event.key() in (Qt.Key_Up, Qt.Key_Left):
            self.current = idx[max(0, pos - 1)]
        elif event.key() in (Qt.Key_Down, Qt.Key_Right):
            self.current = idx[min(len(idx) - 1, pos + 1)]
        elif event.key() in (Qt.Key_Space, Qt.Key_Return, Qt.Key_Enter):
            self.owner.toggle(self.current)
        else:
            event.ignore()
            return
        self.update()
        self.owner.ctx.changed()
        event.accept()


class ChoicePickerComp(LabeledInput):
    role = "ChoicePicker"

    def build(self) -> None:
        self.init_label()
        self.multiple = self.comp.get("variant") == "multipleSelection"
        self.chips = self.comp.get("displayStyle") == "chips"
        self.selected: list[str] = []
        self.filter = None
        if self.comp.get("filterable") is True:
            self.filter = LineEditor(self.ctx, parent=self)
            self.filter.placeholder = "Filter"
            self.filter.text_edited.connect(self._filtered)
            self.lay.addWidget(self.filter)
        self.view = OptionsView(self)
        self.lay.addWidget(self.view)
        self.finish_layout()
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Preferred)

    def _filtered(self, text: str) -> None:
        self.ctx.local[(self.key, "filter")] = text
        self.view.updateGeometry()
        self.view.update()
        self.ctx.changed()

    def visible_indexes(self) -> list[int]:
        q = (self.filter.text() if self.filter is not None else "").casefold()
        return [i for i, b in enumerate(self.view.boxes) if q in b.text.casefold()]

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        opts = []
        for o in self.comp.get("options") or ():
            if isinstance(o, dict):
                opts.append((resolve_text(self.surface, o.get("label"), self.scope), str(o.get("value", ""))))
        self.view.set_options(opts)
        if self.filter is not None:
            self.filter.set_text(self.ctx.local.get((self.key, "filter"), ""))
        edit = self.local_edit()
        value = self.value("value") if edit is None else edit
        if isinstance(value, str):
            value = [value]
        self.selected = [str(v) for v in value] if isinstance(value, list) else []
        self.show_messages(self.check_messages())
        self.view.update()
        self.update()

    def toggle(self, i: int) -> None:
        v = self.view.values[i]
        if self.multiple:
            self.write_value([x for x in self.selected if x != v] if v in self.selected else self.selected + [v])
        else:
            self.write_value([v])

    def scene_info(self, origin, clip) -> dict:
        vo = (origin[0] + self.view.x(), origin[1] + self.view.y())
        parts, runs = [], self.label_runs(origin, clip)
        if self.filter is not None:
            fparts, fruns = self.editor_parts(self.filter, origin, clip)
            parts += fparts
            runs += fruns
        focused = self.focused(self.view)
        shown = []
        for i, r in self.view.item_rects():
            st = self.view.item_states(i)
            if self.view.values[i] in self.selected:
                st |= {"checked", "selected"}
            if focused and i == self.view.current:
                st.add("focused")
            st = frozenset(st)
            if self.chips:
                parts.append(Part("chip.selected" if "selected" in st else "chip", scene_box(r, vo), st))
            else:
                parts.append(Part("list.item", scene_box(r, vo), st))
                parts.append(Part("check.indicator" if self.multiple else "radio.indicator",
                                  scene_box(self.view.indicator_rect(r), vo), st))
            runs += self.view.boxes[i].runs(self.view.label_rect(r), vo, clip)
            shown.append(self.view.boxes[i].text)
        mparts, mruns = self.msg_info(origin, clip)
        text = " ".join(t for t in [self.label.text, *shown, self.msg.text] if t)
        return {"text": text, "text_runs": runs + mruns, "parts": parts + mparts,
                "states": {"focused"} if focused or (self.filter is not None and self.focused(self.filter)) else set()}
