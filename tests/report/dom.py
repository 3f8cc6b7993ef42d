"""Reading the report back: its tables (cells carry data-col) and its chart elements."""

from __future__ import annotations

import json
import re
from collections import defaultdict
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[dict[str, str]]] = {}
        self._table: str | None = None
        self._row: dict[str, str] | None = None
        self._col: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "table" and attributes.get("id"):
            self._table = attributes["id"]
            self.tables[self._table] = []
        elif tag == "tr" and self._table:
            self._row = {}
        elif tag == "td" and self._row is not None and attributes.get("data-col"):
            self._col = attributes["data-col"]
            self._row[self._col] = ""
        elif tag == "a" and self._row is not None and self._col:
            self._row[f"{self._col}@href"] = attributes.get("href") or ""  # a link to a CRM record

    def handle_data(self, data: str) -> None:
        if self._row is not None and self._col:
            self._row[self._col] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td":
            self._col = None
        elif tag == "tr" and self._table and self._row:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag == "table":
            self._table = None


def tables(html: str) -> dict[str, list[dict[str, str]]]:
    """Table id -> rows (data-col -> text; a linked cell's href under "<data-col>@href"); the 'none'
    placeholder row of an empty table is left out."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables


class _Charts(HTMLParser):
    """Per chart div (id chart-*): its attributes and how many of each SVG mark group's shapes it holds."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: dict[str, dict[str, str | None]] = {}
        self.marks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        self.svgs: dict[str, int] = defaultdict(int)
        self._stack: list[tuple[str, str | None, str | None]] = []  # (tag, chart id, mark class)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        chart, mark = (self._stack[-1][1], self._stack[-1][2]) if self._stack else (None, None)
        element_id = attributes.get("id") or ""
        if tag == "div" and element_id.startswith("chart-"):
            chart = element_id
            self.charts[chart] = attributes
        classes = (attributes.get("class") or "").split()
        if tag == "g" and "role-mark" in classes:
            mark = next((c for c in classes if c.startswith("mark-")), None)
        if chart and tag == "svg":
            self.svgs[chart] += 1
        if chart and mark and tag == "path":
            self.marks[chart][mark] += 1
        if tag not in _VOID:
            self._stack.append((tag, chart, mark))

    def handle_endtag(self, tag: str) -> None:
        while self._stack:
            if self._stack.pop()[0] == tag:
                break


_VOID = {"meta", "br", "img", "input", "link", "hr", "col", "source", "wbr"}


def charts(html: str) -> _Charts:
    parser = _Charts()
    parser.feed(html)
    return parser


def specs(html: str) -> dict[str, dict]:
    """The Vega-Lite specs embedded in the page (chart id -> spec)."""
    found = re.search(r"const specs = (\{.*?\});\n", html, re.S)
    assert found, "no embedded chart specs"
    return json.loads(found.group(1).replace("<\\/", "</"))


def spec_rows(spec: dict) -> list[dict]:
    """All rows of a spec's inline datasets."""
    return [row for rows in spec.get("datasets", {}).values() for row in rows]
