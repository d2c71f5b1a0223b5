"""Keep freed memory in the process heap, so a frame's forward does not page-fault its tensors in afresh.

glibc returns large freed blocks to the kernel: blocks it mmaps (all above 32 MiB, the largest mmap threshold it
allows) are unmapped when freed, and the heap's top is trimmed above the trim threshold. A whole 1024x768 forward
allocates and frees a few hundred MB of activations, so every frame took about 30 thousand page faults, each a
kernel trap that zeroes a page: on a 2-core AMD EPYC a cold frame took 513-616 ms (median of 8) that way and
485 ms with the memory kept, and varied far less (docs/performance.md, run W). Keeping only blocks up to 32 MiB
was not enough: once frames of many sizes had fragmented the heap, a window's 640x336 context mmapped its larger
blocks afresh (15 thousand faults, 125 -> 160-190 ms; a whole frame 65 thousand). So no block is mmapped at all.
Nor is a thread given a heap of its own: glibc unmaps a thread arena's heap once it is all free, whatever the trim
threshold, so the render worker's first window opening still took 10-30 thousand faults in two of three bench runs;
with the main heap alone, 5-140. That holds only for threads whose first allocation comes after the setting, so the
`neuralos` command makes it first thing; `configure` makes it too, for programs that only use the library.
The price is a resident size that stays at the largest frame's peak.
"""
from __future__ import annotations

import ctypes
import os

_M_TRIM_THRESHOLD, _M_MMAP_MAX, _M_ARENA_MAX = -1, -4, -8
TRIM_THRESHOLD = 1 << 30     # free memory at the heap's top is given back only above 1 GiB
MMAP_MAX = 0                 # no block is mmapped: every freed block stays in the heap for the next frame
ARENA_MAX = 1                # threads share the main heap (the render worker, the paint lanes, OpenMP's)

_kept: bool | None = None


def keep_freed_memory() -> bool:
    """Tune glibc's malloc to keep freed memory for reuse (once per process). False where the C library is not
    glibc (macOS, Windows, musl) or `NEURALOS_KEEP_HEAP=0` asks not to; True once set."""
    global _kept
    if _kept is None:
        _kept = os.environ.get("NEURALOS_KEEP_HEAP", "1") != "0" and _mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) \
            and _mallopt(_M_MMAP_MAX, MMAP_MAX) and _mallopt(_M_ARENA_MAX, ARENA_MAX)
    return _kept


def _mallopt(param: int, value: int) -> bool:
    # The process's own symbols hold the C library's: no library search (find_library runs ldconfig).
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError, TypeError):
        return False
    return mallopt(param, value) == 1
