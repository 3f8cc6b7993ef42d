"""HubSpot CRM v3/v4 client: bearer auth, retries, windowed search, associations, Arrow pages.

The client is shared with the writeback (`HubSpotClient.request`). Everything else here turns API pages
into `pyarrow.Table`s with an explicit schema, because dlt loads columnar batches ~25× faster than
one dict per record (shared/design/architecture.md).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.compute as pc
import requests

from ingest.config import HubSpotConfig
from ingest.errors import CadenceError, CrmAuthError, CrmRateLimitError, CrmSchemaError, CrmUnreachableError
from ingest.http import (
    DROPPED,
    GATEWAY_STATUS,
    BudgetGovernor,
    RetryPolicy,
    Transient,
    lost_answer,
    make_session,
    may_have_arrived,
    retry_after_seconds,
    with_retries,
)
from ingest.hubspot.oauth import TOKEN_PATH, OAuthRefresher
from ingest.hubspot.settings import (
    ASSOCIATION_BATCH_SIZE,
    COMPANIES_TYPE,
    LIST_PAGE_SIZE,
    MODSTAMP,
    OBJECT_ID,
    OWNER_FIELDS,
    REQUEST_TIMEOUT_SECONDS,
    RETRY_ATTEMPTS,
    SEARCH,
    SEARCH_PAGE_SIZE,
    SEARCH_RESULT_CAP,
    STANDARD,
    ColumnKind,
    ObjectSpec,
)
from ingest.pacing import RollingWindow
from ingest.quarantine import Rejections, cast_or_null, untyped_reason
from ingest.tls import is_certificate_error

Record = dict[str, Any]

_AUTH_FIX = "set SOURCES__HUBSPOT__ACCESS_TOKEN to a private app token with crm.objects.* scopes"
_OAUTH_FIX = "check the public app's scopes (crm.objects.*) and that it is still installed in the portal"


class _OAuthTokenRejected(Exception):
    """A 401 to a call made with an OAuth access token: it expired (or was revoked); refresh it."""


TEN_SECONDS = 10.0


def endpoint_class(method: str, url: str) -> str:
    """HubSpot's rate-limit classes: search (5/s per portal) and everything else (per 10 s)."""
    return SEARCH if url.split("?", 1)[0].endswith("/search") else STANDARD


def rate_limiter(config: HubSpotConfig) -> dict[str, RollingWindow]:
    """One limiter per endpoint class at the portal's documented windows (see ingest/http.py): rolling
    windows, not token buckets, because a bucket's burst plus its refill overruns HubSpot's windows."""
    return {
        SEARCH: RollingWindow(max(1, int(config.search_requests_per_second)), 1.0),
        STANDARD: RollingWindow(config.requests_per_10_seconds, TEN_SECONDS),
    }


class HubSpotClient:
    """One keep-alive session to a HubSpot portal (or the sandbox), paced and counted by the HTTP layer."""

    def __init__(
        self,
        config: HubSpotConfig,
        retry_base_seconds: float | None = None,  # default: config.retry_base_seconds
        max_attempts: int = RETRY_ATTEMPTS,
        budget: BudgetGovernor | None = None,
    ) -> None:
        self.base_url = config.base_url.rstrip("/")
        base = config.retry_base_seconds if retry_base_seconds is None else retry_base_seconds
        self.retry = RetryPolicy(tries=max_attempts, base_seconds=base)
        self._session = make_session(config.ca_bundle, rate_limiter(config), endpoint_class, budget)
        self._session.headers.update({"Content-Type": "application/json"})
        # A public app's OAuth tokens expire and are refreshed; a private app's token is fixed.
        self.oauth = OAuthRefresher(config) if config.uses_oauth else None
        self._fixed_token = None if self.oauth else config.access_token

    @property
    def max_attempts(self) -> int:
        return self.retry.tries

    @property
    def retry_base_seconds(self) -> float:
        return self.retry.base_seconds

    @property
    def rate_limits(self) -> dict[str, RollingWindow]:
        """The limiter of each endpoint class."""
        return self._session.buckets

    @property
    def calls(self) -> int:
        """HTTP responses received, retries included."""
        return self._session.total_calls

    @property
    def last_headers(self) -> Mapping[str, str]:
        """The headers of this thread's last answer (rate-limit headers, for the doctor)."""
        response = self._session.last_response()
        return response.headers if response is not None else {}

    def server_now(self) -> datetime | None:
        """HubSpot's clock (the last response's `Date`), for the cursor's upper bound."""
        return self._session.server_now()

    def close(self) -> None:
        self._session.close()

    def request(
        self,
        method: str,
        path: str,
        json: Any = None,
        params: Mapping[str, Any] | None = None,
        *,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        """The decoded JSON answer; retries 429 (honouring Retry-After), 5xx and dropped connections.

        `idempotent=False` (a create) is never resent once it may have reached HubSpot (a dropped
        connection, a cut-off answer, a gateway's 502/504): that raises `AnswerLost`. Raises a one-line
        CadenceError subclass otherwise; the message never contains the token.
        """
        payload = orjson.dumps(json) if json is not None else None
        token = self._token()
        try:
            return self._send(method, path, payload, params, token, idempotent)
        except _OAuthTokenRejected:
            # An OAuth access token lives 30 minutes: refresh once and send again; a second 401 is final.
            fresh = self._refresh(token)
            try:
                return self._send(method, path, payload, params, fresh, idempotent)
            except _OAuthTokenRejected as again:
                raise CrmAuthError(
                    f"HubSpot rejected a freshly refreshed OAuth token ({again}): {_OAUTH_FIX}"
                ) from None

    def _send(
        self,
        method: str,
        path: str,
        payload: bytes | None,
        params: Mapping[str, Any] | None,
        token: str | None,
        idempotent: bool,
    ) -> dict[str, Any]:
        headers = {"Authorization": f"Bearer {token}"}

        def attempt() -> dict[str, Any]:
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    data=payload,
                    params=params,
                    headers=headers,
                    timeout=REQUEST_TIMEOUT_SECONDS,
                )
                if response.status_code < 300:
                    return orjson.loads(response.content) if response.content else {}
            except (*DROPPED, orjson.JSONDecodeError) as exc:  # a truncated page decodes badly too
                if is_certificate_error(exc):  # the same certificate every time: fail fast, no retries
                    raise CrmUnreachableError(
                        f"TLS handshake with HubSpot at {self.base_url} failed (the server's certificate "
                        "was refused): check SOURCES__HUBSPOT__BASE_URL and SOURCES__HUBSPOT__CA_BUNDLE "
                        "(the CA that signed the server's certificate)"
                    ) from exc
                cut_short = isinstance(exc, orjson.JSONDecodeError)  # the request arrived, its answer broke
                how = f"{'answer cut short' if cut_short else 'connection failed'} ({type(exc).__name__})"
                sent = cut_short or may_have_arrived(exc)
                lost = lost_answer(how, sent, idempotent, f"HubSpot {method} {path}")
                raise lost or Transient(type(exc).__name__) from exc
            raise self._classify(response, method, path, idempotent)

        return with_retries(attempt, self.retry, lambda last: self._exhausted(last, method, path))

    def _token(self) -> str | None:
        if self.oauth is None:
            return self._fixed_token
        return self.oauth.token or self._refresh(None)

    def _refresh(self, failed: str | None) -> str:
        assert self.oauth is not None
        try:
            return self.oauth.refresh(self._session.request, self.base_url + TOKEN_PATH, failed)
        except requests.RequestException as exc:
            raise CrmUnreachableError(
                f"Could not reach HubSpot's OAuth token endpoint at {self.base_url} ({type(exc).__name__}): "
                "check SOURCES__HUBSPOT__BASE_URL and the network"
            ) from None

    def _classify(
        self, response: requests.Response, method: str, path: str, idempotent: bool = True
    ) -> Exception:
        """A Transient for 429 and 5xx (AnswerLost for a gateway's 502/504 to a request not safe to
        repeat); a one-line CadenceError for everything else."""
        status = response.status_code
        lost = lost_answer(f"HTTP {status}", status in GATEWAY_STATUS, idempotent, f"HubSpot {method} {path}")
        if lost is not None:
            return lost
        if status == 429:
            return Transient("HTTP 429", rate_limited=True, retry_after=retry_after_seconds(response) or 1.0)
        if status >= 500:
            return Transient(f"HTTP {status}")
        message = _error_message(response)
        if status == 401 and self.oauth is not None:
            return _OAuthTokenRejected(message)
        if status == 401:
            return CrmAuthError(f"HubSpot rejected the access token ({message}): {_AUTH_FIX}")
        if status == 403:
            return CrmAuthError(f"HubSpot denied {method} {path} ({message}): {_AUTH_FIX}")
        if status in (400, 404):
            return CrmSchemaError(f"HubSpot answered {status} to {method} {path}: {message}")
        return CadenceError(f"HubSpot answered {status} to {method} {path}: {message}")

    def _exhausted(self, last: Transient, method: str, path: str) -> CadenceError:
        tries = f"{self.max_attempts} attempts"
        if last.rate_limited:
            return CrmRateLimitError(
                f"HubSpot kept rate-limiting {method} {path} after {tries}: wait for the portal's limit "
                "to reset or run the sync less often"
            )
        return CrmUnreachableError(
            f"Could not reach HubSpot at {self.base_url} for {method} {path} after {tries} ({last.reason}): "
            "check SOURCES__HUBSPOT__BASE_URL and the network"
        )

    # ---- endpoints ---------------------------------------------------------------------------
    def property_names(self, object_type: str) -> set[str]:
        answer = self.request("GET", f"/crm/v3/properties/{object_type}")
        return {prop["name"] for prop in answer.get("results", [])}

    def list_pages(self, path: str, params: Mapping[str, Any]) -> Iterator[list[Record]]:
        """Pages of a list endpoint (`after` cursor paging, 100 a page)."""
        after: str | None = None
        while True:
            query = {**params, "limit": LIST_PAGE_SIZE, **({"after": after} if after else {})}
            answer = self.request("GET", path, params=query)
            results = answer.get("results", [])
            if results:
                yield results
            after = _next_after(answer)
            if not after or not results:
                return

    def search(self, object_type: str, body: Mapping[str, Any]) -> dict[str, Any]:
        # A search POST reads: resending it is safe.
        return self.request("POST", f"/crm/v3/objects/{object_type}/search", json=body, idempotent=True)


def _error_message(response: requests.Response) -> str:
    """The API's own message, on one line and short."""
    try:
        body = orjson.loads(response.content)
        message = body.get("message") if isinstance(body, dict) else None
    except orjson.JSONDecodeError:
        message = None
    text = message or response.reason or "no message"
    return " ".join(str(text).split())[:200]


def _next_after(answer: Mapping[str, Any]) -> str | None:
    return ((answer.get("paging") or {}).get("next") or {}).get("after")


# ---- incremental search, windowed past the 10,000-result cap ------------------------------------


def to_epoch_ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _stamp_ms(stamp: str) -> int:
    return to_epoch_ms(datetime.fromisoformat(stamp.replace("Z", "+00:00")))


def id_order(record_id: str) -> tuple[int, str]:
    """HubSpot ids are numbers in strings: order them numerically."""
    return (len(record_id), record_id)


@dataclass
class _Window:
    """What one search window saw: whether it hit the cap, and its last timestamp and id."""

    cursor: str = MODSTAMP  # the object's cursor property
    capped: bool = False
    last_stamp: str | None = None
    ids_at_last_stamp: set[str] = field(default_factory=set)
    last_id: str | None = None

    def note(self, page: list[Record]) -> None:
        stamp = page[-1]["properties"][self.cursor]
        if stamp != self.last_stamp:
            self.ids_at_last_stamp = set()
        self.last_stamp = stamp
        for record in reversed(page):
            if record["properties"][self.cursor] != stamp:
                break
            self.ids_at_last_stamp.add(record["id"])
        self.last_id = page[-1]["id"]


class ChangedRecords:
    """Pages of the records of one object modified at or after `since_ms`, oldest first.

    One search window can read at most 10,000 results, so before a page would cross that cap the
    next window starts at the last modstamp seen (GTE, skipping the ids already read at it). When
    10,000+ records share one modstamp, that timestamp is walked by id (EQ stamp, GT last id) and the
    walk then continues strictly after it. No request ever asks past the cap.
    """

    def __init__(
        self, client: HubSpotClient, object_type: str, properties: list[str], cursor: str = MODSTAMP
    ) -> None:
        self.client = client
        self.object_type = object_type
        self.properties = properties
        self.cursor = cursor  # the property searched and sorted on (settings.ObjectSpec.cursor_property)

    def pages(self, since_ms: int | None) -> Iterator[list[Record]]:
        lower, operator, skip = since_ms, "GTE", set[str]()
        while True:
            window = _Window(self.cursor)
            filters = [] if lower is None else [_filter(self.cursor, operator, lower)]
            for page in self._window_pages(filters, self.cursor, window):
                fresh = [record for record in page if record["id"] not in skip]
                if fresh:
                    yield fresh
            if not window.capped or window.last_stamp is None:
                return
            last_ms = _stamp_ms(window.last_stamp)
            if last_ms != lower or operator == "GT":
                lower, operator, skip = last_ms, "GTE", window.ids_at_last_stamp
                continue
            # The whole window shared one modstamp: walk it by id, then move strictly past it.
            first_id = max(window.ids_at_last_stamp | skip, key=id_order)
            yield from self._walk_one_stamp(last_ms, first_id)
            operator, skip = "GT", set()

    def _walk_one_stamp(self, stamp_ms: int, after_id: str) -> Iterator[list[Record]]:
        while True:
            window = _Window(self.cursor)
            filters = [_filter(self.cursor, "EQ", stamp_ms), _filter(OBJECT_ID, "GT", after_id)]
            yield from self._window_pages(filters, OBJECT_ID, window)
            if not window.capped or window.last_id is None:
                return
            after_id = window.last_id

    def _window_pages(
        self, filters: list[dict[str, str]], sort: str, window: _Window
    ) -> Iterator[list[Record]]:
        after = 0
        while True:
            body: dict[str, Any] = {
                "filterGroups": [{"filters": filters}] if filters else [],
                "sorts": [{"propertyName": sort, "direction": "ASCENDING"}],
                "properties": self.properties,
                "limit": SEARCH_PAGE_SIZE,
            }
            if after:
                body["after"] = str(after)
            answer = self.client.search(self.object_type, body)
            page = answer.get("results", [])
            if page:
                window.note(page)
                yield page
            next_after = _next_after(answer)
            if not page or not next_after:
                return
            after = int(next_after)
            if after + SEARCH_PAGE_SIZE > SEARCH_RESULT_CAP:
                window.capped = True
                return


def _filter(prop: str, operator: str, value: int | str) -> dict[str, str]:
    return {"propertyName": prop, "operator": operator, "value": str(value)}


def archived_pages(
    client: HubSpotClient,
    object_type: str,
    properties: list[str],
    since_ms: int | None,
    cursor: str = MODSTAMP,
) -> Iterator[list[Record]]:
    """Archived records (the search API never returns them) archived at or after `since_ms`.

    The list API cannot filter, so it is read whole (100 a page); dropping the archivals loaded by
    earlier syncs here saves their association lookups.
    """
    params = {"archived": "true", "properties": ",".join(properties)}
    for page in client.list_pages(f"/crm/v3/objects/{object_type}", params):
        recent = [r for r in page if since_ms is None or archival_ms(r, cursor) >= since_ms]
        if recent:
            yield recent


def archival_ms(record: Record, cursor: str = MODSTAMP) -> int:
    """When an archived record last changed: the later of its cursor property and `archivedAt`."""
    stamps = [(record.get("properties") or {}).get(cursor), record.get("archivedAt")]
    return max((_stamp_ms(stamp) for stamp in stamps if stamp), default=0)


_DONE: Any = object()


def prefetched(pages: Iterable[list[Record]], depth: int = 2) -> Iterator[list[Record]]:
    """The same pages, read `depth` ahead on one worker thread.

    The next API call waits on the network while the caller converts and dlt extracts the current
    page. One worker keeps the requests strictly in order; an error surfaces at the page it hit.
    """
    iterator = iter(pages)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="hubspot-prefetch") as pool:
        pending = deque(pool.submit(next, iterator, _DONE) for _ in range(depth))
        while True:
            page = pending.popleft().result()
            if page is _DONE:
                return
            pending.append(pool.submit(next, iterator, _DONE))
            yield page


def batched(pages: Iterable[list[Record]], size: int = ASSOCIATION_BATCH_SIZE) -> Iterator[list[Record]]:
    """Regroup pages into batches of up to `size` records (one associations call per batch)."""
    batch: list[Record] = []
    for page in pages:
        batch.extend(page)
        if len(batch) >= size:
            yield batch[:size]
            batch = batch[size:]
    if batch:
        yield batch


def company_ids(client: HubSpotClient, object_type: str, ids: list[str]) -> dict[str, str]:
    """id → comma-separated sorted ids of the companies it is associated with (v4 batch read)."""
    return associated_ids(client, object_type, COMPANIES_TYPE, ids)


def associated_ids(client: HubSpotClient, object_type: str, to_type: str, ids: list[str]) -> dict[str, str]:
    """id → comma-separated sorted ids of the `to_type` records it is associated with (v4 batch read)."""
    found: dict[str, str] = {}
    for start in range(0, len(ids), ASSOCIATION_BATCH_SIZE):
        inputs = [{"id": record_id} for record_id in ids[start : start + ASSOCIATION_BATCH_SIZE]]
        path = f"/crm/v4/associations/{object_type}/{to_type}/batch/read"
        answer = client.request("POST", path, json={"inputs": inputs})
        for result in answer.get("results", []):
            companies = {str(target["toObjectId"]) for target in result.get("to", [])}
            found[str(result["from"]["id"])] = ",".join(sorted(companies, key=id_order))
    return found


# ---- Arrow conversion ------------------------------------------------------------------------

_ARROW_TYPES: dict[ColumnKind, pa.DataType] = {
    "text": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "double": pa.float64(),
}


def object_schema(spec: ObjectSpec) -> pa.Schema:
    fields = [pa.field("id", pa.string(), nullable=False)]
    fields += [pa.field(name, _ARROW_TYPES[kind]) for name, kind in spec.columns.items()]
    fields.append(pa.field("archived", pa.bool_()))
    fields += [pa.field(column, pa.string()) for column in spec.association_columns]
    return pa.schema(fields)


# Not read from `properties`.
_ENVELOPE_COLUMNS = frozenset({"id", "archived", "company_ids", "contact_ids"})


def records_to_table(
    records: list[Record],
    schema: pa.Schema,
    property_of_column: Mapping[str, str],
    archived: bool,
    rejections: Rejections | None = None,
) -> pa.Table:
    """One page of CRM records as a table: properties flattened to typed columns.

    `company_ids` / `contact_ids` come out empty; the source fills them from the associations API for
    the rows it keeps.
    A value that cannot be typed comes null and, with `rejections`, is rejected (ingest/quarantine.py).
    """
    ids = [str(record["id"]) for record in records]
    property_names = [
        property_of_column.get(f.name, f.name) for f in schema if f.name not in _ENVELOPE_COLUMNS
    ]
    # Arrow's C++ converter reads the property dicts into one struct array: ~5× faster than per-column lists.
    properties = pa.array(
        [record.get("properties") or {} for record in records],
        type=pa.struct([(name, pa.string()) for name in dict.fromkeys(property_names)]),
    )
    columns: list[pa.Array] = []
    untyped: list[tuple[str, pa.Array, pa.Array]] = []
    for schema_field in schema:
        name = schema_field.name
        if name == "id":
            values = pa.array(ids, pa.string())
        elif name == "archived":
            values = pa.array([archived] * len(ids), pa.bool_())
        elif name in ("company_ids", "contact_ids"):
            values = pa.array([""] * len(ids), pa.string())
        else:
            wire = properties.field(property_of_column.get(name, name))
            values, bad = convert_or_reject(wire, schema_field.type)
            if bad is not None:
                untyped.append((name, wire, bad))
        columns.append(values)
    table = pa.Table.from_arrays(columns, schema=schema)
    for name, wire, bad in untyped:
        if rejections is None:
            raise ValueError(f"{name} values that cannot be read as {schema.field(name).type}")
        reason = untyped_reason(schema.field(name).type)
        rejections.add(table["id"], name, wire, table[MODSTAMP], bad, reason)
    return table


OWNERS_SCHEMA = pa.schema(
    [
        pa.field("id", pa.string(), nullable=False),
        pa.field("email", pa.string()),
        pa.field("first_name", pa.string()),
        pa.field("last_name", pa.string()),
        pa.field("archived", pa.bool_()),
        pa.field("updated_at", _ARROW_TYPES["timestamp"]),
    ]
)


def owners_to_table(owners: list[Record], archived: bool) -> pa.Table:
    arrays: dict[str, pa.Array] = {}
    for key, column in OWNER_FIELDS.items():
        values = pa.array([owner.get(key) for owner in owners], pa.string())
        arrays[column] = convert(values, OWNERS_SCHEMA.field(column).type)
    arrays["id"] = pa.array([str(owner["id"]) for owner in owners], pa.string())
    arrays["archived"] = pa.array([bool(owner.get("archived", archived)) for owner in owners], pa.bool_())
    return pa.Table.from_arrays([arrays[name] for name in OWNERS_SCHEMA.names], schema=OWNERS_SCHEMA)


_DLT_TYPES = {"string": "text", "timestamp": "timestamp", "double": "double", "bool": "bool"}


def column_hints(schema: pa.Schema) -> list[dict[str, Any]]:
    """dlt column hints matching the Arrow schema, so types never depend on inference."""
    hints: list[dict[str, Any]] = []
    for schema_field in schema:
        kind = "timestamp" if pa.types.is_timestamp(schema_field.type) else str(schema_field.type)
        hint: dict[str, Any] = {
            "name": schema_field.name,
            "data_type": _DLT_TYPES[kind],
            "nullable": schema_field.nullable,
        }
        if kind == "timestamp":
            hint["timezone"] = True
        hints.append(hint)
    return hints


def convert(values: pa.Array, target: pa.DataType) -> pa.Array:
    """Cast the API's string values to the column's type, vectorised; empty strings become null.

    A value that cannot be typed raises; the sources use `convert_or_reject` instead."""
    if not pa.types.is_string(target):
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
    typed, bad = convert_or_reject(values, target)
    if bad is not None and pc.any(bad).as_py():
        raise ValueError(f"values that cannot be read as {target}")
    return typed


def convert_or_reject(values: pa.Array, target: pa.DataType) -> tuple[pa.Array, pa.Array | None]:
    """`values` cast to the column's type, and the mask of those that cannot be (they come null).

    An empty string is null for numbers (HubSpot answers "" for a cleared number property) but junk
    for a timestamp: a meeting or task without its time is a record the models cannot place.
    """
    if pa.types.is_string(target):
        return values, None
    if not pa.types.is_timestamp(target):
        values = pc.if_else(pc.equal(values, ""), pa.scalar(None, pa.string()), values)
        return cast_or_null(values, target)
    try:
        return pc.cast(values, target), None
    except pa.ArrowInvalid:  # epoch millis, zone-less stamps or junk: rare, parse one by one
        parsed = [_parse_timestamp(value) for value in values.to_pylist()]
    wire = values.to_pylist()
    bad = [value is not None and moment is None for value, moment in zip(wire, parsed, strict=True)]
    return pa.array(parsed, target), pa.array(bad, pa.bool_())


def _parse_timestamp(value: str | None) -> datetime | None:
    """An ISO-8601 stamp (zone-less: UTC) or epoch milliseconds; None when it is neither."""
    if value is None:
        return None
    if value.isdigit():
        return datetime.fromtimestamp(int(value) / 1000, UTC)
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
