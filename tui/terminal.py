"""The terminal driver: Textual's Linux driver, except that a lone Esc is reported when the Esc
wait ends rather than at the input thread's next wake-up.

Textual's input thread waits on the terminal in 100 ms slices and checks the parser's timeout only
between them, so a lone Esc (the parser waiting to see if a key's escape sequence follows) is
reported up to 100 ms late whatever ESCDELAY says, and esc (close help, leave a field, go back)
is the slowest key courier has. `run_input_thread` below is Textual 8's, with one change: while the
parser waits for the rest of a sequence, the thread waits only until that wait ends.
"""

from __future__ import annotations

import os
import selectors
from codecs import getincrementaldecoder

from textual._loop import loop_last
from textual._parser import ParseError
from textual._time import get_time
from textual._xterm_parser import XTermParser
from textual.drivers.linux_driver import LinuxDriver

IDLE_WAIT = 0.1  # Textual's slice when nothing is pending (the thread also checks for exit then)


class QuickEscapeDriver(LinuxDriver):
    """LinuxDriver whose input thread wakes when a pending Esc's wait ends."""

    def run_input_thread(self) -> None:
        """Wait for input and dispatch events (Textual's loop; the wait follows the parser)."""
        selector = selectors.SelectSelector()
        selector.register(self.fileno, selectors.EVENT_READ)
        fileno = self.fileno
        event_read = selectors.EVENT_READ
        parser = XTermParser(self._debug)
        feed = parser.feed
        tick = parser.tick
        decode = getincrementaldecoder("utf-8")().decode
        read = os.read

        def process_selector_events(selector_events: list[tuple[selectors.SelectorKey, int]],
                                    final: bool = False) -> None:
            for last, (_selector_key, mask) in loop_last(selector_events):
                if mask & event_read:
                    unicode_data = decode(read(fileno, 1024 * 4), final=final and last)
                    if not unicode_data:
                        break  # stdin is piped
                    for event in feed(unicode_data):
                        self.process_message(event)
            for event in tick():
                self.process_message(event)

        def wait() -> float:
            """Until the parser's pending timeout (a lone Esc), else one idle slice."""
            due = parser._timeout_time
            return IDLE_WAIT if due is None else min(IDLE_WAIT, max(0.0, due - get_time()))

        try:
            while not self.exit_event.is_set():
                process_selector_events(selector.select(wait()))
            selector.unregister(self.fileno)
            process_selector_events(selector.select(IDLE_WAIT), final=True)
        finally:
            selector.close()
            try:
                for _event in feed(""):
                    pass
            except (EOFError, ParseError):
                pass

