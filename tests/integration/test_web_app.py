"""The board's pages over the sandbox portfolio, in process (Starlette's TestClient): what each
page shows, the ETag until the next sync, the token, the security headers, hostile titles."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from lpmsync.observability import Metrics, Readiness
from lpmsync.settings import Settings
from lpmsync.settings.web import WebSettings
from lpmsync.store import SqlStore
from lpmsync.web.runtime import board_app
from tests.web_support import HOSTILE_KEY, HOSTILE_TITLE, SyncedPortfolio, sync_sandbox_portfolio

TOKEN = "s3cret-board-token-for-tests"
HTML = {"Accept": "text/html"}


@pytest.fixture(scope="module")
def portfolio(tmp_path_factory: pytest.TempPathFactory) -> SyncedPortfolio:
    return sync_sandbox_portfolio(tmp_path_factory.mktemp("board"))


@pytest.fixture
def store(portfolio: SyncedPortfolio) -> Iterator[SqlStore]:
    store = portfolio.open()
    yield store
    store.close()


def client_for(portfolio: SyncedPortfolio, store: SqlStore, **web: object) -> TestClient:
    settings = portfolio.settings.model_copy(update={"web": WebSettings(**web)})  # type: ignore[arg-type]
    app = board_app(
        settings, store, Metrics().registry, lambda: Readiness(True), lambda: portfolio.now
    )
    return TestClient(app, follow_redirects=False)


@pytest.fixture
def client(portfolio: SyncedPortfolio, store: SqlStore) -> TestClient:
    return client_for(portfolio, store)


def test_the_board_shows_every_state_with_its_limits_and_the_cards(client: TestClient) -> None:
    response = client.get("/", headers=HTML)
    assert response.status_code == 200
    page = response.text
    heads = re.findall(r'<section class="head (\w+)" id="state-\d" data-state="([^"]+)"', page)
    assert [state for _, state in heads] == [
        "Funnel", "Reviewing", "Analyzing", "Ready", "Implementing", "Done"
    ]  # fmt: skip
    status = dict((state, css) for css, state in heads)
    assert status["Implementing"] == "breached" and status["Analyzing"] == "starved"
    assert status["Reviewing"] == "ok"
    assert "epics 36 / max 12" in page and "OVER LIMIT".lower() in page.lower()
    assert page.count('<article class="card') > 200
    assert "last 30 days" in page
    assert re.search(r'href="/items/jira-cloud/PORT-\d+"', page)


def test_filters_narrow_the_board_and_stay_in_the_links(client: TestClient) -> None:
    everything = client.get("/").text.count('<article class="card')
    jira = client.get("/?source=jira-cloud&level=epic").text
    cards = re.findall(r'<a class="key" href="/items/([^/]+)/', jira)
    assert cards and set(cards) == {"jira-cloud"}
    assert len(cards) < everything
    assert "type epic" in jira and '<span class="type feature">' not in jira
    flagged = client.get("/?flagged=1&lanes=theme").text
    assert '<article class="card' in flagged
    assert all("flagged" in card for card in re.findall(r'<article class="card[^"]*"', flagged))
    assert '<h3 class="lane">' in flagged
    assert 'href="/?flagged=1&amp;lanes=value_stream"' in flagged  # the toggle keeps the filter


def test_a_hostile_title_renders_as_text_everywhere(client: TestClient) -> None:
    for path in ("/", f"/items/jira-cloud/{HOSTILE_KEY}", "/findings", "/?source=jira-cloud"):
        page = client.get(path).text
        assert "<script" not in page and "onerror=alert(1)>" not in page, path
    item = client.get(f"/items/jira-cloud/{HOSTILE_KEY}").text
    assert "&lt;script&gt;alert(&#34;owned&#34;)&lt;/script&gt;" in item
    assert HOSTILE_TITLE not in item


def test_the_item_page_explains_theme_findings_history_and_hierarchy(client: TestClient) -> None:
    page = client.get("/items/jira-cloud/PORT-1").text
    assert "Migrate CI/CD pipelines" in page and "why: field <code>Market Growth</code>" in page
    assert 'Reviewing</strong> <span class="muted">from Funnel</span>' in page
    assert page.count('<li><a href="/items/jira-cloud/PORT-') == 9  # its nine features
    child = re.search(r'href="(/items/jira-cloud/PORT-\d+)">PORT-\d+</a> CI/CD pipelines', page)
    assert child is not None
    assert re.search(
        r'Parent:</strong>\s*<a href="/items/jira-cloud/PORT-1">', client.get(child[1]).text
    )
    listed = client.get("/findings?rule=aging&source=jira-cloud").text
    first = re.search(r'href="(/items/jira-cloud/PORT-\d+)"', listed)
    assert first is not None
    aging = client.get(first[1]).text
    assert re.search(r"over its \d+-day limit", aging) and "Next step:" in aging
    missing = client.get("/items/jira-cloud/NOPE-1", headers=HTML)
    assert missing.status_code == 404 and "No item NOPE-1" in missing.text


def test_findings_filter_like_the_slack_links(client: TestClient) -> None:
    every = client.get("/findings").text
    total = int(re.search(r'<strong class="shown">(\d+)</strong>', every)[1])  # type: ignore[index]
    aging = client.get("/findings?rule=aging&source=jira-cloud&severity=warning").text
    shown = int(re.search(r'<strong class="shown">(\d+)</strong>', aging)[1])  # type: ignore[index]
    assert 0 < shown < total
    rows = re.findall(r"</span></td>\s*<td>([a-z-]+)</td>", aging)
    assert set(rows) == {"aging"}
    by_theme = client.get("/findings?theme=unaligned&sort=item").text
    assert "unaligned" in by_theme and 'aria-sort="ascending">Item' in by_theme


def test_pages_are_cached_until_the_next_sync(client: TestClient, store: SqlStore) -> None:
    first = client.get("/")
    etag = first.headers["etag"]
    assert first.headers["cache-control"] == "private, no-cache"
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b""
    run = store.runs.start("sync", "jira-cloud", store.runs.recent(1)[0].started_at + timedelta(1))
    after = client.get("/", headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    store.runs.finish(run, store.runs.recent(1)[0].started_at, "ok", {})


def test_every_page_has_a_strict_policy_and_no_script(client: TestClient) -> None:
    for path in ("/", "/findings", "/items/jira-cloud/PORT-1", "/healthz"):
        response = client.get(path)
        csp = response.headers["content-security-policy"]
        assert "default-src 'none'" in csp and "script-src" not in csp
        assert "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert "<script" not in response.text
        assert " style=" not in response.text  # inline styles would need 'unsafe-inline'


@pytest.mark.slow
def test_the_digest_page_is_the_preview_with_its_charts(client: TestClient) -> None:
    response = client.get("/digest")
    assert response.status_code == 200
    assert "Weekly portfolio digest" in response.text and "data:image/png;base64," in response.text
    csp = response.headers["content-security-policy"]
    assert re.search(r"style-src 'self' 'sha256-[A-Za-z0-9+/=]+'", csp)
    assert "<script" not in response.text


def test_with_a_token_every_page_but_the_probes_needs_it(
    portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BOARD_TOKEN", TOKEN)
    client = client_for(portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN")
    for path in ("/", "/findings?rule=aging", "/items/jira-cloud/PORT-1", "/digest"):
        assert client.get(path).status_code == 401, path
    browser = client.get("/findings?rule=aging", headers=HTML)
    assert browser.status_code == 303
    assert browser.headers["location"] == "/login?next=%2Ffindings%3Frule%3Daging"
    assert client.get("/healthz").status_code == 200 and client.get("/readyz").status_code == 200
    assert client.get("/metrics").status_code == 200  # open unless web.protect_metrics
    assert client.get("/", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_the_login_form_sets_a_strict_http_only_session_cookie(
    portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BOARD_TOKEN", TOKEN)
    client = client_for(portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN")
    assert 'name="token"' in client.get("/login?next=/findings").text
    wrong = client.post("/login", data={"token": "nope", "next": "/findings"})
    assert (
        wrong.status_code == 401 and "not right" in wrong.text and "set-cookie" not in wrong.headers
    )
    good = client.post("/login", data={"token": TOKEN, "next": "//evil.example/x"})
    assert good.status_code == 303 and good.headers["location"] == "/"
    cookie = good.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Path=/" in cookie
    assert TOKEN not in cookie  # an HMAC of the token, not the token
    assert client.get("/findings").status_code == 200  # the client keeps the cookie
    client.post("/logout")
    assert client.get("/findings").status_code == 401


def test_protected_metrics_need_the_token_too(
    portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BOARD_TOKEN", TOKEN)
    client = client_for(
        portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN", protect_metrics=True
    )
    assert client.get("/metrics").status_code == 401
    scraped = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert scraped.status_code == 200 and "lpmsync_outbox_depth" in scraped.text


def test_a_missing_token_variable_is_a_config_error(
    portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("LPMSYNC_TEST_BOARD_TOKEN", raising=False)
    with pytest.raises(Exception, match="LPMSYNC_TEST_BOARD_TOKEN is not set") as raised:
        client_for(portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN")
    assert "web.auth_token_env" in str(raised.value)


def test_settings_carry_the_web_section(tmp_path: Path) -> None:
    assert Settings.model_fields["web"].default_factory is not None
    assert WebSettings(base_url="https://lpm.example/").base_url == "https://lpm.example"
    with pytest.raises(ValueError, match="http:// or https://"):
        WebSettings(base_url="lpm.example")


def test_guessing_the_token_is_stopped_after_five_wrong_tries(
    portfolio: SyncedPortfolio,
    store: SqlStore,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BOARD_TOKEN", TOKEN)
    client = client_for(portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN")
    for _ in range(6):  # an empty form is not a guess
        assert client.post("/login", data={"token": ""}).status_code == 401
    signed_in = TestClient(client.app, follow_redirects=False)
    assert signed_in.post("/login", data={"token": TOKEN}).status_code == 303
    tries = [client.post("/login", data={"token": f"guess-{n}"}) for n in range(5)]
    assert [t.status_code for t in tries] == [401, 401, 401, 401, 429]
    locked = tries[-1]
    assert 0 < int(locked.headers["retry-after"]) <= 60
    assert "Too many wrong tokens from your address: try again in" in locked.text
    assert "5 wrong access tokens from testclient within 60 s" in caplog.text
    assert "guess-" not in caplog.text and TOKEN not in caplog.text
    # While the address is locked out, not even the right token is checked, in either form.
    assert client.post("/login", data={"token": TOKEN}).status_code == 429
    bearer = client.get("/", headers={"Authorization": f"Bearer {TOKEN}"})
    assert bearer.status_code == 429 and "retry-after" in bearer.headers
    # A session signed in earlier, and another address, are not affected.
    assert signed_in.get("/findings").status_code == 200
    elsewhere = TestClient(client.app, follow_redirects=False, client=("192.0.2.9", 40000))
    assert elsewhere.get("/", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_wrong_bearer_tokens_count_but_a_missing_one_does_not(
    portfolio: SyncedPortfolio, store: SqlStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LPMSYNC_TEST_BOARD_TOKEN", TOKEN)
    client = client_for(portfolio, store, auth_token_env="LPMSYNC_TEST_BOARD_TOKEN")
    for _ in range(10):  # a browser without its cookie is sent to the login form, not counted
        assert client.get("/", headers=HTML).status_code == 303
    wrong = [client.get("/", headers={"Authorization": "Bearer nope"}) for _ in range(5)]
    assert [w.status_code for w in wrong] == [401, 401, 401, 401, 429]
