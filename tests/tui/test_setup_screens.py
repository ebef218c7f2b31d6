"""Credentials, courier setup and cron screens, driven with Pilot against a real workspace and the
moto `s3` server where S3 is involved."""

from __future__ import annotations

import json
from pathlib import Path

from textual.widgets import Input, Select, TextArea

from tests.tui.helpers import (
    ACCOUNT,
    BUCKET,
    COURIER,
    CREDENTIAL,
    make_app,
    offline_workspace,
    s3_workspace,
    settle,
    upload_synthetic,
    wait_for,
    wait_for_screen,
    workers_idle,
)


async def type_into(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Focus a field and type `text` key by key (as an operator would)."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await wait_for(pilot, lambda: pilot.app.focused is widget, what=f"focus on {selector}")
    if isinstance(widget, Input):
        widget.value = ""
    await pilot.press(*text)


async def fill(pilot, selector: str, text: str) -> None:  # type: ignore[no-untyped-def]
    """Set a field's value at once (long values; typing them key by key only slows the test)."""
    pilot.app.screen.query_one(selector, Input).value = text
    await settle(pilot)  # the screen has handled the change (validation, suggestions)


def static_text(app, selector: str) -> str:  # type: ignore[no-untyped-def]
    return str(app.screen.query_one(selector).render())


async def test_add_credential_through_the_form_then_test_connection(tmp_path: Path, s3) -> None:
    upload_synthetic(s3, days=1, rows=20)
    setup = offline_workspace(tmp_path / "ws", credential=False, courier=False)
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c", "n")
        await wait_for(pilot, lambda: str(app.screen.query_one("#credential-form").border_title) == "New credential",
                       what="the new credential form")
        await type_into(pilot, "#cred-name", "opt-keys")
        await fill(pilot, "#cred-access_key_id", "AKIAIOSFODNN7EXAMPLE")
        await fill(pilot, "#cred-secret_access_key", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY")
        assert app.screen.query_one("#cred-secret_access_key", Input).password  # masked
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: setup.catalog.one("SELECT 1 FROM credentials WHERE name = 'opt-keys'"),
                       what="the saved credential")
        from courier.core.config.credentials import get_credential

        assert get_credential(setup.catalog, "opt-keys").access_key_id == "AKIAIOSFODNN7EXAMPLE"
        assert app.screen.query_one("#cred-secret_access_key", Input).value == ""  # not kept on screen
        await fill(pilot, "#test-bucket", BUCKET)
        await fill(pilot, "#test-endpoint", s3.endpoint_url)
        app.screen.query_one("#credential-table").focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: workers_idle(app) and "Connection" in static_text(app, "#test-result"),
                       what="the connection test's result")
        result = static_text(app, "#test-result")
        assert "✓ identity" in result and "✓ list" in result and "✓ read" in result
        assert result.count("✓") == 3
        assert "Connection successful" in result
        assert "opt-keys" in app.checked_credentials
    setup.close()


async def test_credential_form_shows_the_engine_error_next_to_it(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws", credential=False, courier=False)
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c", "n")
        await wait_for(pilot, lambda: str(app.screen.query_one("#credential-form").border_title) == "New credential",
                       what="the new credential form")
        await type_into(pilot, "#cred-name", "bad")
        await fill(pilot, "#cred-access_key_id", "not-a-key")
        await fill(pilot, "#cred-secret_access_key", "x" * 40)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: static_text(app, "#cred-error") != "", what="the engine's error")
        assert "does not look like an AWS access key id" in static_text(app, "#cred-error")
        assert setup.catalog.one("SELECT 1 FROM credentials") is None
    setup.close()


async def test_editing_a_credential_with_the_secret_left_empty_keeps_the_stored_secret(tmp_path: Path) -> None:
    from courier.core.config.credentials import get_credential, load_secret

    from tests.tui.helpers import TEST_SECRET

    setup = offline_workspace(tmp_path / "ws", courier=False)
    role = "arn:aws:iam::123456789012:role/export-reader"
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_for_screen(pilot, "HomeScreen")
        await pilot.press("c")
        await wait_for_screen(pilot, "CredentialsScreen")
        app.screen.edit(CREDENTIAL)
        await wait_for(pilot, lambda: app.screen.query_one("#cred-name", Input).value == CREDENTIAL,
                       what="the credential in the form")
        assert app.screen.query_one("#cred-secret_access_key", Input).value == ""
        await fill(pilot, "#cred-role_arn", role)
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: get_credential(setup.catalog, CREDENTIAL).role_arn == role, what="the saved role")
        assert static_text(app, "#cred-error") == ""
    assert get_credential(setup.catalog, CREDENTIAL).role_arn == role
    assert load_secret(setup.catalog, CREDENTIAL) == {"secret_access_key": TEST_SECRET}
    setup.close()


async def test_courier_setup_live_json_error_preset_and_save(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws", courier=False)
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        screen = await wait_for_screen(pilot, "CourierSetupScreen")
        entities = screen.query_one("#entities-editor")
        area = entities.query_one(TextArea)
        area.focus()
        area.load_text("")
        await pilot.press("[", "enter", *'  {"object/type": "file",,')
        await settle(pilot)
        assert not entities.ok
        shown = static_text(app, "#entities-editor .json-status")
        assert "line 2, column 26" in shown
        # the preset replaces it with a valid list for the account
        await type_into(pilot, "#preset-account", ACCOUNT)
        await pilot.press("ctrl+o")
        await wait_for(pilot, lambda: entities.ok, what="the preset's entities")
        assert entities.ok
        assert [e["object/land-as"]["file/tag"] for e in json.loads(entities.text)] == ["decisions", "conversions"]
        assert screen.query_one("#courier-bucket", Input).value == BUCKET
        # a schema error names the JSON pointer
        loadops = screen.query_one("#loadops-editor")
        loadops.text = '{"df-xxxxxx": [{"type": "load", "file": "decisons"}]}'
        await settle(pilot)
        assert not loadops.ok and "/df-xxxxxx/0/file" in static_text(app, "#loadops-editor .json-status")
        loadops.text = '{"df-xxxxxx": [{"type": "load", "file": "decisions"}]}'
        await settle(pilot)
        assert loadops.ok and "placeholder" in static_text(app, "#loadops-editor .json-warnings")
        await type_into(pilot, "#courier-name", COURIER)
        assert screen.query_one("#courier-credential", Select).value == CREDENTIAL
        await pilot.press("ctrl+s")
        await wait_for(pilot, lambda: static_text(app, "#setup-result") != "", what="the save's result")
        assert "saved courier" in static_text(app, "#setup-result")
        from courier.core.config.couriers import get_courier

        saved = get_courier(setup.catalog, COURIER)
        assert saved.bucket == BUCKET and list(saved.load_operations_json) == ["df-xxxxxx"]
    setup.close()


async def test_courier_validate_runs_for_a_day_in_a_worker(tmp_path: Path, s3) -> None:
    setup = s3_workspace(tmp_path / "ws", s3)
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("s")
        await wait_for_screen(pilot, "CourierSetupScreen")
        assert app.screen.query_one("#courier-name", Input).value == COURIER  # the existing courier is loaded
        await fill(pilot, "#validate-day", setup.days[0].isoformat())
        await pilot.press("ctrl+t")
        await wait_for(pilot, lambda: workers_idle(app) and "Validat" in static_text(app, "#setup-result"),
                       what="the validation's result")
        result = static_text(app, "#setup-result")
        assert "Validation passed" in result, result
        assert f"files on {setup.days[0].isoformat()}" in result
    setup.close()


async def test_cron_screen_explains_as_you_type_and_names_the_bad_field(tmp_path: Path) -> None:
    setup = offline_workspace(tmp_path / "ws")
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for_screen(pilot, "CronScreen")
        await type_into(pilot, "#cron-expr", "30 2 * * *")
        await fill(pilot, "#cron-zone", "America/New_York")
        assert "02:30" in static_text(app, "#cron-description")
        assert "America/New_York" in static_text(app, "#cron-next")
        assert "02:30 does not exist in America/New_York" in static_text(app, "#cron-warnings")  # DST gap
        await type_into(pilot, "#cron-expr", "30 25 * * *")
        await settle(pilot)
        assert "hour" in static_text(app, "#cron-error")
        assert static_text(app, "#cron-description") == ""
        await type_into(pilot, "#cron-zone", "Europe/Lond")
        assert app.screen.query_one("#cron-zone", Input)._suggestion == "Europe/London"  # inline completion
        await settle(pilot)
        assert "Europe/London" in static_text(app, "#zone-matches")
    setup.close()


async def test_groups_list_shows_next_fire_and_last_result(tmp_path: Path) -> None:
    from courier.core.schedule.groups import add_group, new_group

    setup = offline_workspace(tmp_path / "ws")
    add_group(setup.catalog, new_group("nightly", [COURIER], cron="30 8 * * *", timezone="America/New_York"))
    app = make_app(setup.workspace)  # clock pinned at 2026-11-03 12:00 UTC (07:00 in New York)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("g")
        await wait_for(pilot, lambda: app.screen.query_one("#groups-table").row_count == 1, what="the group listed")
        table = app.screen.query_one("#groups-table")
        row = [str(cell) for cell in table.get_row_at(0)]
        assert row[0] == "nightly" and row[2] == COURIER
        assert row[3] == "Tue 2026-11-03 08:30 EST"
        assert row[4] == "never run"
        table.focus()
        await pilot.press("enter")
        await wait_for(pilot, lambda: app.screen.query_one("#cron-zone", Input).value == "America/New_York",
                       what="the group's schedule in the form")
    setup.close()
