import json
import os
import platform
import subprocess
import sys

import pytest

# A fresh process per setting (malloc's settings are process-wide): three "frames" that each allocate six
# arrays of 20 and 40 MiB (below and above glibc's largest mmap threshold), write every page, and free them, as a
# forward pass does with its activations; each frame on a thread of its own, as each bench pass has a new worker.
FRAMES = """
import json, resource, threading, numpy as np
from neuralos.neural.heap import keep_freed_memory
kept = keep_freed_memory()
def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt
def frame():
    live = [np.ones((20 << 18) * (1 + i % 2), np.float32) for i in range(6)]
    del live
counts = []
for _ in range(3):
    f0 = faults()
    worker = threading.Thread(target=frame)
    worker.start()
    worker.join()
    counts.append(faults() - f0)
print(json.dumps({"kept": kept, "faults": counts}))
"""


def _frames(keep: str) -> dict:
    env = {**os.environ, "NEURALOS_KEEP_HEAP": keep}
    out = subprocess.run([sys.executable, "-c", FRAMES], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="tunes glibc's malloc only")
def test_kept_memory_is_reused_without_page_faults():
    default, kept = _frames("0"), _frames("1")
    assert default["kept"] is False and kept["kept"] is True
    # The first frame faults its pages in either way; later frames reuse them only when the heap keeps them.
    assert sum(default["faults"][1:]) > 1000
    assert sum(kept["faults"][1:]) < 0.05 * sum(default["faults"][1:])


def test_configure_keeps_the_heap_on_a_cpu(monkeypatch):
    from neuralos.neural import heap
    from neuralos.neural.live import configure

    monkeypatch.setattr(heap, "_kept", None)
    monkeypatch.setattr(heap, "_mallopt", lambda param, value: True)

    class Renderer:
        dtype, burst_threads, paint_lanes = "float32", None, 1

    assert configure(Renderer(), device="cpu")["heap_kept"] is True


def test_the_neuralos_command_keeps_the_heap_before_anything_else(monkeypatch):
    from neuralos import cli
    from neuralos.neural import heap

    calls = []
    monkeypatch.setattr(heap, "_kept", None)
    monkeypatch.setattr(heap, "_mallopt", lambda param, value: calls.append((param, value)) or True)
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert (heap._M_MMAP_MAX, 0) in calls and (heap._M_ARENA_MAX, 1) in calls
