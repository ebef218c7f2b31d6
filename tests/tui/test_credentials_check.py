"""Test connection in the TUI when the prefix holds nothing: a warning naming the account id, the read
check shown as not run (never a check mark), and no "Connection successful"."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input

from tests.tui.helpers import (
    BUCKET,
    CREDENTIAL,
    make_app,
    s3_workspace,
    wait_for,
    wait_for_screen,
    workers_idle,
)


async def test_nothing_under_the_prefix_is_a_warning_not_a_pass(tmp_path: Path, s3) -> None:
    setup = s3_workspace(tmp_path / "ws", s3, courier=False)  # the export is under v1/account_id=1234567890/
    app = make_app(setup.workspace)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("c")
        await wait_for_screen(pilot, "CredentialsScreen")
        app.screen.query_one("#credential-table").focus()
        await pilot.press("enter")  # edit the workspace's one credential
        await wait_for(pilot, lambda: app.screen.query_one("#cred-name", Input).value == CREDENTIAL,
                       what="the credential in the form")
        app.screen.query_one("#test-bucket", Input).value = BUCKET
        app.screen.query_one("#test-prefix", Input).value = "v1/account_id=1234567809/"  # two digits swapped
        app.screen.query_one("#test-endpoint", Input).value = s3.endpoint_url
        app.screen.query_one("#credential-table").focus()
        await pilot.press("t")
        await wait_for(pilot, lambda: workers_idle(app) and "Connection" in str(app.screen.query_one("#test-result").render()),
                       what="the connection test's result")
        result = str(app.screen.query_one("#test-result").render())
        assert "✓ identity" in result and "✓ list" in result
        assert "– read: not run: no object under" in result and "✓ read" not in result
        assert "! nothing under s3://optimizely-events-data/v1/account_id=1234567809/" in result
        assert "account id '1234567809'" in result and "v1/account_id=1234567890/" in result  # the real one
        assert "Connection successful" not in result and "Connection not confirmed" in result
        assert not app.checked_credentials  # onboarding's step 2 is not done by this
    setup.close()
