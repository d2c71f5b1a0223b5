"""Scripted UI-intent playback (SPEC section 6): parse scripts, run them on the real shell, record.

- `script`: YAML/JSON scripts -> typed, validated steps with line numbers (`load`, `loads`).
- `recorder`: frames on a deterministic clock -> `video.mp4` (H.264), PNGs, optional GIF.
- `runner`: `PlaybackRunner` plays a script on a `DesktopCanvas`, checks expectations, writes the trace.
"""
