"""The report as one self-contained HTML page: tables, Vega-Lite specs and the Vega JS all inline."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from typing import Any

import jinja2
import pandas as pd
from markupsafe import Markup

from orchestration.report.charts import chart_specs
from orchestration.report.data import UNDER_VISITED_PER_REP, ReportData
from orchestration.report.territory import NEW_PROVIDERS_PER_REP
from orchestration.report.vega_bundle import vega_javascript
from orchestration.rules import Rules


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | float | pct (0-100) | share (0-1) | date
    link: str | None = None  # the frame column holding the cell's href (a CRM record), if any


def _cell(value: Any, kind: str) -> str:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return "—"
    if kind == "int":
        return f"{int(value):,}"
    if kind == "float":
        return f"{float(value):,.1f}"
    if kind == "pct":
        return f"{float(value):.1f}%"
    if kind == "share":
        return f"{float(value):.1%}"
    if kind == "date":
        return pd.Timestamp(value).date().isoformat()
    return str(value)


def _href(value: Any) -> str:
    return value if isinstance(value, str) else ""


# Every account cell links to the account's record in its CRM (orchestration/crm_links.py).
ACCOUNT = Column("account_name", "account", link="account_url")


@dataclass(frozen=True)
class Table:
    """A table of the page; every cell carries `data-col` so tests (and scrapers) can read it back."""

    table_id: str
    columns: tuple[Column, ...]
    rows: list[dict[str, str]]
    note: str = ""

    @classmethod
    def of(cls, table_id: str, frame: pd.DataFrame, columns: tuple[Column, ...], note: str = "") -> Table:
        # Column by column: a 100k-account org's tables hold ~130k rows, and a dict per row from
        # pandas (`to_dict("records")`, boxing each value) cost seconds there.
        keys = [c.key for c in columns] + [c.link for c in columns if c.link]
        cells = [[_cell(value, c.kind) for value in _values(frame, c.key)] for c in columns]
        links = [[_href(value) for value in _values(frame, c.link)] for c in columns if c.link]
        rows = [dict(zip(keys, row, strict=True)) for row in zip(*cells, *links, strict=True)]
        return cls(table_id, columns, rows, note)


def _values(frame: pd.DataFrame, key: str) -> list[Any]:
    """The column's values as Python objects; None for each row when the frame lacks the column."""
    return frame[key].tolist() if key in frame.columns else [None] * len(frame)


def _rhythm_columns(rules: Rules) -> tuple[Column, ...]:
    target = rules.target_new_prospects_per_month
    return (
        Column("rep", "rep"),
        Column("active_accounts", "active accounts", "int"),
        Column("active_overdue", "active overdue", "int"),
        Column("on_cadence_pct", "on cadence", "pct"),
        Column("new_prospects_this_month", f"new prospects this month (target {target})", "int"),
        Column("new_prospects_last_month", "new prospects last month", "int"),
        Column("prospects_in_progress", "prospects in progress", "int"),
        Column("ready_to_reclassify", "ready to reclassify", "int"),
        Column("visits_last_30d", "visits (30 days)", "int"),
        Column("visits_per_week", "visits per week", "float"),
    )


def _leaderboard_columns(rules: Rules) -> tuple[Column, ...]:
    target = rules.target_new_prospects_per_month
    return (
        Column("person_name", "rep"),
        Column("email", "email"),
        Column("crms", "CRMs"),
        Column("in_scope_accounts", "accounts in scope", "int"),
        Column("overdue_accounts", "overdue", "int"),
        Column("on_cadence_pct", "on cadence", "pct"),
        Column("new_prospects_this_month", f"new prospects this month (target {target})", "int"),
        Column("visits_last_30d", "visits (30 days)", "int"),
        Column("referrers", "referrers", "int"),
        Column("referrer_coverage_pct", f"referrers met ({rules.share_window_days} days)", "pct"),
    )


def _slipping_columns(rules: Rules) -> tuple[Column, ...]:
    window = rules.trend_window_days
    return (
        Column("rep", "rep"),
        ACCOUNT,
        Column("trend", "trend"),
        Column("referrals_prior_90d", f"referrals, the {window} days before", "int"),
        Column("referrals_last_90d", f"referrals, last {window} days", "int"),
        Column("last_visit_date", "last visit", "date"),
        Column("days_overdue", "days overdue", "int"),
    )


UNMET_COLUMNS = (
    Column("rep", "rep"),
    ACCOUNT,
    Column("potential_rank", "potential rank", "int"),
    Column("referrer_count", "referrers there", "int"),
    Column("contact_name", "never met"),
    Column("title", "title"),
    Column("referrals_12m", "their referrals (12 months)", "int"),
)


OVERDUE_COLUMNS = (
    Column("rep", "rep"),
    ACCOUNT,
    Column("status", "status"),
    Column("days_overdue", "days overdue", "int"),
    Column("last_visit_date", "last visit", "date"),
    Column("cadence_days", "cadence (days)", "int"),
    Column("next_visit_due", "was due", "date"),
)
TASK_COLUMNS = (
    Column("rep", "rep"),
    Column("crm", "CRM"),
    Column("action", "action"),
    Column("outcome", "outcome"),
    ACCOUNT,
    Column("days_overdue", "days overdue", "int"),
)
PROSPECT_COLUMNS = (
    Column("rep", "rep"),
    Column("flag", "flag"),
    ACCOUNT,
    Column("cohort_month", "cohort", "date"),
    Column("visit_count", "visits", "int"),
    Column("last_visit_date", "last visit", "date"),
    Column("days_overdue", "days overdue", "int"),
)


NEW_PROVIDER_COLUMNS = (
    Column("rep", "rep"),
    Column("provider_name", "provider"),
    Column("candidate_kind", "kind"),
    Column("address", "address"),
    Column("referrer_count", "referrers", "int"),
    Column("individual_count", "individuals", "int"),
    Column("taxonomy_mix", "taxonomy mix (primary NUCC code: providers)"),
)


def _under_visited_columns(rules: Rules) -> tuple[Column, ...]:
    # The mart's column names are fixed by the contract; the windows behind them are rules.
    return (
        Column("rep", "rep"),
        ACCOUNT,
        Column("referrer_count", "referrers", "int"),
        Column("referrals_12m", f"referrals ({rules.referral_window_days} days)", "int"),
        Column("visits_180d", f"visits ({rules.share_window_days} days)", "int"),
        Column("potential_share", "share of potential", "share"),
        Column("visit_share", "share of visits", "share"),
        Column("allocation_gap", "gap", "share"),
    )


def render_page(data: ReportData, cap: int) -> str:
    """The whole HTML document."""
    under_visited = data.allocation[data.allocation["under_visited"]]
    tables = {
        "leaderboard": Table.of("leaderboard-table", data.leaderboard, _leaderboard_columns(data.rules)),
        "rhythm": Table.of("rhythm-table", data.rhythm, _rhythm_columns(data.rules)),
        "overdue": Table.of(
            "overdue-table",
            data.overdue,
            OVERDUE_COLUMNS,
            _capped_note(data.overdue, cap, "most overdue first"),
        ),
        "tasks": Table.of(
            "tasks-table", data.run_tasks, TASK_COLUMNS, _capped_note(data.run_tasks, cap, "by action")
        ),
        "prospects": Table.of(
            "prospects-table", data.flagged_prospects, PROSPECT_COLUMNS, f"at most {cap} per rep and flag"
        ),
        "under_visited": Table.of("under-visited-table", under_visited, _under_visited_columns(data.rules)),
        "slipping": Table.of(
            "slipping-table", data.slipping_sources, _slipping_columns(data.rules),
            _capped_note(data.slipping_sources, cap, "steepest fall first"),
        ),
        "unmet": Table.of(
            "unmet-referrers-table", data.unmet_referrers, UNMET_COLUMNS,
            _capped_note(data.unmet_referrers, cap, "best accounts first"),
        ),
        "new_providers": Table.of(
            "new-providers-table", data.new_providers, NEW_PROVIDER_COLUMNS,
            _capped_note(data.new_providers, NEW_PROVIDERS_PER_REP, "most referrers first"),
        ),
    }  # fmt: skip
    specs = json.dumps(chart_specs(data), default=str)
    return _TEMPLATE.render(
        data=data,
        tables=tables,
        kpis=_kpis(data),
        generated_at=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        # "</" inside a <script> would end it early: JSON allows the escaped form.
        specs=specs.replace("</", "<\\/"),
        vega_js=vega_javascript(),
        under_visited_per_rep=UNDER_VISITED_PER_REP,
        rules=data.rules,
    )


def _capped_note(frame: pd.DataFrame, cap: int, order: str) -> str:
    """Say which reps' lists were cut (the frame's `rep_total` is the rep's uncapped row count)."""
    totals = frame.groupby("rep")["rep_total"].first()
    capped = totals[totals > cap]
    shown = ", ".join(f"{rep}: {cap} of {int(total):,}" for rep, total in capped.items())
    return f"{order}; capped at {cap} per rep ({shown})" if shown else order


def _kpis(data: ReportData) -> list[tuple[str, str]]:
    counts = data.status_counts
    overdue = counts.loc[counts["cadence_status"] == "overdue", "accounts"].sum()
    return [
        ("accounts in scope", f"{int(counts['accounts'].sum()):,}"),
        ("overdue", f"{int(overdue):,}"),
        ("reps", f"{len(data.leaderboard) if not data.leaderboard.empty else len(data.rhythm):,}"),
        ("tasks written this run", f"{data.tasks_written:,}"),
    ]


_ENV = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined)
_TEMPLATE = _ENV.from_string(
    """<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Cadence report {{ data.as_of or '' }}</title>
<style>
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: #222; margin: 0 auto;
         max-width: 1280px; padding: 16px 24px 48px; }
  h1 { margin: 0 0 4px; font-size: 24px; } h2 { margin: 36px 0 8px; border-bottom: 2px solid #e5e5e5; }
  h3 { margin: 20px 0 6px; font-size: 15px; }
  .meta, .note { color: #666; font-size: 12px; }
  .kpis { display: flex; gap: 12px; margin: 16px 0; }
  .kpi { background: #f5f7fa; border-radius: 6px; padding: 10px 16px; min-width: 140px; }
  .kpi b { display: block; font-size: 22px; }
  .chart { margin: 8px 0 16px; } .chart-error { color: #b00020; }
  .scroll { max-height: 420px; overflow: auto; border: 1px solid #eee; }
  table { border-collapse: collapse; width: 100%; font-size: 13px; }
  th, td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: left; white-space: nowrap; }
  th { background: #fafafa; position: sticky; top: 0; white-space: normal; vertical-align: bottom; }
  td.num { text-align: right; font-variant-numeric: tabular-nums; }
</style>
</head>
<body>
<h1>Cadence report{% if data.as_of %} · as of {{ data.as_of }}{% endif %}</h1>
<div class="meta">run {{ data.run_id or "—" }} · generated {{ generated_at }}</div>
<div class="kpis">
{% for label, value in kpis %}<div class="kpi"><b>{{ value }}</b>{{ label }}</div>{% endfor %}
</div>

<h2 id="reps">Reps</h2>
<div class="note">One row per person: a rep's owner records in both CRMs are one person when their
emails match. On cadence: accounts in scope (active and prospects) not overdue. New prospects: first
visit this month, target {{ rules.target_new_prospects_per_month }}. Best on cadence first.</div>
{{ table(tables.leaderboard) }}
<div class="chart" id="chart-kpi-history"></div>

<h2 id="rhythm">Rhythm</h2>
<div class="note">One row per CRM owner record. On cadence: active accounts not overdue. New prospects: first
visit this month, target {{ rules.target_new_prospects_per_month }} per rep. Visits per week: the last 30
days' visits × 7 / 30.</div>
{{ table(tables.rhythm) }}
<div class="chart" id="chart-rhythm"></div>
<div class="chart" id="chart-weekly-visits"></div>

<h2 id="overdue">Overdue</h2>
<div class="chart" id="chart-status"></div>
<h3>Overdue accounts</h3>
{{ table(tables.overdue, scroll=True) }}
<h3>Tasks this run wrote</h3>
{{ table(tables.tasks, scroll=True) }}

<h2 id="waterfall">Prospect waterfall</h2>
<div class="chart" id="chart-waterfall"></div>
<h3>Ready to reclassify and stalled</h3>
<div class="note">Ready: {{ rules.graduation_visits }} visits or more. Stalled: 1 to
{{ rules.graduation_visits - 1 }} visits and overdue.</div>
{{ table(tables.prospects, scroll=True) }}

<h2 id="potential">Referral potential against effort</h2>
<div class="note">Each dot is an account: how much of its rep's referral potential it holds (people who can
refer) against how much of the rep's visits it got in {{ rules.share_window_days }} days. Dots below the
diagonal get less attention than their potential; red: the {{ under_visited_per_rep }} most under-visited of
each rep.</div>
<div class="chart" id="chart-allocation"></div>
<h3>Top under-visited accounts per rep</h3>
{{ table(tables.under_visited, scroll=True) }}

<h2 id="sources">Referral sources</h2>
<h3>Slipping sources</h3>
<div class="note">Referrals of the last {{ rules.trend_window_days }} days against the
{{ rules.trend_window_days }} before: slipping below {{ rules.trend_slipping_ratio }} × the window before,
lapsed to none.</div>
{{ table(tables.slipping, scroll=True) }}
<h3>Referrers never met at the top-potential accounts</h3>
<div class="note">Accounts in the top {{ "%.0f" | format(100 * rules.priority_high_top_potential_share) }}% of
their owner's book by referral potential (priority_high_top_potential_share; 0 turns this list off),
and the people there who can refer that no visit has met.</div>
{{ table(tables.unmet, scroll=True) }}

<h2 id="new-providers">New providers in your territory</h2>
{% if data.registries_loaded %}
<div class="note">From the public registries (CMS NPPES, Order and Referring): practice locations in each
rep's territory that are not in the CRM, most referrers first (individuals there who may order
{{ rules.registry_service_line }}). Hospitals, SNFs and physician groups by their organisation's taxonomy;
a practice: individuals only.</div>
{{ table(tables.new_providers, scroll=True) }}
{% else %}
<div class="note" id="new-providers-empty">The public registries are not loaded: run
<code>cadence registries load --nppes FILE --order-referring FILE</code>, or name the files in
cadence.registry_nppes and cadence.registry_order_referring, to see the new providers in each rep's
territory here.</div>
{% endif %}

<script>
// vega-embed bundle with Vega and Vega-Lite (from vl-convert), so the report needs no network.
{{ vega_js | safe }}
</script>
<script>
const specs = {{ specs | safe }};
for (const [id, spec] of Object.entries(specs)) {
  const el = document.getElementById(id);
  vegaEmbed(el, spec, {renderer: "svg", actions: false})
    .then(() => { el.dataset.rendered = "true"; })
    .catch((error) => { el.classList.add("chart-error"); el.textContent = "chart failed: " + error; });
}
</script>
</body>
</html>
"""
)


_NUMERIC = {"int", "float", "pct", "share"}


def _render_table(table: Table, scroll: bool = False) -> Markup:
    """The table's HTML, built here rather than in a Jinja loop: at 100k accounts the report's tables
    hold ~900k cells, and Jinja's autoescape (a Markup object per cell and per attribute) took 8 of
    the report's 10 seconds. Every value is escaped (html.escape, quotes included)."""
    parts = [f'<div class="note">{escape(table.note)}</div>' if table.note else "", "\n"]
    scroll_class = ' class="scroll"' if scroll else ""
    parts.append(f'<div{scroll_class}><table id="{escape(table.table_id)}">\n')
    parts.append(f"<thead><tr>{''.join(f'<th>{escape(c.label)}</th>' for c in table.columns)}</tr></thead>\n")
    parts.append("<tbody>\n")
    opening = {
        c.key: f'<td data-col="{escape(c.key)}"' + (' class="num">' if c.kind in _NUMERIC else ">")
        for c in table.columns
    }
    for row in table.rows:
        cells = (opening[c.key] + _cell_html(c, row) + "</td>" for c in table.columns)
        parts.append(f"<tr>{''.join(cells)}</tr>\n")
    if not table.rows:
        parts.append(f'<tr><td colspan="{len(table.columns)}">none</td></tr>\n')
    parts.append("</tbody></table></div>")
    return Markup("".join(parts))


def _cell_html(column: Column, row: dict[str, str]) -> str:
    text = escape(row[column.key])
    href = row[column.link] if column.link else ""
    return f'<a href="{escape(href)}" target="_blank" rel="noopener">{text}</a>' if href else text


_ENV.globals["table"] = _render_table
