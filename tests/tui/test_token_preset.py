"""Issue 6's shortest path in the TUI: an Optimizely token credential fills the courier for you."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from courier.core.catalog.catalog import Catalog
from courier.core.catalog.workspace import open_workspace
from courier.core.config.credentials import add_credential
from courier.core.optimizely import preset_entities
from courier.tui.app import CourierApp
from textual.widgets import Input, Select

from tests.token_server import TokenServer
from tests.tui.helpers import wait_for


def _mint() -> dict[str, Any]:  # the keys are not used: filling the form only reads the s3Path
    return {"AccessKeyId": "ASIAEXAMPLEEXAMPLE01", "SecretAccessKey": "s" * 40, "SessionToken": "t" * 40}


async def test_preset_with_a_token_credential_asks_optimizely_for_account_and_bucket(tmp_path: Path) -> None:
    workspace = open_workspace(tmp_path / "ws")
    catalog = Catalog(workspace)
    with TokenServer(mint=_mint, token="2:token-for-tests", account_id="8675309") as api:
        add_credential(catalog, "opt-token", "optimizely-token", token="2:token-for-tests", api_url=api.url)
        app = CourierApp(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "CourierSetupScreen", what="courier setup")
            screen: Any = app.screen
            assert screen.query_one("#courier-credential", Select).value == "opt-token"
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: screen.query_one("#preset-account", Input).value == "8675309",
                           what="the token exchange to fill the account")
            await wait_for(pilot, lambda: screen.query_one("#entities-editor").ok, what="the preset entities")
            assert json.loads(screen.query_one("#entities-editor").text) == preset_entities("8675309")
            assert screen.query_one("#courier-bucket", Input).value == "optimizely-events-data"
            assert screen.query_one("#courier-region", Input).value == "us-east-1"
        assert api.exchanges == 1

        api.mode = "401"
        app = CourierApp(workspace)
        async with app.run_test(size=(120, 40)) as pilot:
            await pilot.press("s")
            await wait_for(pilot, lambda: type(app.screen).__name__ == "CourierSetupScreen", what="courier setup")
            await pilot.press("ctrl+o")
            await wait_for(pilot, lambda: "✗ Optimizely token" in str(app.screen.query_one("#setup-result").render()),
                           what="the token error next to the form")
            assert "rejected" in str(app.screen.query_one("#setup-result").render())
    catalog.close()
