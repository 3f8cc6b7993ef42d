"""The report's charts as Vega-Lite specs (Altair), data embedded in each spec."""

from __future__ import annotations

from typing import Any

import altair as alt
import pandas as pd

from orchestration.report.data import (
    CADENCE_STATUSES,
    UNDER_VISITED_PER_REP,
    ReportData,
)

Spec = dict[str, Any]
STATUS_COLORS = ("#d62728", "#ff9f1c", "#9e9e9e", "#2ca02c")
WIDTH = 560
_PERCENT = alt.Axis(format="%")


def chart_specs(data: ReportData) -> dict[str, Spec]:
    """Chart id (the HTML element it renders into) -> Vega-Lite spec."""
    charts = {
        "chart-status": status_chart(data.status_counts),
        "chart-rhythm": rhythm_chart(data.rhythm, data.rules.target_new_prospects_per_month),
        "chart-weekly-visits": weekly_visits_chart(data.weekly_visits),
        "chart-waterfall": waterfall_chart(data.waterfall),
        "chart-allocation": allocation_chart(data.allocation, data.rules.share_window_days),
        "chart-kpi-history": kpi_history_chart(data.kpi_history),
    }
    # The scatter carries every in-scope account: lift Altair's 5,000-row guard, the page is built for it.
    with alt.data_transformers.disable_max_rows():
        return {chart_id: chart.to_dict() for chart_id, chart in charts.items()}


def _rep_axis(data: pd.DataFrame) -> alt.Y:
    return alt.Y("rep:N", title=None, sort=sorted(data["rep"].unique()))


def status_chart(counts: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(counts)
        .mark_bar()
        .encode(
            y=_rep_axis(counts),
            x=alt.X("sum(accounts):Q", title="accounts", stack="zero"),
            color=alt.Color(
                "cadence_status:N",
                title="cadence status",
                scale=alt.Scale(domain=list(CADENCE_STATUSES), range=list(STATUS_COLORS)),
            ),
            order=alt.Order("status_order:Q"),
            tooltip=["rep", "cadence_status", "accounts"],
        )
        .transform_calculate(status_order=f"indexof({list(CADENCE_STATUSES)}, datum.cadence_status)")
        .properties(width=WIDTH, title="Accounts by cadence status")
    )


def rhythm_chart(rhythm: pd.DataFrame, target_new_prospects: int) -> alt.HConcatChart:
    base = alt.Chart(rhythm).encode(y=_rep_axis(rhythm))
    on_cadence = base.mark_bar(color="#4c78a8").encode(
        x=alt.X("on_cadence_pct:Q", title="active accounts on cadence (%)", scale=alt.Scale(domain=[0, 100])),
        tooltip=["rep", "on_cadence_pct", "active_accounts", "active_overdue"],
    )
    new_prospects = base.mark_bar(color="#72b7b2").encode(
        x=alt.X("new_prospects_this_month:Q", title="new prospects this month"),
        tooltip=["rep", "new_prospects_this_month", "new_prospects_last_month"],
    )
    target = (
        alt.Chart(pd.DataFrame({"target": [target_new_prospects]}))
        .mark_rule(color="#d62728", strokeDash=[4, 3])
        .encode(x="target:Q")
    )
    return alt.hconcat(
        on_cadence.properties(width=260, title="On cadence"),
        (new_prospects + target).properties(width=260, title="New prospects vs target"),
    )


def weekly_visits_chart(weekly: pd.DataFrame) -> alt.Chart:
    return (
        alt.Chart(weekly)
        .mark_line(point=True)
        .encode(
            x=alt.X("week:T", title="week starting"),
            y=alt.Y("visits:Q", title="visits"),
            color=alt.Color("rep:N", title="rep"),
            tooltip=["rep", alt.Tooltip("week:T", title="week starting"), "visits"],
        )
        .properties(width=WIDTH, height=220, title="Visits per week (last 12 full weeks)")
    )


def waterfall_chart(waterfall: pd.DataFrame) -> alt.FacetChart:
    """Per rep, a cohort-month × stage grid: how many of a month's new prospects reached visit n."""
    base = alt.Chart(waterfall).encode(
        x=alt.X("stage:O", title="reached visit"),
        y=alt.Y("yearmonth(cohort_month):O", title="cohort (first visit)"),
    )
    cells = base.mark_rect().encode(
        color=alt.Color("prospects:Q", title="prospects", scale=alt.Scale(scheme="blues")),
        tooltip=["rep", alt.Tooltip("yearmonth(cohort_month):T", title="cohort"), "stage", "prospects"],
    )
    labels = base.mark_text(fontSize=10).encode(
        text="prospects:Q",
        color=alt.condition("datum.prospects > 4", alt.value("white"), alt.value("black")),
    )
    return (
        alt.layer(cells, labels)
        .properties(width=150)
        .facet(facet=alt.Facet("rep:N", title=None), columns=4)
        .properties(title="Prospect waterfall: prospects per cohort month reaching visit 1→5")
    )


def allocation_chart(allocation: pd.DataFrame, share_window_days: int) -> alt.LayerChart:
    """Share of the rep's visits against share of its referral potential: below the diagonal is
    under-visited for its potential."""
    # Only what the chart draws or shows on hover, shares rounded: this is the page's biggest dataset.
    points = allocation.assign(
        potential_share=allocation["potential_share"].round(4),
        visit_share=allocation["visit_share"].round(4),
    )[
        [
            "rep",
            "account_name",
            "referrer_count",
            "referrals_12m",
            "visits_180d",
            "potential_share",
            "visit_share",
            "under_visited",
        ]
    ]
    top = float(max(points["visit_share"].max(), points["potential_share"].max(), 0.01))
    diagonal = (
        alt.Chart(pd.DataFrame({"share": [0.0, top]}))
        .mark_line(color="#888", strokeDash=[4, 3])
        .encode(x="share:Q", y="share:Q")
    )
    # A rep picker dims the other reps' accounts (dimmed, not filtered: every account stays drawn).
    rep = alt.param(
        name="rep",
        bind=alt.binding_select(
            options=[None, *sorted(points["rep"].unique())],
            labels=["all reps", *sorted(points["rep"].unique())],
            name="rep ",
        ),
    )
    scatter = (
        alt.Chart(points)
        .mark_circle()
        .encode(
            x=alt.X("potential_share:Q", title="share of the rep's referral potential", axis=_PERCENT),
            y=alt.Y(
                "visit_share:Q", title=f"share of the rep's visits ({share_window_days} days)", axis=_PERCENT
            ),
            size=alt.Size("referrer_count:Q", title="referrers", scale=alt.Scale(range=[15, 220])),
            color=alt.Color(
                "under_visited:N",
                title=f"top {UNDER_VISITED_PER_REP} under-visited of its rep",
                scale=alt.Scale(domain=[True, False], range=["#d62728", "#9ecae1"]),
            ),
            opacity=alt.condition("rep == null || datum.rep == rep", alt.value(0.8), alt.value(0.06)),
            tooltip=[
                "rep",
                "account_name",
                "referrer_count",
                "referrals_12m",
                "visits_180d",
                alt.Tooltip("potential_share:Q", format=".1%"),
                alt.Tooltip("visit_share:Q", format=".1%"),
            ],
        )
    )
    return alt.layer(diagonal, scatter.add_params(rep)).properties(
        width=WIDTH, height=400, title="Referral potential against visit effort"
    )


def person_labels(history: pd.DataFrame) -> pd.Series:
    """A person's name, with their key appended when two people of the history share it."""
    names = history["person_name"].fillna(history["person_key"])
    shared = history.groupby(names)["person_key"].transform("nunique") > 1
    return names.where(~shared, names + " · " + history["person_key"])


def kpi_history_chart(history: pd.DataFrame) -> alt.HConcatChart:
    """Per person, the nightly snapshots of the last 12 weeks: on-cadence % and new prospects."""
    points = history.assign(person=person_labels(history) if len(history) else history["person_key"])[
        ["as_of", "person", "on_cadence_pct", "new_prospects_this_month", "in_scope_accounts",
         "overdue_accounts"]
    ]  # fmt: skip
    base = alt.Chart(points).encode(
        x=alt.X("as_of:T", title="as of"),
        color=alt.Color("person:N", title="rep"),
        tooltip=[alt.Tooltip("as_of:T", title="as of"), "person", "on_cadence_pct", "in_scope_accounts",
                 "overdue_accounts", "new_prospects_this_month"],
    )  # fmt: skip
    on_cadence = base.mark_line(point=True).encode(
        y=alt.Y("on_cadence_pct:Q", title="accounts on cadence (%)", scale=alt.Scale(domain=[0, 100]))
    )
    prospects = base.mark_line(point=True).encode(
        y=alt.Y("new_prospects_this_month:Q", title="new prospects")
    )
    return alt.hconcat(
        on_cadence.properties(width=260, height=200, title="On cadence, night by night (12 weeks)"),
        prospects.properties(width=260, height=200, title="New prospects this month, night by night"),
    )
