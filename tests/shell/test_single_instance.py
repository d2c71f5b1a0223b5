"""One shell per user and data folder: a second launch hands over its request and exits 0."""
import json
import os
import signal
import subprocess
import sys
import textwrap

import pytest

from shell import single

CLIENT = textwrap.dedent("""
    import json, sys
    from PySide6.QtCore import QCoreApplication
    from shell.single import SingleInstance, relay_lines
    app = QCoreApplication([])
    guard = SingleInstance(sys.argv[1])
    got = guard.claim(json.loads(sys.argv[2]))
    if got is True:
        print("first", flush=True)
        sys.stdin.read()                    # stay the first until told to stop
    elif got is False:
        print("failed", guard.error, flush=True)
        sys.exit(3)
    else:
        print("second", flush=True)
        relay_lines(got, sys.stdin, lambda text: print("rejected", text, flush=True))
        got.close()
""")


def launch(name, request, **kw):
    return subprocess.Popen([sys.executable, "-c", CLIENT, name, json.dumps(request)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def test_server_name_is_per_user_and_key_and_short():
    a, b = single.server_name("/x/one"), single.server_name("/x/two")
    assert a != b and a == single.server_name("/x/one")
    assert a.startswith("neuralos-") and len(a) < 40 and "/" not in a


def test_second_launch_hands_its_request_to_the_first(qtbot, tmp_path):
    name = str(tmp_path / "first.sock")
    guard = single.SingleInstance(name)
    assert guard.claim({"open": []}) is True
    got = []

    def handle(request, reply):
        got.append(request)
        if "a2ui" in request:
            reply({"error": {"code": "VALIDATION_FAILED", "message": "no"}} if "bad" in request["a2ui"]
                  else {"ok": True})

    guard.request_received.connect(handle)
    request = {"activate": True, "open": ["/tmp/a.json", "/tmp/b.json"], "theme": "dark"}
    proc = launch(name, request)
    proc.stdin.write("good line\nbad line\n")
    proc.stdin.close()
    qtbot.waitUntil(lambda: proc.poll() is not None, timeout=20000)
    out = proc.stdout.read()
    assert proc.returncode == 0, out + proc.stderr.read()
    assert out.splitlines()[0] == "second"
    assert got[0] == request
    assert got[1:] == [{"a2ui": "good line\n"}, {"a2ui": "bad line\n"}]
    rejected = [line for line in out.splitlines() if line.startswith("rejected")]
    assert len(rejected) == 1 and "VALIDATION_FAILED" in rejected[0]
    guard.close()


def test_two_names_are_two_independent_shells(tmp_path):
    a = launch(str(tmp_path / "a.sock"), {})
    b = launch(str(tmp_path / "b.sock"), {})
    try:
        assert a.stdout.readline().strip() == "first"
        assert b.stdout.readline().strip() == "first"
    finally:
        for p in (a, b):
            p.stdin.close()
            p.wait(10)


@pytest.mark.skipif(os.name == "nt", reason="Unix sockets leave files behind; named pipes do not")
def test_a_crashed_first_shell_does_not_block_the_next(tmp_path):
    name = str(tmp_path / "crashed.sock")
    first = launch(name, {})
    assert first.stdout.readline().strip() == "first"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    assert os.path.exists(name)                 # the socket file outlived its process
    guard = single.SingleInstance(name)
    assert guard.claim({}) is True
    guard.close()
