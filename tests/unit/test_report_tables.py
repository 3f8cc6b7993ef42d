"""The report's tables: cells formatted by kind, every value escaped, account cells linked."""

from __future__ import annotations

import pandas as pd

from orchestration.report.page import Column, Table, _render_table

COLUMNS = (
    Column("rep", "rep"),
    Column("account_name", "account", link="account_url"),
    Column("days_overdue", "days overdue", "int"),
    Column("share", "share", "share"),
    Column("last_visit_date", "last visit", "date"),
)


def test_cells_are_formatted_by_kind_and_a_missing_column_shows_a_dash() -> None:
    frame = pd.DataFrame({
        "rep": ["Ann", None],
        "account_name": ["Acme", "Bolt"],
        "account_url": ["https://crm.example/001A", None],
        "days_overdue": [1234, None],
        "share": [0.125, 0.5],
    })  # fmt: skip
    table = Table.of("t", frame, COLUMNS)
    assert table.rows == [
        {"rep": "Ann", "account_name": "Acme", "days_overdue": "1,234", "share": "12.5%",
         "last_visit_date": "—", "account_url": "https://crm.example/001A"},
        {"rep": "—", "account_name": "Bolt", "days_overdue": "—", "share": "50.0%",
         "last_visit_date": "—", "account_url": ""},
    ]  # fmt: skip


def test_values_are_escaped_and_linked() -> None:
    frame = pd.DataFrame({
        "rep": ['<script>alert("x")</script>'],
        "account_name": ["O'Neil & Sons"],
        "account_url": ['https://crm.example/?a=1&b="2"'],
        "days_overdue": [3],
        "share": [1.0],
        "last_visit_date": [pd.Timestamp("2026-11-30")],
    })  # fmt: skip
    html = str(_render_table(Table.of("overdue-table", frame, COLUMNS, note="a < b"), scroll=True))
    assert html == (
        '<div class="note">a &lt; b</div>\n'
        '<div class="scroll"><table id="overdue-table">\n'
        "<thead><tr><th>rep</th><th>account</th><th>days overdue</th><th>share</th><th>last visit</th></tr>"
        "</thead>\n<tbody>\n"
        '<tr><td data-col="rep">&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</td>'
        '<td data-col="account_name"><a href="https://crm.example/?a=1&amp;b=&quot;2&quot;" target="_blank" '
        'rel="noopener">O&#x27;Neil &amp; Sons</a></td>'
        '<td data-col="days_overdue" class="num">3</td><td data-col="share" class="num">100.0%</td>'
        '<td data-col="last_visit_date">2026-11-30</td></tr>\n'
        "</tbody></table></div>"
    )


def test_an_empty_table_says_none() -> None:
    html = str(_render_table(Table.of("t", pd.DataFrame(), COLUMNS[:2])))
    assert html == (
        '\n<div><table id="t">\n<thead><tr><th>rep</th><th>account</th></tr></thead>\n<tbody>\n'
        '<tr><td colspan="2">none</td></tr>\n</tbody></table></div>'
    )
