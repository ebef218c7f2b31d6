"""End to end in a real terminal: tmux runs `courier demo`, keys are sent, the screen is read back.

One key per send-keys call (keys sent together race focus changes), and after each key capture-pane
is polled until the screen shows what the key did (never a fixed sleep). Skipped only where tmux is
missing.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")

COURIER = Path(sys.executable).with_name("courier")


class Terminal:
    """A private tmux server with one pane of 120x40."""

    def __init__(self, socket: str) -> None:
        self.socket = socket

    def tmux(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True, text=True, timeout=30)
        return done.stdout

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "demo")

    def styled(self) -> str:
        """The screen with its colours and attributes (a moved highlight changes only those)."""
        return self.tmux("capture-pane", "-p", "-e", "-t", "demo")

    def key(self, key: str) -> None:
        self.tmux("send-keys", "-t", "demo", key)

    def wait_until(self, shown: Callable[[], bool], what: str, seconds: float = 90) -> None:
        """Poll the pane until `shown()` holds (the bound only stops a hung test)."""
        deadline = time.monotonic() + seconds
        while not shown():
            if time.monotonic() > deadline:
                raise AssertionError(f"gave up waiting for {what}; the screen was:\n{self.screen()}")
            time.sleep(0.2)  # the poll's interval: the wait ends on what the screen shows

    def wait_for(self, text: str, seconds: float = 90) -> str:
        """Poll the screen until `text` shows."""
        self.wait_until(lambda: text in self.screen(), repr(text), seconds)
        return self.screen()

    def key_changes_screen(self, key: str, what: str) -> None:
        """Send `key` and wait until the screen (styles included) has changed because of it."""
        before = self.styled()
        self.key(key)
        self.wait_until(lambda: self.styled() != before, what)

    def dead(self) -> bool:
        return self.tmux("display", "-p", "-t", "demo", "#{pane_dead}").strip() == "1"


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(f"courier-e2e-{uuid.uuid4().hex[:8]}")
    home = tmp_path / "home"
    home.mkdir()
    env = {"HOME": str(home), "XDG_CONFIG_HOME": str(home / ".config"), "XDG_DATA_HOME": str(home / ".local/share"),
           "COLORTERM": "truecolor", "AWS_EC2_METADATA_DISABLED": "true"}
    command = f"{COURIER} --workspace {tmp_path / 'demo-ws'} demo --days 2 --rows 100"
    args = ["new-session", "-d", "-s", "demo", "-x", "120", "-y", "40"]
    for name, value in env.items():
        args += ["-e", f"{name}={value}"]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("TEXTUAL_", "AWS_", "COURIER_"))
             and k not in ("NO_COLOR", "FORCE_COLOR")}
    subprocess.run(["tmux", "-L", term.socket, *args, command], check=True, env={**clean, **env}, timeout=30)
    term.tmux("set-option", "-t", "demo", "remain-on-exit", "on")
    try:
        yield term
    finally:
        # quit the app first so `courier demo` stops its S3 server; a killed pane would orphan it
        for key in ("C-q", "y"):
            if not term.dead():
                term.key(key)
                deadline = time.monotonic() + 10
                while not term.dead() and time.monotonic() < deadline:
                    time.sleep(0.2)
        term.tmux("kill-server")


def test_demo_reaches_a_finished_run_from_the_keyboard(terminal: Terminal) -> None:
    terminal.wait_for("r Run")  # the home screen's footer
    terminal.key("r")
    terminal.wait_for("All available data")
    terminal.key_changes_screen("Down", "the highlight on the second choice")
    terminal.key_changes_screen("Down", "the highlight on the third choice")
    terminal.key("Enter")  # choose "All available data"
    terminal.wait_until(lambda: any("●" in line and "All available data" in line
                                    for line in terminal.screen().splitlines()), "All available data chosen")
    terminal.key("F5")
    screen = terminal.wait_for("Completed in")
    assert "courier optimizely" in screen and "· all" in screen
    assert "Landed" in screen and "files" in screen
    terminal.key("Escape")
    terminal.wait_for("Couriers")
    terminal.key("q")
    deadline = time.monotonic() + 30
    while not terminal.dead() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert terminal.dead(), terminal.screen()
