"""The key-press harness's pseudo-terminal (`benchmarks.tui_bench.PtyTerminal`): a key is written as
the bytes a terminal sends, and a repaint's time is when the bytes that show it came out, after
the key (never an earlier frame that happened to hold the same text)."""

from __future__ import annotations

import os
import sys

from benchmarks.tui_bench import PtyTerminal

# A stand-in TUI: raw mode, says it is ready, then answers each byte it reads with its code.
ECHO = ("import os, sys, tty\n"
        "tty.setraw(0)\n"
        "os.write(1, b'ready 63\\r\\n')\n"
        "while True:\n"
        "    data = os.read(0, 1)\n"
        "    if not data: break\n"
        "    os.write(1, b'got %d\\r\\n' % data[0])\n")


def test_a_key_is_timed_to_the_bytes_it_caused() -> None:
    term = PtyTerminal([sys.executable, "-c", ECHO], dict(os.environ), cols=80, rows=24)
    try:
        ready = term.wait_for("ready 63")
        first, offset = term.press("?")
        assert ready <= first <= term.wait_for("got 63", offset)
        again, offset = term.press("?")  # the same answer again: timed from the second key's bytes
        assert term.wait_for("got 63", offset) >= again > first

        started, offset = term.press("Escape")
        assert term.wait_for("got 27", offset) >= started  # Escape is the lone ESC byte a terminal sends
    finally:
        term.stop()
    assert term.proc.poll() is not None  # stopped, and waited for


def test_a_marker_that_never_comes_says_what_the_tui_wrote_last() -> None:
    term = PtyTerminal([sys.executable, "-c", ECHO], dict(os.environ), cols=80, rows=24)
    try:
        term.wait_for("ready")
        term.proc.kill()  # the TUI dies: waiting ends at once with its last output, not at the timeout
        try:
            term.wait_for("never written", timeout=60)
        except TimeoutError as exc:
            assert "ready 63" in str(exc)
        else:
            raise AssertionError("a marker that was never written was found")
    finally:
        term.stop()
