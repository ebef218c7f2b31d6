"""Courier setup: S3 settings, the entities list and load operations as live-validated JSON editors,
the Optimizely preset, Save, and the validation test for a chosen day (in a thread worker)."""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.errors import ConfigError, CourierError
from courier.core.status.choices import courier_names, credential_names, feed_ids
from courier.core.text import printable
from courier.tui.formatting import error_block, error_text, literal
from courier.tui.screens import ConfirmScreen, CourierScreen
from courier.tui.widgets.checks import checks_text
from courier.tui.widgets.forms import Body, Field, TextInput
from courier.tui.widgets.help import with_help
from courier.tui.widgets.json_editor import JsonEditor
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, Input, Select, Static

NEW = "__new__"
NO_CREDENTIAL = "__none__"  # the only choice while there is no credential (a Select needs one)
ENTITIES_HELP = ("The entities list: one object per file type with `object/file-pattern` (quoted literals, "
                 "yyyy/MM/dd date parts, * inside one folder), `object/land-as` with `file/tag` and "
                 "`file/content-type`. Errors show the line/column or the JSON pointer; warnings show "
                 "patterns that parse but look wrong. The Optimizely preset (p) fills it for an account id.")
LOAD_OPS_HELP = ("Load operations map a feed id to its operations, e.g. {\"df-xxxxxx\": [{\"type\": \"load\", "
                 "\"file\": \"decisions\"}]}. Use {} (or a placeholder id such as df-xxxxxx) until the feeds "
                 "exist; `file` must be a tag from the entities list. Load alone suits a daily courier: adding "
                 "{\"type\": \"truncate\"} replaces the whole table on every run, so re-running one day would "
                 "leave only that day.")


def entities_validator(text: str) -> list[str]:
    """Live check of the entities list (the engine's parser); returns its warnings."""
    from courier.core.config.entities import entity_warnings, parse_entities

    return entity_warnings(parse_entities(text))


def tags_of(text: str) -> list[str] | None:
    """The file tags the entities list defines, or None while it does not parse."""
    from courier.core.config.entities import parse_entities

    try:
        return list(dict.fromkeys(e.tag for e in parse_entities(text)))
    except CourierError:
        return None


class CourierSetupScreen(CourierScreen):
    """Add or edit one courier."""

    HELP = ("A courier names where the export lives (credential, bucket, prefix, region, endpoint), which files "
            "to pull (the entities list) and which feeds they load (load operations). Save checks everything "
            "offline; Validate also tries the credential and, for a day, whether each pattern finds files. "
            "With an Optimizely token credential, ctrl+o with no account id asks Optimizely for the account, "
            "bucket and region and fills everything.")
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="setup.save", tooltip="Save courier"),
        Binding("ctrl+o", "preset", "Optimizely preset", id="setup.preset", tooltip="Optimizely preset: fill entities"),
        Binding("ctrl+t", "validate", "Validate", id="setup.validate", tooltip="Validate courier"),
        Binding("ctrl+n", "new", "New courier", id="setup.new"),
    ]
    FORM = "#setup-top Input, #s3-settings Input, #s3-settings Select, JsonEditor TextArea"

    class Validated(Message):
        def __init__(self, report: Any = None, error: str | None = None) -> None:
            super().__init__()
            self.report = report
            self.error = error

    def __init__(self, workspace: Any, catalog: Catalog, courier: str | None = None, **kwargs: Any) -> None:
        super().__init__(workspace, catalog, **kwargs)
        self.courier_name = courier or self._first_courier()

    def _first_courier(self) -> str | None:
        names = courier_names(self.catalog)
        return names[0] if names else None

    def compose_body(self) -> ComposeResult:
        with Body(id="setup-body"):
            with Vertical(id="setup-top", classes="panel") as top:
                top.border_title = "Courier"
                with Horizontal(classes="pair"):
                    yield Field("Edit", with_help(Select([("＋ new courier", NEW)], value=NEW, allow_blank=False,
                                                         id="courier-pick"),
                                                  "Pick a courier to edit, or 'new courier' to add one."))
                    yield Field("Courier name", with_help(TextInput(placeholder="e.g. optimizely", id="courier-name"),
                                                          "The courier's name: letters, digits, '.', '_' or '-'."))
            with Vertical(id="s3-settings", classes="panel") as s3:
                s3.border_title = "S3 settings"
                yield Field("Credential", with_help(
                    Select([("no credential yet: add one on the credentials screen (c)", NO_CREDENTIAL)],
                           value=NO_CREDENTIAL, allow_blank=False, id="courier-credential"),
                    "The credential used to reach the bucket. Add or test one on the credentials screen (c)."))
                with Horizontal(classes="pair"):
                    yield Field("Bucket", with_help(TextInput(placeholder="e.g. optimizely-events-data",
                                                              id="courier-bucket"),
                                                    "The S3 bucket name only (no s3:// and no folder)."))
                    yield Field("Prefix (optional)", with_help(
                        TextInput(placeholder="a folder in the bucket", id="courier-prefix"),
                        "A folder inside the bucket that every pattern is relative to; usually empty "
                        "for Optimizely because the preset patterns start at v1/."))
                with Horizontal(classes="pair"):
                    yield Field("Region", with_help(TextInput(value="us-east-1", placeholder="e.g. us-east-1",
                                                              id="courier-region"),
                                                    "The bucket's AWS region; Optimizely's bucket is in us-east-1."))
                    yield Field("Endpoint URL (optional)", with_help(
                        TextInput(placeholder="S3-compatible servers only", id="courier-endpoint"),
                        "Leave empty for Amazon S3. Set it for a local or S3-compatible server."))
            with Horizontal(id="preset-row", classes="panel") as preset:
                preset.border_title = "Optimizely preset"
                yield Field("Optimizely account id", with_help(
                    TextInput(placeholder="e.g. 1234567890", id="preset-account"),
                    "The digits after account_id= in your export path. ctrl+o fills the entities list "
                    "with decisions and conversions for that account."))
                yield Button("Fill entities (ctrl+o)", id="preset")
            yield JsonEditor("[]", entities_validator, title="Entities list", help_text=ENTITIES_HELP,
                             id="entities-editor")
            yield JsonEditor("{}", self._load_ops_validator, title="Load operations", help_text=LOAD_OPS_HELP,
                             id="loadops-editor")
            yield Static("", id="setup-result")
            with Horizontal(id="validate-row", classes="buttons"):
                yield Button("Save (ctrl+s)", id="save", variant="primary")
                yield Field("Validate for day", with_help(TextInput(placeholder="YYYY-MM-DD", id="validate-day"),
                                                          "Optional: a day whose files Validate should look for "
                                                          "(e.g. yesterday)."))
                yield Button("Validate (ctrl+t)", id="validate", variant="success")

    def on_mount(self) -> None:
        super().on_mount()
        if self.courier_name:
            self.load(self.courier_name)
        self.query_one("#courier-name" if not self.courier_name else "#courier-credential").focus()

    def refresh_data(self) -> None:
        names = courier_names(self.catalog)
        pick = self.query_one("#courier-pick", Select)
        with self.prevent(Select.Changed):
            pick.set_options([("＋ new courier", NEW), *((n, n) for n in names)])
            pick.value = self.courier_name if self.courier_name in names else NEW
        creds = credential_names(self.catalog)
        select = self.query_one("#courier-credential", Select)
        current = select.value
        with self.prevent(Select.Changed):
            if not creds:  # allow_blank=False needs a choice: one that says what to do
                select.set_options([("no credential yet: add one on the credentials screen (c)", NO_CREDENTIAL)])
                select.disabled = True
                return
            select.disabled = False
            select.set_options([(c, c) for c in creds])
            if current in creds:
                select.value = current

    def _load_ops_validator(self, text: str) -> list[str]:
        from courier.core.config.load_operations import (
            is_placeholder,
            parse_load_operations,
            unknown_feeds,
        )

        tags = None
        if self.is_mounted:
            tags = tags_of(self.query_one("#entities-editor", JsonEditor).text)
        ops = parse_load_operations(text, tags=tags)
        known = feed_ids(self.catalog)
        out = []
        for feed_id in unknown_feeds(ops, known):
            if is_placeholder(feed_id):
                out.append(f"{feed_id} is a placeholder: runs land files, then fail until you put the real feed id here")
            else:
                out.append(f"load operations /{feed_id}: no feed with this id (activate the feed first, or "
                           "use a placeholder such as df-xxxxxx)")
        return out

    @on(JsonEditor.Validated, "#entities-editor")
    def _entities_validated(self, event: JsonEditor.Validated) -> None:
        loadops = self.query_one("#loadops-editor", JsonEditor)
        if loadops.is_mounted and loadops.children:
            loadops.validate()  # its `file` tags depend on the entities list

    def load(self, name: str) -> None:
        """Fill the form from a stored courier."""
        from courier.core.config.couriers import get_courier

        try:
            courier = get_courier(self.catalog, name)
        except CourierError as exc:
            self.notify(printable(error_text(exc)), severity="error", markup=False)
            return
        self.courier_name = name
        self.query_one("#courier-name", Input).value = name
        self.query_one("#courier-name", Input).disabled = True
        if courier.credential in credential_names(self.catalog):
            self.query_one("#courier-credential", Select).value = courier.credential
        self.query_one("#courier-bucket", Input).value = courier.bucket
        self.query_one("#courier-prefix", Input).value = courier.prefix or ""
        self.query_one("#courier-region", Input).value = courier.region or "us-east-1"
        self.query_one("#courier-endpoint", Input).value = courier.endpoint_url or ""
        self.query_one("#entities-editor", JsonEditor).text = json.dumps(courier.entities_json, indent=2)
        self.query_one("#loadops-editor", JsonEditor).text = json.dumps(courier.load_operations_json, indent=2)
        self.query_one("#setup-top").border_title = f"Courier {name}"
        self.mark_saved()

    @on(Select.Changed, "#courier-pick")
    def _picked(self, event: Select.Changed) -> None:
        value = event.select.value  # the pick as it is now (a queued event may be older)
        current: Any = self.courier_name or NEW
        if not isinstance(value, str) or value == current:
            return

        def switch(yes: bool | None) -> None:
            if not yes:
                with self.prevent(Select.Changed):
                    event.select.value = current
                return
            self.action_new() if value == NEW else self.load(value)

        if self.unsaved_edits():
            self.app.push_screen(ConfirmScreen("This courier has edits that are not saved. Switch and lose them?",
                                               yes="Discard edits", no="Stay"), switch)
        else:
            switch(True)

    def action_new(self) -> None:
        self.courier_name = None
        name = self.query_one("#courier-name", Input)
        name.disabled = False
        name.value = ""
        for field in ("bucket", "prefix", "endpoint"):
            self.query_one(f"#courier-{field}", Input).value = ""
        self.query_one("#courier-region", Input).value = "us-east-1"
        self.query_one("#entities-editor", JsonEditor).text = "[]"
        self.query_one("#loadops-editor", JsonEditor).text = "{}"
        self.query_one("#setup-top").border_title = "New courier"
        self.query_one("#setup-result", Static).update("")
        name.focus()
        self.mark_saved()

    def action_preset(self) -> None:
        from courier.core.config.credentials import get_credential
        from courier.core.optimizely import DEFAULT_BUCKET, preset_entities, validate_account_id

        result = self.query_one("#setup-result", Static)
        credential = self.query_one("#courier-credential", Select).value
        if not self.query_one("#preset-account", Input).value.strip() and isinstance(credential, str):
            kind: str
            try:
                kind = get_credential(self.catalog, credential).kind
            except CourierError:
                kind = ""
            if kind == "optimizely-token":  # the shortest path: the token exchange names account and bucket
                result.update(Text(f"… asking Optimizely which account and bucket {credential} reaches"))
                self._preset_from_token(credential)
                return
        try:
            account = validate_account_id(self.query_one("#preset-account", Input).value)
        except ConfigError as exc:
            result.update(literal(f"✗ Optimizely preset: {exc}\n  hint: {exc.hint}", style="bold"))
            self.query_one("#preset-account", Input).focus()
            return
        self.query_one("#entities-editor", JsonEditor).text = json.dumps(preset_entities(account), indent=2)
        bucket = self.query_one("#courier-bucket", Input)
        if not bucket.value.strip():
            bucket.value = DEFAULT_BUCKET
        result.update(Text(f"✓ entities list filled for account {account} (decisions and conversions)"))

    @work(thread=True, exclusive=True, group="token")
    def _preset_from_token(self, credential: str) -> None:
        """Trade the token for its s3Path in a worker (network), then fill the form on the UI thread."""
        from courier.core.catalog.catalog import Catalog
        from courier.core.source.token import courier_settings_from_token

        catalog = Catalog(self.workspace)
        try:
            settings = courier_settings_from_token(catalog, credential)
        except CourierError as exc:
            self.app.call_from_thread(self._token_failed, error_text(exc))
            return
        finally:
            catalog.close()
        self.app.call_from_thread(self._apply_token_settings, settings)

    def _token_failed(self, error: str) -> None:
        self.query_one("#setup-result", Static).update(literal(f"✗ Optimizely token: {error}", style="bold"))

    def _apply_token_settings(self, settings: dict[str, Any]) -> None:
        self.query_one("#preset-account", Input).value = settings["account_id"]
        self.query_one("#courier-bucket", Input).value = settings["bucket"]
        self.query_one("#courier-region", Input).value = settings["region"]
        self.query_one("#courier-prefix", Input).value = ""  # the preset patterns start at v1/account_id=...
        self.action_preset()

    def _settings(self) -> dict[str, Any]:
        credential = self.query_one("#courier-credential", Select).value
        return {
            "credential": credential if isinstance(credential, str) and credential != NO_CREDENTIAL else "",
            "bucket": self.query_one("#courier-bucket", Input).value.strip(),
            "prefix": self.query_one("#courier-prefix", Input).value.strip(),
            "region": self.query_one("#courier-region", Input).value.strip() or None,
            "endpoint_url": self.query_one("#courier-endpoint", Input).value.strip(),
            "entities": self.query_one("#entities-editor", JsonEditor).text,
            "load_operations": self.query_one("#loadops-editor", JsonEditor).text,
        }

    def action_save(self) -> None:
        from courier.core.config.couriers import add_courier, edit_courier

        result = self.query_one("#setup-result", Static)
        s = self._settings()
        if not s["credential"]:
            result.update(Text("✗ choose a credential first (add one on the credentials screen: c)", style="bold"))
            return
        try:
            if self.courier_name:
                _courier, warnings = edit_courier(self.catalog, self.courier_name, **s)
                name = self.courier_name
            else:
                name = self.query_one("#courier-name", Input).value.strip()
                s["endpoint_url"] = s["endpoint_url"] or None
                _courier, warnings = add_courier(self.catalog, name, **s)
        except CourierError as exc:
            result.update(literal(error_block(exc), style="bold"))
            return
        text = Text(f"✓ saved courier {name}\n", style="bold")
        for warning in warnings:
            text.append(f"! {printable(warning)}\n")
        result.update(text)
        self.notify(f"Saved courier {name}")
        self.courier_name = name
        self.refresh_data()
        self.load(name)

    def action_validate(self) -> None:
        result = self.query_one("#setup-result", Static)
        if not self.courier_name:
            result.update(Text("✗ save the courier first, then validate it", style="bold"))
            return
        text = self.query_one("#validate-day", Input).value.strip()
        try:
            day = date.fromisoformat(text) if text else None
        except ValueError:
            result.update(literal(f"✗ day {text!r} is not a date\n  hint: use YYYY-MM-DD, e.g. 2026-11-01", style="bold"))
            return
        result.update(literal(f"Validating {self.courier_name}" + (f" for {day}" if day else "") + " …"))
        self._validate(self.courier_name, day)

    @work(thread=True, exclusive=True, group="courier-validate")
    def _validate(self, name: str, day: date | None) -> None:
        from courier.core.source.checks import validate_courier

        catalog = Catalog(self.workspace)
        try:
            self.post_message(self.Validated(report=validate_courier(catalog, name, day)))
        except CourierError as exc:
            self.post_message(self.Validated(error=error_text(exc)))
        finally:
            catalog.close()

    def on_courier_setup_screen_validated(self, message: Validated) -> None:
        result = self.query_one("#setup-result", Static)
        if message.error:
            result.update(literal(f"✗ {message.error}", style="bold"))
            return
        report = message.report
        result.update(checks_text(report.checks, "Validation passed" if report.ok else "Validation failed",
                                  report.ok, report.warnings))

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"save": self.action_save, "preset": self.action_preset, "validate": self.action_validate}
        if event.button.id in actions:
            actions[event.button.id]()
