"""Slider: a QSlider over the component's min..max, with the current value shown beside it."""
from __future__ import annotations

import math

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QColor, QPainter
from PySide6.QtWidgets import QHBoxLayout, QSizePolicy, QSlider, QStyle, QStyleOptionSlider, QWidget

from neuralos.scene import Part
from neuralos.widgets.app import make_font
from neuralos.widgets.components.base import LABEL_PX, scene_box
from neuralos.widgets.components.labeled import LabeledInput
from neuralos.widgets.text import TextBox


def _fmt_number(v: float) -> str:
    if float(v).is_integer():
        return str(int(v))
    return f"{v:.2f}".rstrip("0").rstrip(".")


class SliderComp(LabeledInput):
    """Whole-number ranges step by one; others map onto TICKS steps."""

    role = "Slider"
    TICKS = 1000

    def build(self) -> None:
        self.init_label()
        row = QHBoxLayout()
        row.setSpacing(10)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setFocusPolicy(Qt.StrongFocus)
        self.slider.setMinimumWidth(120)
        self.value_box = TextBox("", make_font(LABEL_PX), wrap=False, align=Qt.AlignRight | Qt.AlignVCenter)
        self.value_space = QWidget(self)
        self.value_space.setAttribute(Qt.WA_TransparentForMouseEvents)
        row.addWidget(self.slider, 1)
        row.addWidget(self.value_space)
        self.lay.addLayout(row)
        self.finish_layout()
        self.lo, self.hi = 0.0, 1.0
        self.num = 0.0
        self.slider.valueChanged.connect(self._moved)
        self.slider.sliderPressed.connect(self.ctx.changed)
        self.slider.sliderReleased.connect(self.ctx.changed)
        self.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Fixed)

    def _range(self) -> tuple[float, float, bool]:
        lo = self.comp.get("min", 0)
        hi = self.comp.get("max", 100)
        lo = float(lo) if isinstance(lo, (int, float)) else 0.0
        hi = float(hi) if isinstance(hi, (int, float)) else 100.0
        if hi <= lo:
            hi = lo + 1
        integral = lo.is_integer() and hi.is_integer() and hi - lo <= self.TICKS and hi - lo >= 2
        return lo, hi, integral

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        self.lo, self.hi, self.integral = self._range()
        ticks = int(self.hi - self.lo) if self.integral else self.TICKS
        edit = self.local_edit()
        raw = self.value("value") if edit is None else edit
        try:
            v = float(raw)
            if math.isnan(v) or math.isinf(v):
                v = self.lo
        except (TypeError, ValueError):
            v = self.lo
        self.num = min(max(v, self.lo), self.hi)
        self.slider.blockSignals(True)
        self.slider.setRange(0, ticks)
        self.slider.setSingleStep(1)
        self.slider.setPageStep(max(1, ticks // 10))
        self.slider.setValue(int(round((self.num - self.lo) / (self.hi - self.lo) * ticks)))
        self.slider.blockSignals(False)
        self.value_box.set_text(_fmt_number(self.num))
        widest = max(self.value_box.natural_width(), TextBox(_fmt_number(self.hi), make_font(LABEL_PX)).natural_width(),
                     TextBox(_fmt_number(self.lo), make_font(LABEL_PX)).natural_width())
        self.value_space.setFixedSize(widest, self.slider.sizeHint().height())
        self.show_messages(self.check_messages())
        self.update()

    def _moved(self, tick: int) -> None:
        ticks = self.slider.maximum() or 1
        v = self.lo + (self.hi - self.lo) * tick / ticks
        self.write_value(round(v) if self.integral else round(v, 6))

    def paintEvent(self, event) -> None:
        super().paintEvent(event)
        p = QPainter(self)
        self.value_box.paint(p, self.value_space.geometry(), QColor(self.theme.text_color("muted")))
        p.end()

    def scene_info(self, origin, clip) -> dict:
        so = (origin[0] + self.slider.x(), origin[1] + self.slider.y())
        opt = QStyleOptionSlider()
        self.slider.initStyleOption(opt)
        style = self.slider.style()
        groove = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderGroove, self.slider)
        handle = style.subControlRect(QStyle.CC_Slider, opt, QStyle.SC_SliderHandle, self.slider)
        st = set()
        if self.slider.isSliderDown():
            st.add("pressed")
        if self.hovered(self.slider):
            st.add("hovered")
        if self.focused(self.slider):
            st.add("focused")
        parts = [Part("slider.groove", scene_box(groove, so))]
        filled_w = handle.center().x() - groove.x()
        if filled_w > 0:
            parts.append(Part("slider.filled", scene_box(QRect(groove.x(), groove.y(), filled_w, groove.height()), so)))
        parts.append(Part("slider.handle", scene_box(handle, so), frozenset(st)))
        runs = self.label_runs(origin, clip) + self.value_box.runs(self.value_space.geometry(), origin, clip)
        mparts, mruns = self.msg_info(origin, clip)
        frac = (self.num - self.lo) / (self.hi - self.lo)
        text = " ".join(t for t in (self.label.text, self.value_box.text, self.msg.text) if t)
        return {"text": text, "text_runs": runs + mruns, "parts": parts + mparts, "value": float(frac),
                "states": st - {"hovered"}}
