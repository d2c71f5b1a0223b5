"""Files: a read-only listing of a folder the user names, with Open (into subfolders) and Up.

It never reads outside what the user named: only folders named in intent text become roots (kept by
the planner, not in the data model, which an agent could rewrite), button actions are resolved
against the shown folder and must stay inside a root once symlinks are resolved, and entries are
listed, never opened or read.
"""
from __future__ import annotations

import os
import re
import stat
import time
from pathlib import Path

from neuralos.planners.base import Refusal
from neuralos.planners.builtin.app import App, Ctx, Intent, Part
from neuralos.planners.builtin.ui import UI, path

MAX_ENTRIES = 200
_WELL_KNOWN = ("documents", "downloads", "desktop", "pictures", "music", "videos", "movies", "public", "templates")
_FOLDER_WORDS = r"(?:folder|directory|dir)"
_LIST = re.compile(
    r"^(?:please\s+)?(?:(?:list|show(?: me)?|display|browse|open|view|see|explore|what(?:'s| is| are)|whats|which files are)"
    r"\s+)?(?:all\s+)?(?:the\s+)?(?:files?|contents?|things|stuff|items|everything)?\s*"
    r"(?:(?:in|inside|of|under|at|from)\s+)(?P<f>.+?)$")
_FOLDER = re.compile(rf"^(?:please\s+)?(?:list|show(?: me)?|display|browse|open|view|explore)\s+(?:the\s+|my\s+)?"
                     rf"{_FOLDER_WORDS}\s*:?\s*(?:(?:in|at|of)\s+)?(?P<f>.+)$")
_PATH = re.compile(r"^(?:please\s+)?(?:browse|explore|list|ls|open|show(?: me)?)\s+(?P<f>(?:~|\.{1,2})?/\S*|~|\x00\d+\x00)$")
_BROWSER = re.compile(r"\b(?:file (?:list|browser|manager|explorer)|files app|finder)\b")


def human_size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def resolve_folder(text: str, home: Path | None = None, cwd: Path | None = None) -> Path:
    """The folder a person means by `text`: "~/Documents", "/tmp", "src", "my downloads", "here"."""
    home = home or Path.home()
    cwd = cwd or Path.cwd()
    t = text.strip().strip("'\"“”‘’").strip()
    t = re.sub(rf"\s+{_FOLDER_WORDS}$", "", t, flags=re.I).strip()
    low = t.lower()
    if low in ("here", ".", "this", "current", "the current", "the working", "working", "this working"):
        return cwd
    if low in ("~", "home", "my home", "the home", "my files"):
        return home
    if t.startswith("~/") or t.startswith("~\\"):
        return home / t[2:]
    if "/" in t or "\\" in t:
        p = Path(t)
        return p if p.is_absolute() else cwd / p
    m = re.fullmatch(r"(?:my|the)\s+(.+)", low)
    name = m.group(1) if m else low
    try:
        for child in home.iterdir():
            if child.name.lower() == name and child.is_dir():
                return child
    except OSError:
        pass
    if name in _WELL_KNOWN or m:
        return home / name.capitalize()
    return cwd / t


class FilesApp(App):
    name = "files"
    title = "Files"
    about = "read-only list of a folder you name"
    examples = ("list files in ~/Documents", "what's in my downloads folder", "show the folder /tmp")
    aliases = r"file (?:list|browser|manager|explorer)|files app"

    def initial_data(self, ctx, args):
        return {"root": "", "path": "", "shown": "", "entries": [], "summary": ""}

    def components(self, ctx, sid, data):
        ui = UI()
        entry = ui.row("entry", [
            ui.icon("entry-icon", path("icon")),
            ui.text("entry-name", path("name")),
            ui.text("entry-size", path("size"), "caption"),
            ui.button("entry-open", path("openLabel"), "open_entry", {"name": path("name")}, variant="borderless"),
        ], align="center")
        ui._components["entry-name"]["weight"] = 1
        ui.column("root", [
            ui.row("header", [ui.button("up", "Up", "up", {"path": path("/path")}),
                              ui.text("shown", path("/shown"), "h4")], align="center"),
            ui.text("summary", path("/summary"), "caption"),
            ui.divider("divider"),
            ui.list("entries", entry, "/entries"),
        ])
        return ui.components

    # -- intents ----------------------------------------------------------------------------------
    def understand(self, part: Part, ctx: Ctx):
        low = part.low
        for rx in (_PATH, _FOLDER, _LIST):
            m = rx.match(low)
            if not m:
                continue
            raw = part.group(m, "f")
            if rx is _LIST and not self._plausible(raw, m.group(0)):
                continue
            return [Intent(self.name, "list", {"folder": raw})]
        if _BROWSER.search(low):
            raise Refusal("which folder? Name one, e.g. 'list files in ~/Documents' "
                          "(the file list only reads folders you name)")
        return None

    @staticmethod
    def _plausible(raw: str, whole: str) -> bool:
        """`_LIST` is loose ("what's in X"): accept paths, quoted names, and folder words."""
        if any(ch in raw for ch in "/\\~") or re.search(rf"\b{_FOLDER_WORDS}\b", whole):
            return True
        return bool(re.fullmatch(r"(?:my|the)\s+(?:%s)" % "|".join(_WELL_KNOWN), raw.lower().strip())) or \
            raw.lower().strip() in ("here", "this folder", "home", "my home folder")

    def run(self, ctx, intent):
        if intent.verb != "list":
            return self.open(ctx, intent.args)
        folder = resolve_folder(intent.args["folder"], self.planner.home)
        try:
            real = folder.resolve(strict=True)
        except (FileNotFoundError, RuntimeError, OSError):
            raise Refusal(f"there is no folder {folder}") from None
        if not real.is_dir():
            raise Refusal(f"{folder} is a file, not a folder")
        self.planner.roots.add(real)
        sid = self.open(ctx)
        data = ctx.data(sid)
        data["root"] = str(real)
        self._show(ctx, data, real)

    def _show(self, ctx: Ctx, data: dict, folder: Path) -> None:
        try:
            with os.scandir(folder) as it:
                raw = list(it)
        except PermissionError:
            raise Refusal(f"I may not read {folder} (permission denied)") from None
        except OSError as e:
            raise Refusal(f"I can't read {folder}: {e.strerror or e}") from None
        visible = [e for e in raw if not e.name.startswith(".")]
        hidden = len(raw) - len(visible)

        def info(e):
            try:
                st = e.stat(follow_symlinks=True)
                is_dir = stat.S_ISDIR(st.st_mode)
                return is_dir, st.st_size, st.st_mtime
            except OSError:
                return False, 0, 0.0

        rows = sorted(((e.name, *info(e)) for e in visible), key=lambda r: (not r[1], r[0].lower()))
        entries = [{"name": name, "kind": "folder" if is_dir else "file", "icon": "folder" if is_dir else "attachFile",
                    "size": "folder" if is_dir else human_size(size),
                    "modified": time.strftime("%Y-%m-%d %H:%M", time.localtime(mtime)) if mtime else "",
                    "openLabel": "Open" if is_dir else "Info"}
                   for name, is_dir, size, mtime in rows[:MAX_ENTRIES]]
        folders = sum(1 for r in rows if r[1])
        summary = f"{folders} folder{'s' if folders != 1 else ''}, {len(rows) - folders} file{'s' if len(rows) - folders != 1 else ''}"
        if hidden:
            summary += f", {hidden} hidden"
        if len(rows) > MAX_ENTRIES:
            summary += f" (showing the first {MAX_ENTRIES})"
        data.update(path=str(folder), shown=str(folder), entries=entries, summary=summary + " — read-only")
        ctx.reply(f"{folder}: {summary}.")

    # -- buttons ----------------------------------------------------------------------------------
    def _inside_root(self, target: Path) -> Path:
        try:
            real = target.resolve(strict=True)
        except (FileNotFoundError, RuntimeError, OSError):
            raise Refusal(f"{target} no longer exists") from None
        for root in self.planner.roots:
            if real == root or real.is_relative_to(root):
                return real
        raise Refusal("that is outside the folders you named; say 'list files in FOLDER' to open another")

    def on_action(self, ctx, sid, name, context):
        data = ctx.data(sid)
        current = Path(data.get("path") or "/")
        if name == "open_entry":
            entry = str(context.get("name", ""))
            if not entry or "/" in entry or "\\" in entry or entry in (".", ".."):
                raise Refusal(f"“{entry}” is not an entry of this folder")
            target = self._inside_root(current / entry)
            if target.is_dir():
                self._show(ctx, data, target)
            else:
                st = target.stat()
                ctx.reply(f"{entry}: {human_size(st.st_size)}, modified "
                          f"{time.strftime('%Y-%m-%d %H:%M', time.localtime(st.st_mtime))} (files are not opened here).")
        elif name == "up":
            here = self._inside_root(current)
            roots = [r for r in self.planner.roots if here == r or here.is_relative_to(r)]
            if here in roots:
                ctx.reply("This is the top of the folder you named.")
                return
            self._show(ctx, data, self._inside_root(here.parent))
        else:
            super().on_action(ctx, sid, name, context)
