"""The Slack messages a portfolio manager reads, rendered from the demo portfolio and from a
500-item one: plain words, a link on every item, short messages, one baseline on a first run."""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import pytest

from lpmsync.analysis import analyse
from lpmsync.domain.alerts import OutgoingMessage
from lpmsync.domain.findings import Finding
from lpmsync.domain.model import WorkItem
from lpmsync.domain.notices import RenderedMessage
from lpmsync.domain.policies import PortfolioPolicy
from lpmsync.domain.routing import RoutingPolicy
from lpmsync.notify.lifecycle import evaluate
from lpmsync.notify.render import SlackRenderer
from lpmsync.notify.wording import ItemLink
from lpmsync.sandbox.generator import DEFAULT_NOW, generate
from lpmsync.services.notify import routing_policy
from lpmsync.settings import load_settings, to_policy
from tests.unit.notify_fixtures import block_texts

DEMO = Path(__file__).resolve().parents[2] / "lpmsync" / "sandbox" / "demo.yaml"
PYTHON_LITERAL = re.compile(r"\b(None|True|False)\b|\[\]|\{\}|': |\"\w+\": ")
MAX_TEXT = 12_000


def portfolio(size: int | None) -> tuple[list[WorkItem], list[Finding], PortfolioPolicy]:
    settings = load_settings(DEMO, check_secrets=False)
    sample = generate(seed=42, size=size)
    items: list[WorkItem] = []
    for name, dataset in (("jira-cloud", sample.jira_cloud), ("ado", sample.ado)):
        source = next(s for s in settings.sources if s.name == name)
        items += sample.work_items(dataset, name, dict(source.mapped_statuses))
    policy = to_policy(settings)
    return items, list(analyse(items, policy, DEFAULT_NOW).findings), policy


@pytest.fixture(scope="module")
def routing() -> RoutingPolicy:
    return routing_policy(load_settings(DEMO, check_secrets=False))


def render(
    findings: list[Finding], items: list[WorkItem], routing: RoutingPolicy, **changes: object
) -> tuple[OutgoingMessage, ...]:
    policy = replace(routing, **changes)  # type: ignore[arg-type]
    links = {
        f"{i.source}:{i.key}": ItemLink(i.source, i.key, i.title, i.url, i.level.value)
        for i in items
    }
    renderer = SlackRenderer(
        theme_names=policy.theme_names,
        items=links,
        people=policy.people,
        show_source=True,
        max_items=policy.max_items,
    )
    result = evaluate(findings, [], silences=[], policy=policy, now=DEFAULT_NOW, renderer=renderer)
    return result.messages


def evidence_keys(findings: list[Finding]) -> set[str]:
    return {key for finding in findings for key in finding.evidence if "_" in key}


def check_messages(messages: tuple[OutgoingMessage, ...], findings: list[Finding]) -> None:
    raw_keys = evidence_keys(findings)
    by_url = {f.subject.url: f for f in findings if f.subject is not None}
    for message in messages:
        texts = block_texts(message_as_rendered(message))
        text = "\n".join(texts)
        assert sum(len(t) for t in texts) < MAX_TEXT
        assert not PYTHON_LITERAL.search(text), PYTHON_LITERAL.search(text)
        prose = re.sub(r"`[^`]*`", "", text)  # config keys in code spans are meant to be there
        leaked = [key for key in raw_keys if re.search(rf"\b{key}\b", prose)]
        assert leaked == [], leaked
        shown = [url for url in by_url if f"<{url}|" in text]
        item_sections = [t for t in texts if t.startswith(("*<", "~*<"))]
        assert len(item_sections) <= 10
        # Every alert about an item names it through its tracker link.
        for section in item_sections:
            assert re.match(r"~?\*<https?://[^|]+\|(Epic|Feature) [^>]+>\*", section), section
        assert len(shown) >= len(item_sections)


def message_as_rendered(message: OutgoingMessage) -> RenderedMessage:
    return RenderedMessage(message.text, message.blocks)


@pytest.mark.parametrize("size", [None, 250], ids=["demo", "500-items"])
def test_messages_are_plain_linked_and_short(size: int | None, routing: RoutingPolicy) -> None:
    items, findings, _ = portfolio(size)
    messages = render(findings, items, routing, baseline_threshold=None)
    assert {m.dedup_key.split(":")[1] for m in messages} == {f.rule for f in findings}
    check_messages(messages, findings)


def test_a_flood_of_unaligned_work_is_one_short_message_per_route(
    routing: RoutingPolicy,
) -> None:
    items, _, policy = portfolio(250)
    findings = list(analyse(items, replace(policy, themes=()), DEFAULT_NOW).findings)
    unaligned = [f for f in findings if f.rule == "unaligned"]
    assert len(unaligned) > 200
    messages = render(findings, items, routing, baseline_threshold=None)
    [message] = [m for m in messages if m.dedup_key.startswith("alert:unaligned:")]
    assert len(message.alert_fingerprints) == len(unaligned)
    assert f"and {len(unaligned) - 10} more" in "\n".join(block_texts(message_as_rendered(message)))
    check_messages(messages, findings)


@pytest.mark.parametrize("size", [None, 250], ids=["demo", "500-items"])
def test_the_first_run_sends_one_baseline_summary(size: int | None, routing: RoutingPolicy) -> None:
    items, findings, _ = portfolio(size)
    [baseline] = render(findings, items, routing)
    text = "\n".join(block_texts(message_as_rendered(baseline)))
    assert f"Portfolio baseline · {len(findings)} alerts open" in text
    assert text.count("\n• ") >= 5 and "The five most pressing" in text
    assert baseline.channel == routing.default_channel and baseline.alert_fingerprints == ()
    check_messages((baseline,), findings)
