"""courier's engine: everything the TUI and the CLI do goes through here.

This package never imports textual (tests/core/test_no_textual.py enforces it), so the engine
runs headless under cron, systemd and CI.
"""

__version__ = "0.1.0"
