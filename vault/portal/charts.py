"""Server-rendered SVG chart of the log page: organisations' accesses to the pod over time.

No script and no inline style (the CSP refuses both): presentation attributes only. The numbers
are also returned as a table, for screen readers and for anyone who prefers them.
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet
from django.db.models.functions import TruncDay, TruncMonth
from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _

from accounts import timezones
from core.words import labelled
from vault.models import AccessEvent

# Accesses: reads and refused attempts by organisations (not issuances, nor the citizen's own acts).
ACCESS_ACTIONS = (AccessEvent.Action.CREDENTIAL_READ, AccessEvent.Action.ACCESS_DENIED)
MOST_SERIES = 5  # the busiest organisations by name; the rest together as "others"
MOST_BARS = 24
# Colours told apart by people with the common colour-vision deficiencies (Okabe-Ito), dark
# enough on white for WCAG's 3:1 for graphics.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#7A6A00", "#555555")
WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 220, 40, 28, 10


@dataclass(frozen=True)
class Chart:
    svg: SafeString
    periods: list[str]
    series: list[tuple[str, str, list[int]]]  # (name, colour, count per period)
    total: int


@dataclass(frozen=True)
class Tally:
    """What the log page needs of the whole selection: how many entries (the pagination's count)
    and the chart of its accesses (None when no organisation accessed anything)."""

    entries: int
    chart: Chart | None


def _accesses() -> Q:
    return Q(actor_kind=AccessEvent.ActorKind.ORGANISATION, action__in=ACCESS_ACTIONS, pruned_at__isnull=True)


def tally(events: QuerySet[AccessEvent]) -> Tally:
    """Count ``events`` and chart their accesses in one pass over the selection.

    One ``GROUP BY`` month (in the portal's zone) and label gives, per group, the entries, the
    accesses and the accesses' first and last moments: the sum of the entries is the page count,
    the moments are the chart's span, the accesses its bars. Only a span of a month or less (bars
    per day) needs a second query, grouped by day.
    """
    zone = timezones.portal_zone()  # days and months as the page shows them
    accesses = _accesses()
    rows = list(
        events.order_by()
        .annotate(period=TruncMonth("occurred_at", tzinfo=zone))
        .values("period", "actor_label")
        .annotate(
            n=Count("id"),
            accessed=Count("id", filter=accesses),
            first=Min("occurred_at", filter=accesses),
            last=Max("occurred_at", filter=accesses),
        )
    )
    entries = sum(row["n"] for row in rows)
    accessed: list[Any] = [row for row in rows if row["accessed"]]
    if not accessed:
        return Tally(entries, None)
    first = min(row["first"] for row in accessed)
    last = max(row["last"] for row in accessed)
    daily = (last - first).days <= 31
    if daily:
        accessed = list(
            events.filter(accesses)
            .order_by()
            .annotate(period=TruncDay("occurred_at", tzinfo=zone))
            .values("period", "actor_label")
            .annotate(accessed=Count("id"))
        )
    counts: dict[str, dict[date, int]] = defaultdict(lambda: defaultdict(int))
    for row in accessed:
        counts[row["actor_label"]][_as_date(row["period"])] += row["accessed"]
    return Tally(entries, _chart(counts, daily))


def _chart(counts: dict[str, dict[date, int]], daily: bool) -> Chart:
    periods = sorted({period for per in counts.values() for period in per})[-MOST_BARS:]
    busiest = sorted(counts, key=lambda name: (-sum(counts[name].values()), name))
    names = busiest[:MOST_SERIES]
    series = [(name, [counts[name].get(p, 0) for p in periods]) for name in names]
    if len(busiest) > MOST_SERIES:
        others = [sum(counts[n].get(p, 0) for n in busiest[MOST_SERIES:]) for p in periods]
        series.append((_("Others"), others))
    coloured = [(name, PALETTE[i % len(PALETTE)], values) for i, (name, values) in enumerate(series)]
    labels = [date_format(p, "SHORT_DATE_FORMAT" if daily else "YEAR_MONTH_FORMAT") for p in periods]
    total = sum(sum(values) for _n, _c, values in coloured)
    return Chart(_svg(labels, coloured, total), labels, coloured, total)


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") else value


def _svg(labels: list[str], series: list[tuple[str, str, list[int]]], total: int) -> SafeString:
    heights = [sum(values[i] for _n, _c, values in series) for i in range(len(labels))]
    peak = max(heights) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / len(labels)
    bar = max(2.0, min(40.0, slot * 0.7))
    title = escape(_("Accesses by organisation over time: %(total)d in all") % {"total": total})
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="chart-title">',
        f'<title id="chart-title">{title}</title>',
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#5b6475"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 10}" text-anchor="end" font-size="11" fill="#1d2330">{peak}</text>',
        f'<text x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end" font-size="11" fill="#1d2330">0</text>',
    ]
    every = max(1, len(labels) // 8)  # at most about eight labels under the axis
    for i, label in enumerate(labels):
        x = LEFT + slot * i + (slot - bar) / 2
        y = float(TOP + plot_h)
        for name, colour, values in series:
            if values[i]:
                h = plot_h * values[i] / peak
                y -= h
                parts.append(
                    f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="{colour}">'
                    f"<title>{escape(labelled(f'{name}, {label}', str(values[i])))}</title></rect>"
                )
        if i % every == 0:
            parts.append(
                f'<text x="{x + bar / 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle" font-size="11" '
                f'fill="#1d2330">{escape(label)}</text>'
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text in it is escaped above
