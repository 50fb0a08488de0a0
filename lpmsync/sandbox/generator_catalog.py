"""The sample portfolio's vocabulary: value streams, strategic themes, trackers' status names,
people and words for titles. Shared by the generator, the personalities and demo.yaml.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

FUNNEL, REVIEWING, ANALYZING, READY, IMPLEMENTING, DONE = (
    "Funnel",
    "Reviewing",
    "Analyzing",
    "Ready",
    "Implementing",
    "Done",
)
PARKED = "(parked)"
"""The generator's name for a status that no source mapping knows (Jira "Parked", ADO "On Hold")."""

FLOW = (FUNNEL, REVIEWING, ANALYZING, READY, IMPLEMENTING, DONE)
"""Portfolio Kanban states in order; an item's history walks a prefix of it."""
ACTIVE = frozenset({REVIEWING, ANALYZING, READY, IMPLEMENTING})


@dataclass(frozen=True)
class SampleTheme:
    key: str
    name: str
    label: str  # Jira label
    tag: str  # Azure DevOps tag
    active_until: date | None = None


THEMES = (
    SampleTheme("cx", "Customer Experience", "cx", "CX"),
    SampleTheme("platform", "Platform Modernisation", "platform", "Platform"),
    SampleTheme("data", "Data & AI", "data", "Data"),
    SampleTheme("growth", "Market Growth", "growth", "Growth"),
    SampleTheme("legacy", "Legacy Retirement", "legacy", "Legacy", active_until=date(2026, 6, 30)),
)
THEME_BY_KEY = {theme.key: theme for theme in THEMES}

VALUE_STREAMS: dict[str, tuple[str, ...]] = {
    "Payments": ("Checkout", "Billing", "Fraud"),
    "Mobile": ("iOS", "Android", "Mobile Web"),
    "Platform": ("Cloud Foundation", "Identity", "Developer Experience"),
    "Data": ("Analytics", "Machine Learning", "Data Platform"),
}


@dataclass(frozen=True)
class Flavor:
    """How one tracker names things: project, keys, statuses and theme labels."""

    project: str
    statuses: dict[str, str]  # portfolio state (or PARKED) -> tracker status
    first_id: int
    jira_keys: bool  # "PORT-12" keys; otherwise the numeric id is the key
    theme_labels_are_tags: bool
    area_path_root: str | None = None
    effort_is_job_size: bool = False  # one "Effort" field serves as estimate and WSJF job size

    def key_for(self, number: int) -> str:
        return f"{self.project}-{number}" if self.jira_keys else str(self.first_id + number)

    def id_for(self, number: int) -> int:
        return self.first_id + number


JIRA_STATUSES = {
    FUNNEL: "Funnel",
    REVIEWING: "Reviewing",
    ANALYZING: "Analyzing",
    READY: "Ready",
    IMPLEMENTING: "In Progress",
    DONE: "Done",
    PARKED: "Parked",
}
ADO_STATES = {
    FUNNEL: "New",
    REVIEWING: "Reviewing",
    ANALYZING: "Analyzing",
    READY: "Ready",
    IMPLEMENTING: "Active",
    DONE: "Closed",
    PARKED: "On Hold",
}
JIRA_MAPPING = {status: state for state, status in JIRA_STATUSES.items() if state != PARKED}
"""Tracker status -> portfolio state, as demo.yaml maps it ("Parked" stays unmapped)."""
ADO_MAPPING = {status: state for state, status in ADO_STATES.items() if state != PARKED}

JIRA_CLOUD = Flavor("PORT", JIRA_STATUSES, 10000, jira_keys=True, theme_labels_are_tags=False)
JIRA_DC = Flavor("ENT", JIRA_STATUSES, 20000, jira_keys=True, theme_labels_are_tags=False)
ADO = Flavor(
    "Contoso",
    ADO_STATES,
    1000,
    jira_keys=False,
    theme_labels_are_tags=True,
    area_path_root="Contoso",
)

OTHER_LABELS = ("regulatory", "customer-request", "q1-commit", "tech-debt", "quick-win")
"""Labels that mean nothing to any theme (they must never match a theme's rules)."""

PEOPLE = (
    "Amara Okafor",
    "Ben Fischer",
    "Chloe Martin",
    "Diego Alvarez",
    "Elif Yilmaz",
    "Felix Wagner",
    "Grace Liu",
    "Hannah Schmidt",
    "Ivan Petrov",
    "Jonas Berg",
    "Kavya Nair",
    "Lena Hoffmann",
    "Mateo Rossi",
    "Nora Lindqvist",
    "Omar Haddad",
    "Priya Sharma",
    "Quentin Dubois",
    "Rosa Jimenez",
    "Sven Larsen",
    "Tara Byrne",
)


def email_of(person: str) -> str:
    return person.lower().replace(" ", ".") + "@acme.example"


EPIC_VERBS = (
    "Launch",
    "Modernise",
    "Consolidate",
    "Automate",
    "Scale",
    "Redesign",
    "Migrate",
    "Simplify",
    "Expand",
    "Harden",
)
EPIC_NOUNS: dict[str, tuple[str, ...]] = {
    "Payments": (
        "instant SEPA payouts",
        "one-click checkout",
        "subscription billing",
        "card tokenisation",
        "fraud scoring",
        "refund handling",
        "multi-currency wallets",
        "merchant onboarding",
    ),
    "Mobile": (
        "the iOS banking app",
        "Android offline mode",
        "push notification centre",
        "in-app support chat",
        "biometric login",
        "mobile onboarding",
        "accessibility of the app",
        "app performance",
    ),
    "Platform": (
        "the Kubernetes estate",
        "the identity provider",
        "CI/CD pipelines",
        "observability stack",
        "the API gateway",
        "secrets management",
        "the service mesh",
        "developer portal",
    ),
    "Data": (
        "the customer data platform",
        "churn prediction",
        "the data lakehouse",
        "real-time dashboards",
        "recommendation models",
        "data quality monitoring",
        "GDPR data lineage",
        "self-service analytics",
    ),
}
FEATURE_PARTS = (
    "API contract",
    "UI design",
    "data migration",
    "load testing",
    "pilot with two markets",
    "rollout to all markets",
    "monitoring and alerting",
    "security review",
    "accessibility fixes",
    "A/B experiment",
    "terms & conditions update",
    "support runbook",
    "feature flag cleanup",
    "backend service",
    "reporting",
)
