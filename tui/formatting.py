"""Display helpers shared by the CLI and the TUI (no Textual import: the CLI uses them too)."""

from __future__ import annotations

from courier.core.errors import CourierError, Fix, FixKind, join_advice
from courier.core.text import printable
from rich.markup import escape
from rich.text import Text


def human_bytes(size: float) -> str:
    """1536 -> '1.5 KB'; bytes without decimals."""
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if size < 1024 or unit == "TB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


def literal(value: object, style: str = "", *, newlines: bool = True) -> Text:
    """Text for a widget that may quote keys, names, file contents or S3's texts: never parsed as
    markup, control characters escaped (courier.core.text.printable). Line breaks are kept unless
    `newlines=False` (for one-line cells: a key, a column name)."""
    return Text(printable(value, newlines=newlines), style=style)


# A Fix names a setting in the engine's words; the TUI names the control an operator uses for it.
CONTROLS = {
    "skip_missing": "the “Skip missing required files” checkbox", "day": "the Day field",
    "from_day": "the From field", "to_day": "the To field", "bucket": "the Bucket field",
    "prefix": "the Prefix field", "region": "the Region field", "endpoint_url": "the Endpoint URL field",
    "primary_key": "Primary key",
    "generate_updated": "the “Generate updated field” checkbox", "last_updated": "Last updated",
    "access_key_id": "the Access key id field", "secret_access_key": "the Secret access key field",
    "profile": "the Profile field", "token": "the Token field", "api_url": "the API URL field",
    "role_arn": "the Role ARN field", "external_id": "the External ID field",
}

PHRASES = {"replace": "or select the stored credential in the list and save it to replace it"}


def tui_fix(fix: Fix | None) -> str | None:
    """A structured fix in the TUI's words: it names the control, never a command-line flag."""
    if fix is None:
        return None
    if fix.setting in PHRASES:
        return PHRASES[fix.setting]
    control = CONTROLS.get(fix.setting, f"the {fix.setting.replace('_', ' ')} field")
    if fix.kind is FixKind.TURN_ON:
        text = f"tick {control}" if "checkbox" in control else f"turn on {control}"
    else:
        text = f"fill in {control}" + (f" ({fix.value})" if fix.value else "")
    return f"{text} {fix.why}".rstrip()


def error_text(exc: BaseException) -> str:
    """An error as one line for a TUI status, notification or field: message, hint and the fix in TUI words."""
    if not isinstance(exc, CourierError):
        return str(exc) or type(exc).__name__
    advice = join_advice(exc.hint, tui_fix(exc.fix))
    return f"{exc} ({advice})" if advice else str(exc)


def error_block(exc: CourierError) -> str:
    """An error for a form's error area: the message, then `hint:` on its own line."""
    advice = join_advice(exc.hint, tui_fix(exc.fix))
    return f"✗ {exc}" + (f"\n  hint: {advice}" if advice else "")


def cell(value: object) -> str:
    """A str cell for Textual's stock DataTable, which parses str cells as Rich markup: markup
    escaped, controls escaped (plain names come back unchanged)."""
    return escape(printable(value))
