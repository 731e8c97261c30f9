"""The persona dashboard presets and the widget registry, transcribed from the
product spec (``seed/000_d100e105ae745fcf.txt``, "4. Dashboards").

Static data: no table, no config, no data version. The spec's "Persona
presets" table gives the seven presets with their widgets in display order,
and "Widget registry" gives each widget's category and default size.

Two things about the spec's registry, kept as they are rather than guessed:

* Its heading says "all 69 widgets" across 18 categories, but the list under
  it names 44 widgets in 15 categories; only those 44 are known, so only
  those are here (``REGISTRY_CLAIMED_COUNT`` records the heading's figure).
* It notes that a few slugs (``taskMatcher``, ``quickStats``) appear under
  several categories because a widget can carry several category tags. The
  registry is therefore a list of (slug, category) entries, not a mapping
  keyed by slug: a slug may repeat with another category. In the list as
  written each of those two slugs appears once.

Accessible widgets for a role: the spec filters by "role + workspace" but
gives no per-widget permission table. A role here is one of the seven
persona presets, and the widgets it may show are that preset's widgets, in
the preset's order, with their registry entries (``accessible_widgets``).
"""

from __future__ import annotations

from dataclasses import dataclass

REGISTRY_CLAIMED_COUNT = 69  # the spec heading's figure; the list itself has 44 entries


@dataclass(frozen=True)
class Widget:
    slug: str
    category: str
    size: str  # small | medium | large | full


# (category, [(slug, size), ...]) in the spec's order.
_REGISTRY_SPEC: list[tuple[str, list[tuple[str, str]]]] = [
    ("Profile & goals", [("welcome", "full"), ("quickStats", "full"), ("myGoals", "medium")]),
    ("Skills", [("languageProficiency", "large"), ("domainExpertise", "medium"), ("frameworksTools", "medium")]),
    ("Analytics", [("workPatterns", "small"), ("peerBenchmark", "medium")]),
    ("AI insights", [("aiInsights", "medium"), ("softSkills", "medium"), ("growthTrajectory", "medium"),
                     ("taskMatcher", "medium")]),
    ("Tracking", [("trackingSummary", "medium"), ("standupStatus", "small"), ("blockersOverview", "medium"),
                  ("timeTracking", "small")]),
    ("Sprints", [("sprintOverview", "large"), ("sprintBurndown", "medium"), ("upcomingDeadlines", "small")]),
    ("Tickets", [("ticketStats", "medium"), ("slaOverview", "medium"), ("recentTickets", "large"),
                 ("ticketsByPriority", "medium")]),
    ("Forms", [("formSubmissions", "medium"), ("recentForms", "medium")]),
    ("Documentation", [("recentDocs", "medium"), ("docActivity", "small")]),
    ("Reviews", [("performanceReviews", "medium"), ("pendingReviews", "medium"), ("reviewCycle", "medium")]),
    ("Learning", [("learningPath", "medium"), ("skillGaps", "medium")]),
    ("Hiring", [("hiringPipeline", "large"), ("candidateStats", "medium"), ("openPositions", "medium"),
                ("interviewSchedule", "medium")]),
    ("CRM", [("crmPipeline", "large"), ("dealStats", "medium"), ("recentDeals", "medium"), ("crmQuickView", "small")]),
    ("Team", [("teamOverview", "large"), ("teamActivity", "medium")]),
    ("Admin", [("orgMetrics", "full"), ("systemHealth", "medium")]),
]

WIDGETS: tuple[Widget, ...] = tuple(
    Widget(slug, category, size) for category, entries in _REGISTRY_SPEC for slug, size in entries
)
CATEGORIES: tuple[str, ...] = tuple(category for category, _ in _REGISTRY_SPEC)
SIZES: tuple[str, ...] = ("small", "medium", "large", "full")

# preset -> widget slugs in display order ("Persona presets" table).
PRESETS: dict[str, tuple[str, ...]] = {
    "developer": ("welcome", "quickStats", "languageProficiency", "workPatterns", "domainExpertise",
                  "frameworksTools", "aiInsights", "softSkills", "growthTrajectory", "peerBenchmark", "myGoals",
                  "performanceReviews", "learningPath"),
    "manager": ("welcome", "quickStats", "teamOverview", "sprintOverview", "trackingSummary", "taskMatcher",
                "peerBenchmark", "aiInsights", "performanceReviews", "myGoals"),
    "product": ("welcome", "sprintOverview", "trackingSummary", "recentDocs", "teamOverview", "myGoals",
                "upcomingDeadlines"),
    "hr": ("welcome", "hiringPipeline", "candidateStats", "softSkills", "performanceReviews", "teamOverview",
           "pendingReviews"),
    "support": ("welcome", "ticketStats", "slaOverview", "recentTickets", "formSubmissions", "crmQuickView"),
    "sales": ("welcome", "crmPipeline", "dealStats", "recentDeals", "formSubmissions", "myGoals"),
    "admin": ("welcome", "orgMetrics", "teamOverview", "hiringPipeline", "ticketStats", "systemHealth"),
}
ROLES: tuple[str, ...] = tuple(PRESETS)


def widget_categories(slug: str) -> list[str]:
    """Every category a slug is tagged with, in registry order."""
    return [w.category for w in WIDGETS if w.slug == slug]


def first_entry(slug: str) -> Widget:
    return next(w for w in WIDGETS if w.slug == slug)


def accessible_widgets(role: str) -> list[Widget]:
    """The widgets a role may show: its preset's, in the preset's order."""
    return [first_entry(slug) for slug in PRESETS[role]]


def _check() -> None:
    known = {w.slug for w in WIDGETS}
    for preset, slugs in PRESETS.items():
        missing = [s for s in slugs if s not in known]
        if missing:
            raise AssertionError(f"preset {preset} names widgets missing from the registry: {missing}")
        if len(set(slugs)) != len(slugs):
            raise AssertionError(f"preset {preset} repeats a widget")
    for w in WIDGETS:
        if w.size not in SIZES:
            raise AssertionError(f"widget {w.slug}: unknown size {w.size}")


_check()
