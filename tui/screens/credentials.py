"""Credentials: the list, an add/edit form per kind with masked secrets, and "Test connection"
(identity, list, read) run in a thread worker against the bucket the operator names."""

from __future__ import annotations

from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.errors import CourierError
from courier.core.status.choices import credential_names, credential_target
from courier.core.text import printable
from courier.tui.formatting import cell, error_block, error_text, literal
from courier.tui.screens import ConfirmScreen, CourierScreen
from courier.tui.widgets.checks import checks_text
from courier.tui.widgets.forms import Body, Field, TextInput
from courier.tui.widgets.help import with_help
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widgets import Button, DataTable, Input, Select, Static

KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "iam-credential": ("access_key_id", "secret_access_key", "role_arn", "external_id"),
    "aws-profile": ("profile", "role_arn", "external_id"),
    "default-chain": ("role_arn", "external_id"),
    "optimizely-token": ("token", "api_url"),
}
SECRET_FIELDS = ("secret_access_key", "token")
FIELD_LABELS = {
    "access_key_id": "Access key id", "secret_access_key": "Secret access key", "profile": "AWS profile",
    "role_arn": "Role ARN (optional)", "external_id": "External id (optional)",
    "token": "Optimizely API token", "api_url": "API URL",
}
KIND_HELP = {
    "iam-credential": "An IAM user's access key and secret (what Optimizely hands out), optionally assuming a role.",
    "aws-profile": "A named profile from ~/.aws/config; courier never stores its keys.",
    "default-chain": "Whatever boto3 finds: environment, instance role, SSO.",
    "optimizely-token": "An Optimizely personal API token; courier exchanges it for temporary S3 keys.",
}


class CredentialsScreen(CourierScreen):
    """List, add, edit, remove and test credentials."""

    HELP = ("Credentials hold the keys a courier uses to reach S3. Secrets are typed into masked fields, "
            "stored encrypted, and never shown again. Test connection checks identity (STS), listing and "
            "reading under the bucket and prefix you give.")
    BINDINGS = [
        Binding("n", "new", "New", id="credentials.new", tooltip="New credential"),
        Binding("ctrl+s", "save", "Save", id="credentials.save", tooltip="Save credential"),
        Binding("t", "test", "Test connection", id="credentials.test"),
        Binding("delete", "remove", "Remove", id="credentials.remove", tooltip="Remove the highlighted credential"),
    ]
    FORM = "#credential-form Input, #credential-form Select"

    class AccessChecked(Message):
        """The Test connection worker finished (report) or could not run (error)."""

        def __init__(self, credential: str, report: Any = None, error: str | None = None) -> None:
            super().__init__()
            self.credential = credential
            self.report = report
            self.error = error

    def __init__(self, workspace: Any, catalog: Catalog, **kwargs: Any) -> None:
        super().__init__(workspace, catalog, **kwargs)
        self.editing: str | None = None

    def compose_body(self) -> ComposeResult:
        with Horizontal(id="credentials-body"):
            with Body(id="credential-left"):
                with Vertical(id="credential-list", classes="panel") as left:
                    left.border_title = "Credentials"
                    table: DataTable[str] = DataTable(id="credential-table", cursor_type="row")
                    yield with_help(table, "Enter edits the highlighted credential; n starts a new one; "
                                           "Delete removes it (couriers using it must change first).")
                with Vertical(id="test-panel", classes="panel") as test:
                    test.border_title = "Test connection"
                    with_help(test, "Checks the selected credential: identity (STS), listing and reading "
                                    "under the bucket and prefix. Filled from a courier that uses it.")
                    yield Field("Bucket", TextInput(placeholder="e.g. optimizely-events-data", id="test-bucket"))
                    yield Field("Prefix", TextInput(placeholder="e.g. v1/account_id=1234567890/", id="test-prefix"))
                    with Horizontal(classes="pair"):
                        yield Field("Region", TextInput(value="us-east-1", placeholder="e.g. us-east-1",
                                                        id="test-region"))
                        yield Field("Endpoint URL", TextInput(placeholder="S3-compatible servers only",
                                                              id="test-endpoint"))
                    yield Button("Test connection (t)", id="test", variant="success")
                    yield Static("", id="test-result")
            with Body(id="credential-form", classes="panel") as form:
                form.border_title = "New credential"
                yield Field("Name", with_help(TextInput(placeholder="e.g. optimizely", id="cred-name"),
                                              "A short name couriers refer to: letters, digits, '.', '_' or '-'."))
                yield Field("Kind", with_help(Select([(k, k) for k in KIND_FIELDS], value="iam-credential",
                                                     allow_blank=False, id="cred-kind"),
                                              "\n".join(f"- **{k}**: {v}" for k, v in KIND_HELP.items())))
                yield Static(KIND_HELP["iam-credential"], id="kind-help", classes="muted")
                for name, label in FIELD_LABELS.items():
                    yield Field(label, TextInput(password=name in SECRET_FIELDS, id=f"cred-{name}",
                                                 placeholder="typed here, stored encrypted" if name in SECRET_FIELDS
                                                 else ""), id=f"label-{name}")
                yield Static("", id="cred-error", classes="error")
                with Horizontal(classes="buttons"):
                    yield Button("Save (ctrl+s)", id="save", variant="primary")
                    yield Button("New (n)", id="new")

    def on_mount(self) -> None:
        super().on_mount()
        self._show_fields("iam-credential")
        self.query_one("#credential-table", DataTable).focus()

    def refresh_data(self) -> None:
        from courier.core.config.credentials import describe, list_credentials

        table = self.query_one("#credential-table", DataTable)
        if not table.columns:
            table.add_columns("name", "kind", "details")
        table.clear()
        for cred in list_credentials(self.catalog):
            checked = cred.name in self.courier_app.checked_credentials
            table.add_row(cell(cred.name + (" ✓" if checked else "")), cred.kind, cell(describe(cred)), key=cred.name)
        self.refresh_bindings()

    # form ---------------------------------------------------------------------------------

    def _show_fields(self, kind: str) -> None:
        wanted = KIND_FIELDS.get(kind, ())
        for name in FIELD_LABELS:
            self.query_one(f"#label-{name}").display = name in wanted
            self.query_one(f"#cred-{name}").display = name in wanted
        self.query_one("#kind-help", Static).update(KIND_HELP.get(kind, ""))
        self.query_one("#test-panel").display = True

    @on(Select.Changed, "#cred-kind")
    def _kind_changed(self, event: Select.Changed) -> None:
        self._show_fields(str(event.value))

    @on(DataTable.RowSelected, "#credential-table")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        if event.row_key.value:
            self.edit(str(event.row_key.value))

    def edit(self, name: str) -> None:
        """Load a credential into the form (secrets stay blank: leave them empty to keep them)."""
        from courier.core.config.credentials import get_credential

        cred = get_credential(self.catalog, name)
        self.editing = name
        self.query_one("#credential-form").border_title = f"Edit {name}"
        self.query_one("#cred-name", Input).value = name
        self.query_one("#cred-kind", Select).value = cred.kind
        self._show_fields(cred.kind)
        for field in FIELD_LABELS:
            box = self.query_one(f"#cred-{field}", Input)
            box.value = "" if field in SECRET_FIELDS else (getattr(cred, field, None) or "")
            if field in SECRET_FIELDS:
                box.placeholder = "stored (leave empty to keep)"
        self._prefill_test(name)
        self.query_one("#cred-error", Static).update("")
        self.query_one("#cred-name", Input).focus()
        self.mark_saved()
        self.refresh_bindings()

    def _prefill_test(self, name: str) -> None:
        target = credential_target(self.catalog, name)
        if target:
            self.query_one("#test-bucket", Input).value = target.bucket
            self.query_one("#test-prefix", Input).value = target.prefix
            self.query_one("#test-region", Input).value = target.region
            self.query_one("#test-endpoint", Input).value = target.endpoint_url or ""

    def action_new(self) -> None:
        self.editing = None
        self.query_one("#credential-form").border_title = "New credential"
        for field in ("name", *FIELD_LABELS):
            self.query_one(f"#cred-{field}", Input).value = ""
        for field in SECRET_FIELDS:
            self.query_one(f"#cred-{field}", Input).placeholder = "typed here, stored encrypted"
        self.query_one("#cred-error", Static).update("")
        self.query_one("#cred-name", Input).focus()
        self.mark_saved()
        self.refresh_bindings()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """The footer offers Test only for a saved credential and Remove only when there is one."""
        if action == "test":
            return self.test_target() is not None
        if action == "remove":
            return self.is_mounted and self.query_one("#credential-table", DataTable).row_count > 0
        return True

    def test_target(self) -> str | None:
        """The credential Test connection checks: the one being edited, else the highlighted one."""
        if self.editing:
            return self.editing
        if not self.is_mounted:
            return None
        table = self.query_one("#credential-table", DataTable)
        if not table.row_count:
            return None
        return str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _form_values(self) -> tuple[str, str, dict[str, Any]]:
        name = self.query_one("#cred-name", Input).value.strip()
        kind = str(self.query_one("#cred-kind", Select).value)
        values = {f: self.query_one(f"#cred-{f}", Input).value.strip() for f in KIND_FIELDS.get(kind, ())}
        return name, kind, values

    def action_save(self) -> None:
        from courier.core.config.credentials import add_credential, update_credential

        name, kind, values = self._form_values()
        error = self.query_one("#cred-error", Static)
        try:
            if self.editing == name:  # an empty secret field keeps the stored secret (the engine's rule)
                update_credential(self.catalog, name, kind=kind, **values)
            else:
                add_credential(self.catalog, name, kind, **values)
        except CourierError as exc:
            error.update(literal(error_block(exc)))
            return
        for field in SECRET_FIELDS:
            self.query_one(f"#cred-{field}", Input).value = ""
        error.update("")
        self.notify(f"Saved credential {name}")
        self.refresh_data()
        self.edit(name)

    def action_remove(self) -> None:
        from courier.core.config.credentials import remove_credential

        table = self.query_one("#credential-table", DataTable)
        if not table.row_count:
            return
        name = str(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

        def answered(yes: bool | None) -> None:
            if not yes:
                return
            try:
                remove_credential(self.catalog, name)
            except CourierError as exc:
                self.notify(printable(error_text(exc)), severity="error", timeout=8, markup=False)
                return
            self.notify(f"Removed credential {name}")
            self.action_new()
            self.refresh_data()

        self.app.push_screen(ConfirmScreen(f"Remove credential {name}?", yes="Remove"), answered)

    # test connection ------------------------------------------------------------------------

    def action_test(self) -> None:
        name = self.test_target() or self.query_one("#cred-name", Input).value.strip()
        result = self.query_one("#test-result", Static)
        if not name or name not in credential_names(self.catalog):
            result.update(Text("✗ save the credential first, then test it", style="bold"))
            return
        bucket = self.query_one("#test-bucket", Input).value.strip()
        prefix = self.query_one("#test-prefix", Input).value.strip()
        region = self.query_one("#test-region", Input).value.strip() or "us-east-1"
        endpoint = self.query_one("#test-endpoint", Input).value.strip() or None
        result.update(literal(f"Testing {name} against s3://{bucket}/{prefix} …"))
        self._run_check(name, bucket, prefix, region, endpoint)

    @work(thread=True, exclusive=True, group="access-check")
    def _run_check(self, name: str, bucket: str, prefix: str, region: str, endpoint: str | None) -> None:
        from courier.core.source.access import run_access_check

        catalog = Catalog(self.workspace)  # a connection of this thread's own
        try:
            report = run_access_check(catalog, name, bucket=bucket or None, prefix=prefix, region=region,
                                      endpoint_url=endpoint)
            self.post_message(self.AccessChecked(name, report=report))
        except CourierError as exc:
            self.post_message(self.AccessChecked(name, error=error_text(exc)))
        finally:
            catalog.close()

    def on_credentials_screen_access_checked(self, message: AccessChecked) -> None:
        result = self.query_one("#test-result", Static)
        if message.error:
            result.update(literal(f"✗ {message.error}", style="bold"))
            return
        report = message.report
        result.update(checks_text(report.checks, report.summary, report.ok, report.warnings))
        if report.ok:
            self.courier_app.checked_credentials.add(message.credential)
            self.refresh_data()

    @on(Button.Pressed)
    def _button(self, event: Button.Pressed) -> None:
        actions = {"save": self.action_save, "new": self.action_new, "test": self.action_test}
        if event.button.id in actions:
            actions[event.button.id]()
