"""Text entry: TextField and DateTimeInput, each a label, one LineEditor and a failed-check message."""
from __future__ import annotations

import re
from datetime import date, datetime, time as dtime, timedelta

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSizePolicy

from neuralos.widgets.components.labeled import LabeledInput
from neuralos.widgets.editor import LineEditor


class EditorInput(LabeledInput):
    """A LabeledInput whose control is `self.editor`; a failed check also marks the editor invalid."""

    editor: LineEditor

    def shown_text(self) -> str:
        """The editor's text as the scene reports it."""
        raise NotImplementedError

    def show_messages(self, msgs: list[str]) -> None:
        super().show_messages(msgs)
        self.editor.invalid = bool(msgs)
        self.editor.update()

    def scene_info(self, origin, clip) -> dict:
        parts, runs = self.editor_parts(self.editor, origin, clip)
        mparts, mruns = self.msg_info(origin, clip)
        text = " ".join(t for t in (self.label.text, self.shown_text(), self.msg.text) if t)
        return {"text": text, "text_runs": self.label_runs(origin, clip) + runs + mruns, "parts": parts + mparts,
                "states": {"focused"} if self.focused(self.editor) else set()}


class TextFieldComp(EditorInput):
    role = "TextField"

    def build(self) -> None:
        self.init_label()
        variant = self.comp.get("variant") or "shortText"
        self.editor = LineEditor(self.ctx, multiline=variant == "longText", obscured=variant == "obscured",
                                 number=variant == "number", parent=self)
        self.lay.addWidget(self.editor)
        self.finish_layout()
        self.editor.text_edited.connect(self.write_value)
        self.editor.submitted.connect(self.ctx.changed)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def current_value(self) -> str:
        edit = self.local_edit()
        return self.text_value("value") if edit is None else edit

    def shown_text(self) -> str:
        return self.editor.display_text()     # obscured fields show bullets

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        value = self.current_value()
        self.editor.set_text(value)
        msgs = self.check_messages()
        pattern = self.comp.get("validationRegexp")
        if isinstance(pattern, str) and value:
            try:
                if re.fullmatch(pattern, value) is None:
                    msgs.append("Does not match the expected format")
            except re.error:
                pass
        self.show_messages(msgs)


def parse_iso(text: str):
    """A date, time or datetime from ISO 8601 text (also 'YYYY-MM-DD HH:MM'); None if not one."""
    if not isinstance(text, str) or not text.strip():
        return None
    t = text.strip().replace("Z", "+00:00")
    for parser in (datetime.fromisoformat, date.fromisoformat, dtime.fromisoformat):
        try:
            return parser(t)
        except ValueError:
            continue
    return None


class DateTimeComp(EditorInput):
    """Typed as text (committed on Enter or focus loss) or stepped with Up/Down; min/max enforced."""

    role = "DateTimeInput"

    def build(self) -> None:
        self.init_label()
        self.use_date = bool(self.comp.get("enableDate"))
        self.use_time = bool(self.comp.get("enableTime"))
        if not (self.use_date or self.use_time):
            self.use_date = self.use_time = True
        self.editor = LineEditor(self.ctx, parent=self)
        self.editor.placeholder = " ".join(x for x in ("YYYY-MM-DD" if self.use_date else "",
                                                        "HH:MM" if self.use_time else "") if x)
        self.editor.setFixedWidth(max(160, self.editor.sizeHint().width() - 40))
        self.lay.addWidget(self.editor)
        self.finish_layout()
        self.editor.submitted.connect(self.commit)
        self.editor.editing_finished.connect(self.commit)
        self.editor.text_edited.connect(self._typing)
        self.editor.keyPressEvent = self._editor_key(self.editor.keyPressEvent)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)

    def _editor_key(self, original):
        def handler(event):
            if event.key() in (Qt.Key_Up, Qt.Key_Down):
                self.step(1 if event.key() == Qt.Key_Up else -1)
                event.accept()
            else:
                original(event)
        return handler

    def fmt(self, v) -> str:
        if isinstance(v, datetime):
            parts = [v.strftime("%Y-%m-%d") if self.use_date else "", v.strftime("%H:%M") if self.use_time else ""]
        elif isinstance(v, date):
            parts = [v.strftime("%Y-%m-%d") if self.use_date else "", "00:00" if self.use_time else ""]
        elif isinstance(v, dtime):
            parts = ["", v.strftime("%H:%M")] if self.use_time else ["", ""]
        else:
            return ""
        return " ".join(p for p in parts if p)

    def to_iso(self, v) -> str:
        if self.use_date and self.use_time:
            return v.strftime("%Y-%m-%dT%H:%M:00")
        if self.use_date:
            return v.strftime("%Y-%m-%d")
        return v.strftime("%H:%M")

    def parse_input(self, text: str):
        t = text.strip()
        try:
            if self.use_date and self.use_time:
                return datetime.strptime(t.replace("T", " "), "%Y-%m-%d %H:%M")
            if self.use_date:
                return datetime.strptime(t, "%Y-%m-%d")
            return datetime.strptime(t, "%H:%M")
        except ValueError:
            return None

    def bounds(self):
        out = []
        for name in ("min", "max"):
            v = parse_iso(self.text_value(name)) if self.comp.get(name) is not None else None
            if isinstance(v, date) and not isinstance(v, datetime):
                v = datetime(v.year, v.month, v.day, 0 if name == "min" else 23, 0 if name == "min" else 59)
            elif isinstance(v, dtime):
                v = datetime(1900, 1, 1, v.hour, v.minute)
            out.append(v.replace(tzinfo=None) if isinstance(v, datetime) else None)
        return out

    def _compare_key(self, v: datetime) -> datetime:
        return v if self.use_date else datetime(1900, 1, 1, v.hour, v.minute)

    def error_for(self, v) -> str:
        lo, hi = self.bounds()
        if lo is not None and self._compare_key(v) < lo:
            return f"Must be at or after {self.fmt(lo)}"
        if hi is not None and self._compare_key(v) > hi:
            return f"Must be at or before {self.fmt(hi)}"
        return ""

    def _typing(self, text: str) -> None:
        self.ctx.local[(self.key, "draft")] = text
        self.ctx.local.pop((self.key, "error"), None)
        self.ctx.changed()

    def commit(self) -> None:
        draft = self.ctx.local.get((self.key, "draft"))
        if draft is None:
            return
        if not draft.strip():
            self.ctx.local.pop((self.key, "draft"), None)
            self.write_value("")
            return
        v = self.parse_input(draft)
        if v is None:
            self.ctx.local[(self.key, "error")] = f"Enter as {self.editor.placeholder}"
        elif self.error_for(v):
            self.ctx.local[(self.key, "error")] = self.error_for(v)
        else:
            self.ctx.local.pop((self.key, "draft"), None)
            self.ctx.local.pop((self.key, "error"), None)
            self.write_value(self.to_iso(v))
            return
        self.refresh()
        self.ctx.changed()

    def current(self):
        edit = self.local_edit()
        v = parse_iso(self.text_value("value") if edit is None else edit)
        if isinstance(v, datetime):
            return v.replace(tzinfo=None)
        if isinstance(v, date):
            return datetime(v.year, v.month, v.day)
        if isinstance(v, dtime):
            return datetime(1900, 1, 1, v.hour, v.minute)
        return None

    def step(self, direction: int) -> None:
        """Up/Down: change the field under the cursor (year, month, day, hour, minute) by one."""
        v = self.parse_input(self.editor.text()) or self.current() or datetime(2000, 1, 1, 0, 0)
        pos = self.editor.cursor_position()
        fields = (["year"] * 5 + ["month"] * 3 + ["day"] * 3 if self.use_date else []) + \
                 (["hour"] * 3 + ["minute"] * 3 if self.use_time else [])
        field = fields[min(pos, len(fields) - 1)] if fields else "day"
        if field == "year":
            try:
                v = v.replace(year=max(1, v.year + direction))
            except ValueError:
                v = v.replace(year=max(1, v.year + direction), day=28)
        elif field == "month":
            m = (v.month - 1 + direction) % 12 + 1
            try:
                v = v.replace(month=m)
            except ValueError:
                v = v.replace(month=m, day=28)
        elif field == "day":
            v += timedelta(days=direction)
        elif field == "hour":
            v += timedelta(hours=direction)
        else:
            v += timedelta(minutes=direction)
        if self.error_for(v):
            return
        self.ctx.local.pop((self.key, "draft"), None)
        self.ctx.local.pop((self.key, "error"), None)
        self.write_value(self.to_iso(v))
        self.editor.set_cursor_position(pos)

    def shown_text(self) -> str:
        return self.editor.text()

    def refresh(self) -> None:
        self.set_label(self.text_value("label"))
        draft = self.ctx.local.get((self.key, "draft"))
        self.editor.set_text(draft if draft is not None else self.fmt(self.current()))
        msgs = [self.ctx.local[(self.key, "error")]] if (self.key, "error") in self.ctx.local else []
        msgs += self.check_messages()
        self.show_messages(msgs)
