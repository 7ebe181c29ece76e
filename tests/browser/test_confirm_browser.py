"""The confirmation dialog in Chromium: dismissed, nothing happens; accepted,
the action is taken in one step (no confirmation page)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.test_login_browser import sign_in

pytestmark = pytest.mark.browser


def test_deactivating_asks_first_and_a_dismissed_dialog_changes_nothing(
    page, live_server, browser_world
):
    world = browser_world
    sign_in(page, live_server, world.email("acme_admin"))
    page.goto(live_server + "/organisation/members")
    row = page.get_by_test_id("members").locator("tr", has_text="Acme Viewer")
    questions = []

    def dismiss(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.once("dialog", dismiss)
    row.get_by_test_id("deactivate").click()
    expect(row).to_contain_text("Active")
    assert questions and questions[0].startswith("Deactivate Acme Viewer?")

    page.once("dialog", lambda dialog: dialog.accept())
    row.get_by_test_id("deactivate").click()
    expect(page.get_by_text("Acme Viewer can no longer sign in")).to_be_visible()
    expect(page.get_by_test_id("confirm-step")).to_have_count(0)
    expect(row).to_contain_text("Deactivated")
