"""Recording playback: frames on a deterministic clock -> H.264 `video.mp4`, PNGs, an optional GIF.

The video's timeline is a fixed-rate clock (`fps` ticks per second), not wall time: each frame the
runner paints is shown for a whole number of ticks, and ticks where the screen did not change repeat
the last frame. The same script, seed and renderer therefore give the same video, frame for frame.

The mp4 is written as it goes (fragmented MP4, a fragment per second), so a run that stops early or
is killed still leaves a playable file up to that point; a run that ends normally (passing or with a
failed expectation) has it re-muxed into a regular MP4 (no re-encoding) whose header carries the
frame count and duration.
"""
from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import numpy as np

DEFAULT_FPS = 30
GIF_MAX_WIDTH = 640
GIF_FPS = 15

# A 12x19 arrow pointer drawn over video/GIF frames (never over PNGs): '#' outline, '.' fill.
_ARROW = """\
#
##
#.#
#..#
#...#
#....#
#.....#
#......#
#.......#
#........#
#.........#
#..........#
#......#####
#...#..#
#..##..#
#.#  #..#
##   #..#
#     #..#
       ##"""


def _arrow_masks() -> tuple[np.ndarray, np.ndarray]:
    rows = _ARROW.splitlines()
    w = max(len(r) for r in rows)
    outline = np.zeros((len(rows), w), bool)
    fill = np.zeros((len(rows), w), bool)
    for y, row in enumerate(rows):
        for x, ch in enumerate(row):
            outline[y, x] = ch == "#"
            fill[y, x] = ch == "."
    return outline, fill


_OUTLINE, _FILL = _arrow_masks()


def draw_pointer(frame: np.ndarray, x: float, y: float, pressed: bool = False) -> np.ndarray:
    """A copy of `frame` with the mouse pointer drawn at (x, y) (its tip); filled dark while pressed."""
    out = frame.copy()
    h, w = out.shape[:2]
    x0, y0 = int(round(x)), int(round(y))
    mh, mw = _OUTLINE.shape
    xs, ys = max(0, x0), max(0, y0)
    xe, ye = min(w, x0 + mw), min(h, y0 + mh)
    if xs >= xe or ys >= ye:
        return out
    region = out[ys:ye, xs:xe]
    sub = (slice(ys - y0, ye - y0), slice(xs - x0, xe - x0))
    region[_OUTLINE[sub]] = (255, 255, 255) if pressed else (0, 0, 0)
    region[_FILL[sub]] = (40, 40, 40) if pressed else (255, 255, 255)
    return out


def save_png(path: str | Path, frame: np.ndarray) -> Path:
    """Write an RGB uint8 frame as PNG (atomically: a reader never sees half a file)."""
    from PIL import Image

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    Image.fromarray(_rgb(frame)).save(tmp, format="PNG")
    os.replace(tmp, path)
    return path


def _rgb(frame: np.ndarray) -> np.ndarray:
    frame = np.asarray(frame)
    if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] not in (3, 4):
        raise ValueError(f"a frame must be uint8 HxWx3, not {frame.dtype} {frame.shape}")
    return np.ascontiguousarray(frame[:, :, :3])


class VideoWriter:
    """Constant-frame-rate H.264 (yuv420p) MP4, written incrementally with PyAV.

    Odd sizes are padded to even (edge pixels repeated), as yuv420p needs. `write(frame, count)` shows
    a frame for `count` ticks; repeats reuse the converted frame, so holding a still screen is cheap.
    """

    def __init__(self, path: str | Path, width: int, height: int, fps: int = DEFAULT_FPS, crf: int = 18):
        import av

        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.width, self.height, self.fps = width, height, fps
        self.even_w, self.even_h = width + width % 2, height + height % 2
        self.frames = 0
        self._last_array: np.ndarray | None = None
        self._last_frame = None
        self._container = av.open(str(self.path), "w", format="mp4",
                                  options={"movflags": "frag_keyframe+empty_moov+default_base_moof",
                                           "flush_packets": "1"})
        self._stream = self._container.add_stream("libx264", rate=fps, options={
            "crf": str(crf), "preset": "veryfast", "tune": "stillimage,zerolatency"})
        self._stream.width, self._stream.height = self.even_w, self.even_h
        self._stream.pix_fmt = "yuv420p"
        self._stream.time_base = Fraction(1, fps)
        cc = self._stream.codec_context
        cc.gop_size = fps            # a keyframe (and so a flushed fragment) every second
        cc.thread_count = 1          # deterministic and polite on shared machines
        self._closed = False

    def write(self, frame: np.ndarray, count: int = 1) -> None:
        import av

        if self._closed:
            raise RuntimeError("the video is already closed")
        if count <= 0:
            return
        frame = _rgb(frame)
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, the video is {self.width}x{self.height}")
        if self._last_array is None or not np.array_equal(frame, self._last_array):
            padded = frame
            if (self.even_w, self.even_h) != (self.width, self.height):
                padded = np.pad(frame, ((0, self.even_h - self.height), (0, self.even_w - self.width), (0, 0)),
                                mode="edge")
            self._last_frame = av.VideoFrame.from_ndarray(padded, format="rgb24").reformat(format="yuv420p")
            self._last_array = frame.copy()
        for _ in range(count):
            self._last_frame.pts = self.frames
            for packet in self._stream.encode(self._last_frame):
                self._container.mux(packet)
            self.frames += 1

    def close(self) -> Path:
        """Flush the encoder and rewrite the file as a regular (non-fragmented) MP4."""
        if self._closed:
            return self.path
        self._closed = True
        try:
            for packet in self._stream.encode(None):
                self._container.mux(packet)
        finally:
            self._container.close()
        if self.frames:
            _remux_regular(self.path)
        return self.path


def _remux_regular(path: Path) -> None:
    """Copy the packets of a fragmented MP4 into a regular one (moov with counts up front); no re-encode."""
    import av

    tmp = path.with_name(path.stem + ".remux" + path.suffix)
    try:
        with av.open(str(path)) as src, av.open(str(tmp), "w", format="mp4",
                                                 options={"movflags": "+faststart"}) as dst:
            istream = src.streams.video[0]
            ostream = dst.add_stream_from_template(istream)
            for packet in src.demux(istream):
                if packet.dts is None:
                    continue
                packet.stream = ostream
                dst.mux(packet)
        os.replace(tmp, path)
    except Exception:
        # The fragmented file is valid on its own; keep it rather than lose the recording.
        tmp.unlink(missing_ok=True)


class GifWriter:
    """Animated GIF for READMEs and issue reports: downscaled, deduplicated, at most GIF_FPS."""

    def __init__(self, path: str | Path, width: int, height: int, fps: int = DEFAULT_FPS,
                 max_width: int = GIF_MAX_WIDTH):
        self.path = Path(path)
        self.fps = fps
        scale = min(1.0, max_width / width)
        self.size = (max(1, round(width * scale)), max(1, round(height * scale)))
        self.step = max(1, round(fps / GIF_FPS))   # keep every step-th tick
        self.frames: list = []          # PIL images (palette)
        self.starts: list[int] = []     # start tick of each
        self.ticks = 0
        self._last: np.ndarray | None = None

    def write(self, frame: np.ndarray, count: int = 1) -> None:
        from PIL import Image

        if count <= 0:
            return
        start, self.ticks = self.ticks, self.ticks + count
        # Only ticks on the GIF's coarser clock show up; a frame spanning none of them is skipped.
        first = -(-start // self.step) * self.step
        if first >= self.ticks:
            return
        if self._last is not None and np.array_equal(frame, self._last):
            return
        self._last = np.array(frame, copy=True)
        img = Image.fromarray(_rgb(frame))
        if img.size != self.size:
            img = img.resize(self.size, Image.Resampling.LANCZOS)
        self.frames.append(img.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE))
        self.starts.append(first)

    def close(self) -> Path | None:
        if not self.frames:
            return None
        ends = self.starts[1:] + [max(self.ticks, self.starts[-1] + 1)]
        ms = lambda t: round(t * 1000 / self.fps / 10) * 10  # noqa: E731 - GIF delays are in 10 ms units
        durations = [max(20, ms(e) - ms(s)) for s, e in zip(self.starts, ends)]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(self.path.name + ".part")
        self.frames[0].save(tmp, format="GIF", save_all=True, append_images=self.frames[1:],
                            duration=durations, loop=0, disposal=1)
        os.replace(tmp, self.path)
        return self.path


class Recorder:
    """The playback's camera: a deterministic clock, the video (and GIF), snapshots and the final frame.

    `show(frame, ticks)` puts a painted frame on the timeline for `ticks` ticks; `hold(ticks)` keeps the
    last one on screen. `pointer` (x, y, pressed) is drawn into the video and GIF only, so viewers see
    where clicks land; PNGs stay exact renderer output.
    """

    def __init__(self, out_dir: str | Path, width: int, height: int, *, fps: int = DEFAULT_FPS,
                 gif: bool = False, pointer: bool = True, video: bool = True):
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.width, self.height, self.fps = width, height, fps
        self.ticks = 0
        self.last: np.ndarray | None = None
        self.pointer_pos: tuple[float, float, bool] | None = None
        self.draw_pointer = pointer
        self.video = VideoWriter(self.out_dir / "video.mp4", width, height, fps) if video else None
        self.gif = GifWriter(self.out_dir / "video.gif", width, height, fps) if gif else None
        self.snapshots: dict[str, Path] = {}

    @property
    def time_ms(self) -> float:
        """The deterministic clock: milliseconds of video so far."""
        return self.ticks * 1000.0 / self.fps

    def ticks_for(self, seconds: float) -> int:
        return int(round(seconds * self.fps))

    def set_pointer(self, x: float, y: float, pressed: bool = False) -> None:
        self.pointer_pos = (x, y, pressed)

    def show(self, frame: np.ndarray, ticks: int = 1) -> None:
        """Put `frame` on screen for `ticks` ticks (0: it replaces the current frame without time passing)."""
        frame = _rgb(frame)
        if frame.shape[:2] != (self.height, self.width):
            raise ValueError(f"frame is {frame.shape[1]}x{frame.shape[0]}, expected {self.width}x{self.height}")
        self.last = frame
        self._emit(frame, ticks)

    def hold(self, ticks: int) -> None:
        """Keep the current frame on screen for `ticks` more ticks (the screen did not change)."""
        if self.last is not None and ticks > 0:
            self._emit(self.last, ticks)

    def _emit(self, frame: np.ndarray, ticks: int) -> None:
        if ticks <= 0:
            return
        shown = frame
        if self.draw_pointer and self.pointer_pos is not None:
            shown = draw_pointer(frame, *self.pointer_pos)
        if self.video is not None:
            self.video.write(shown, ticks)
        if self.gif is not None:
            self.gif.write(shown, ticks)
        self.ticks += ticks

    def snapshot(self, name: str, frame: np.ndarray | None = None) -> Path:
        frame = self.last if frame is None else frame
        if frame is None:
            raise RuntimeError("nothing painted yet")
        path = save_png(self.out_dir / "snapshots" / f"{name}.png", frame)
        self.snapshots[name] = path
        return path

    def close(self, final: np.ndarray | None = None) -> dict:
        """Write final.png, finish the video and GIF; returns the paths written. Safe to call twice."""
        out: dict[str, str] = {}
        frame = self.last if final is None else final
        try:
            if frame is not None:
                out["final"] = str(save_png(self.out_dir / "final.png", frame))
        finally:
            if self.video is not None:
                if self.video.frames == 0 and frame is not None:
                    self.video.write(frame, 1)   # a video always has at least the final frame
                out["video"] = str(self.video.close())
            if self.gif is not None:
                if self.gif.ticks == 0 and frame is not None:
                    self.gif.write(frame, 1)
                path = self.gif.close()
                if path:
                    out["gif"] = str(path)
        return out
