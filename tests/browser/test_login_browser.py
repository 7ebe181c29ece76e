"""Signing in through the real login form in Chromium."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.support.world import PASSWORD

pytestmark = pytest.mark.browser


def sign_in(page, live_server: str, email: str, password: str = PASSWORD) -> None:
    page.goto(live_server + "/")
    expect(page).to_have_url(live_server + "/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("button[type=submit]")


def test_client_user_signs_in_to_the_client_portal(page, live_server, browser_world, screenshot):
    world = browser_world
    sign_in(page, live_server, world.email("acme_sourcing"))
    expect(page).to_have_url(live_server + "/client/")
    expect(page.get_by_test_id("home-title")).to_have_text(f"Acme {world.suffix} — client portal")
    expect(page.get_by_test_id("audience")).to_have_text("Client portal")
    expect(page.get_by_text("Signed in as Acme Sourcing (sourcing).")).to_be_visible()
    expect(page.get_by_text(f"North {world.suffix}")).to_be_visible()
    screenshot("login-client-portal")


def test_provider_buyer_signs_in_to_the_provider_console(
    page, live_server, browser_world, screenshot
):
    world = browser_world
    sign_in(page, live_server, world.email("north_buyer"))
    expect(page).to_have_url(live_server + "/provider/")
    expect(page.get_by_test_id("home-title")).to_have_text(
        f"North {world.suffix} — provider console"
    )
    clients = page.get_by_test_id("clients")
    expect(clients).to_contain_text(f"Acme {world.suffix}")
    expect(clients).to_contain_text(f"Globex {world.suffix}")
    screenshot("login-provider-console")


def test_a_wrong_password_stays_on_the_form_with_a_clear_message(page, live_server, browser_world):
    sign_in(page, live_server, browser_world.email("acme_viewer"), "not-the-password")
    expect(page.get_by_test_id("form-error")).to_have_text("Email or password is not correct.")
    expect(page).to_have_url(live_server + "/login")
    expect(page.get_by_test_id("home-title")).to_have_count(0)
