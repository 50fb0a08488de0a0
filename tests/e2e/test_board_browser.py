"""The board in a real browser: Playwright driving Debian's chromium over the sandbox portfolio.

Chromium is found via LPMSYNC_CHROMIUM or /usr/bin/chromium (`apt-get install chromium`; no
Playwright browser download). Without it these tests skip on a workstation and FAIL under CI=true.
`LPMSYNC_SCREENSHOTS=<dir>` also writes the board and an item page there (docs/images).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from lpmsync.notify.render_html import preview_html
from lpmsync.observability import Metrics, Readiness
from lpmsync.settings.web import WebSettings
from lpmsync.store import SqlStore
from lpmsync.web import WebServer
from lpmsync.web.runtime import board_server
from tests.web_support import HOSTILE_KEY, HOSTILE_TITLE, SyncedPortfolio, sync_sandbox_portfolio

TOKEN = "browser-test-token-0123456789"
RED = "rgb(207, 34, 46)"


def chromium() -> str:
    path = os.environ.get("LPMSYNC_CHROMIUM") or "/usr/bin/chromium"
    if Path(path).is_file():
        return path
    if os.environ.get("CI") == "true":
        pytest.fail(f"chromium not found at {path} under CI=true (.ci/run installs it with apt)")
    pytest.skip(f"chromium not found at {path} (apt-get install chromium, or set LPMSYNC_CHROMIUM)")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    executable = chromium()
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        if os.environ.get("CI") == "true":
            pytest.fail("playwright is missing under CI=true (make test installs it from uv.lock)")
        pytest.skip("playwright is not installed")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=["--no-sandbox"])
        yield launched
        launched.close()


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> SyncedPortfolio:
    return sync_sandbox_portfolio(tmp_path_factory.mktemp("browser"))


@pytest.fixture(scope="module")
def store(portfolio: SyncedPortfolio) -> Iterator[SqlStore]:
    store = portfolio.open()
    yield store
    store.close()


def start(portfolio: SyncedPortfolio, store: SqlStore, **web: Any) -> WebServer:
    settings = portfolio.settings.model_copy(update={"web": WebSettings(**web)})
    return board_server(
        settings,
        store,
        Metrics().registry,
        lambda: Readiness(True),
        lambda: portfolio.now,
        host="127.0.0.1",
        port=0,
    ).start()


@pytest.fixture(scope="module")
def board(portfolio: SyncedPortfolio, store: SqlStore) -> Iterator[str]:
    server = start(portfolio, store)
    yield server.url
    server.stop()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1600, "height": 1000})
    page = context.new_page()
    errors: list[str] = []
    dialogs: list[str] = []
    page.on(
        "console", lambda message: errors.append(message.text) if message.type == "error" else None
    )
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.errors, page.dialogs = errors, dialogs
    yield page
    assert not dialogs, dialogs  # nothing on any page ever ran a script
    assert not errors, errors  # no CSP violation, no missing resource
    context.close()


def test_the_board_loads_with_its_breached_column_marked(page: Any, board: str) -> None:
    page.goto(board + "/")
    heads = page.locator("section.head h2")
    assert [re.sub(r"\s+\d+$", "", text) for text in heads.all_inner_texts()] == [
        "Funnel", "Reviewing", "Analyzing", "Ready", "Implementing", "Done"
    ]  # fmt: skip
    breached = page.locator("section.head.breached")
    assert breached.count() == 1 and breached.locator("h2").inner_text().startswith("Implementing")
    chip = breached.locator("p.chip.breached")
    assert "over limit" in chip.inner_text().lower()
    assert chip.evaluate("el => getComputedStyle(el).backgroundColor") == RED
    assert page.locator("section.head.starved h2").inner_text().startswith("Analyzing")
    assert page.locator("article.card").count() > 200
    shots = os.environ.get("LPMSYNC_SCREENSHOTS")
    if shots:
        page.screenshot(path=str(Path(shots) / "board.png"))


def test_filters_apply_and_stay_in_the_address(page: Any, board: str) -> None:
    page.goto(board + "/")
    page.select_option("select[name=source]", "ado")
    page.check("input[name=flagged]")
    page.click("form.filters button[type=submit]")
    page.wait_for_url(re.compile(r"source=ado"))
    assert "flagged=1" in page.url
    cards = page.locator("article.card")
    assert cards.count() > 0
    assert set(cards.locator("span.src").all_inner_texts()) == {"ado"}
    assert all(card.locator("span.badge").count() > 0 for card in cards.all())
    page.click(".lanes a:text-is('theme')")  # the swimlane toggle keeps the filters
    page.wait_for_url(re.compile(r"lanes=theme"))
    assert "source=ado" in page.url and page.locator("h3.lane").count() > 1


def test_a_card_opens_its_item_page(page: Any, board: str) -> None:
    page.goto(board + "/?source=jira-cloud&level=epic")
    card = page.locator("article.card").first
    key = card.locator("a.key").inner_text()
    title = card.locator("p.title").inner_text()
    tracker = card.locator("a.ext").get_attribute("href")
    card.locator("a.key").click()
    page.wait_for_url(re.compile(rf"/items/jira-cloud/{re.escape(key)}$"))
    assert page.locator("h1").inner_text() == title
    assert page.locator("a.button").get_attribute("href") == tracker
    assert page.locator("text=State history").count() == 1
    if os.environ.get("LPMSYNC_SCREENSHOTS"):
        page.goto(board + "/items/jira-cloud/PORT-24")
        page.screenshot(path=str(Path(os.environ["LPMSYNC_SCREENSHOTS"]) / "item.png"))


def test_an_and_n_more_link_in_slack_opens_the_filtered_findings(page: Any, board: str) -> None:
    # As Slack shows an alert group: mrkdwn with `&` escaped, the link at the end.
    url = f"{board}/findings?rule=aging&amp;source=jira-cloud&amp;severity=warning"
    text = f"*Aging items* in the portfolio: PORT-24 and others. <{url}|and 1 more>"
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]
    page.set_content(preview_html("Slack", [("aging alert", blocks)], {}))
    page.click("text=and 1 more")
    page.wait_for_url(re.compile(r"/findings\?rule=aging&source=jira-cloud&severity=warning$"))
    rows = page.locator("table.findings tbody tr")
    assert rows.count() == 2
    for row in rows.all():
        cells = row.locator("td").all_inner_texts()
        assert cells[1] == "aging" and cells[4] == "jira-cloud"
    assert page.locator("select[name=rule]").input_value() == "aging"


def test_a_hostile_title_is_text(page: Any, board: str) -> None:
    page.goto(f"{board}/items/jira-cloud/{HOSTILE_KEY}")
    assert page.locator("h1").inner_text() == HOSTILE_TITLE
    assert page.locator("img[src=x], b:text('bold')").count() == 0
    page.goto(board + "/?source=jira-cloud&all=1")  # every card, not only each cell's first
    assert HOSTILE_TITLE in page.locator("article.card p.title").all_inner_texts()


def test_with_a_token_the_board_asks_to_sign_in(
    browser: Any, portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BROWSER_TOKEN", TOKEN)
    server = start(portfolio, store, auth_token_env="LPMSYNC_TEST_BROWSER_TOKEN")
    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(server.url + "/findings?rule=aging")
        assert page.url.startswith(server.url + "/login?next=")
        page.fill("input[name=token]", "wrong")
        page.click("form[action='/login'] button")
        assert "not right" in page.locator("p.error").inner_text()
        page.fill("input[name=token]", TOKEN)
        page.click("form[action='/login'] button")
        page.wait_for_url(server.url + "/findings?rule=aging")
        assert page.locator("table.findings").count() == 1
        (cookie,) = context.cookies()
        assert cookie["httpOnly"] and cookie["sameSite"] == "Strict" and cookie["value"] != TOKEN
        page.click("text=Sign out")
        page.wait_for_url(re.compile(r"/login"))
        page.goto(server.url + "/")
        assert "/login" in page.url
    finally:
        context.close()
        server.stop()
