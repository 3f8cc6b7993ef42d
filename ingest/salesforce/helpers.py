"""The Salesforce client: OAuth login, retries with backoff, re-auth, query paging and Arrow pages.

`connect(config)` gives a `SalesforceClient` that both the ingest source and the writeback use:
`client.call(lambda sf: sf.Account.update(...))` runs any simple-salesforce call with re-authentication
on an expired session and bounded exponential backoff on throttling, 5xx and dropped connections.

simple-salesforce stays the client (its error mapping, URLs and headers), but every byte goes through
the HTTP layer (ingest/http.py): simple-salesforce is handed the layer's `ApiSession`, so the budget
governor, call counter and `Sforce-Limit-Info` / `Date` readers see each of its requests, and each
call is wrapped in the layer's one retry loop (`with_retries`). Wrapping its calls rather than
mounting a retrying adapter keeps re-authentication (a new session id means a new Salesforce object)
and the classification of Salesforce's error bodies in one place.
"""

from __future__ import annotations

import io
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, TypeVar

import orjson
import pyarrow as pa
import pyarrow.json as pa_json
import requests
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceError,
    SalesforceExpiredSession,
    SalesforceMalformedRequest,
    SalesforceResourceNotFound,
)

from ingest.config import SalesforceConfig
from ingest.errors import CadenceError, CrmAuthError, CrmRateLimitError, CrmSchemaError, CrmUnreachableError
from ingest.http import (
    DROPPED,
    GATEWAY_STATUS,
    RETRYABLE_STATUS,
    BudgetGovernor,
    RetryPolicy,
    Transient,
    lost_answer,
    make_session,
    may_have_arrived,
    retry_after_seconds,
    with_retries,
)
from ingest.quarantine import Rejections, cast_or_null, untyped_reason
from ingest.salesforce.settings import (
    CURSOR_COLUMN,
    MAX_PAGE_SIZE,
    MIN_PAGE_SIZE,
    PRIMARY_KEY,
    SalesforceObject,
)

logger = logging.getLogger(__name__)

T = TypeVar("T")

TIMEOUT = (10.0, 120.0)  # connect, read (seconds); a 2000-record page is well under a second
ARROW_TYPES: dict[str, pa.DataType] = {
    "string": pa.string(),
    "timestamp": pa.timestamp("us", tz="UTC"),
    "date": pa.date32(),
    "boolean": pa.bool_(),
    "double": pa.float64(),
}


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _error_code(error: SalesforceError) -> str:
    """The errorCode of a Salesforce REST error body (a JSON array of {message, errorCode})."""
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return str(content[0].get("errorCode", ""))
    return ""


def _error_message(error: SalesforceError) -> str:
    content = error.content
    if isinstance(content, list) and content and isinstance(content[0], dict):
        return _one_line(content[0].get("message", ""))
    return _one_line(str(content))[:200]


def format_soql_datetime(moment: datetime) -> str:
    """A SOQL datetime literal in UTC with milliseconds, e.g. 2026-01-05T09:00:00.000Z."""
    moment = moment.astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class SalesforceClient:
    """A logged-in simple-salesforce client that survives expired sessions and transient failures."""

    def __init__(
        self, config: SalesforceConfig, retry: RetryPolicy | None = None, budget: BudgetGovernor | None = None
    ) -> None:
        self.config = config
        self.retry = retry or RetryPolicy(base_seconds=config.retry_base_seconds)
        # Salesforce has no per-second limit for API requests, only the daily allowance: no bucket.
        self.session = make_session(config.ca_bundle, budget=budget)
        self._auth_lock = threading.Lock()  # one login at a time
        self._sf: Salesforce | None = None

    @property
    def api_calls(self) -> int:
        """HTTP responses received: logins, describes, pages and retries."""
        return self.session.total_calls

    # ---- auth ----------------------------------------------------------------------------------
    @property
    def sf(self) -> Salesforce:
        """The simple-salesforce object, logging in on first use."""
        with self._auth_lock:
            if self._sf is None:
                self.authenticate()
            assert self._sf is not None
            return self._sf

    @property
    def token_url(self) -> str:
        return self.config.login_url.rstrip("/") + "/services/oauth2/token"

    def authenticate(self) -> None:
        """Log in at the configured login URL (simple-salesforce's login knows only *.salesforce.com)."""
        token = self._with_retries(self._request_token, where=self.token_url)
        self._sf = Salesforce(
            instance_url=token["instance_url"],
            session_id=token["access_token"],
            session=self.session,
            version=self.config.api_version,
        )

    def _token_form(self) -> dict[str, str]:
        form = {
            "grant_type": "client_credentials",
            "client_id": self.config.client_id,
            "client_secret": self.config.client_secret,
        }
        if self.config.username:
            form.update(
                grant_type="password", username=self.config.username, password=self.config.password or ""
            )
        return form

    def _request_token(self) -> dict[str, Any]:
        response = self._send(
            lambda: self.session.post(self.token_url, data=self._token_form(), timeout=TIMEOUT)
        )
        if response.status_code in RETRYABLE_STATUS:
            raise Transient(
                f"HTTP {response.status_code} from the token endpoint",
                rate_limited=response.status_code == 429,
                retry_after=retry_after_seconds(response),
            )
        body = _json_or_empty(response)
        if response.status_code != 200:
            raise CrmAuthError(self._auth_failure_message(response.status_code, body))
        if not isinstance(body, dict) or not body.get("access_token") or not body.get("instance_url"):
            raise CrmAuthError(
                f"Salesforce's token endpoint {self.token_url} answered without access_token/instance_url: "
                "check SOURCES__SALESFORCE__LOGIN_URL points at the org's My Domain"
            )
        return body

    def _auth_failure_message(self, status: int, body: Any) -> str:
        code = body.get("error", f"HTTP {status}") if isinstance(body, dict) else f"HTTP {status}"
        if self.config.username and code == "invalid_grant":
            return (
                "Salesforce rejected the username/password (invalid_grant): check "
                "SOURCES__SALESFORCE__USERNAME / PASSWORD (append the security token if the org requires it)"
            )
        if code in ("invalid_client", "invalid_client_id", "unauthorized_client", "invalid_grant"):
            return (
                f"Salesforce rejected the client credentials ({code}): "
                "check SOURCES__SALESFORCE__CLIENT_ID / CLIENT_SECRET"
            )
        return (
            f"Salesforce refused the login at {self.token_url} ({_one_line(code)}): check "
            "SOURCES__SALESFORCE__LOGIN_URL, CLIENT_ID and CLIENT_SECRET"
        )

    # ---- calls ---------------------------------------------------------------------------------
    def call(self, fn: Callable[[Salesforce], T], *, idempotent: bool = True) -> T:
        """Run `fn(sf)` with re-auth on an expired session and backoff on transient failures.

        `fn` is re-run after a failure, so it must be safe to repeat (a query page, a describe, an update
        or delete, an upsert by External ID) unless the caller says `idempotent=False` (a create): then
        it is re-run only when it surely never reached Salesforce (a refused connection, an expired
        session, 429/503), and a failure that may have applied it raises `AnswerLost` instead.
        """
        return self._with_retries(lambda: self._call_once(fn, idempotent), where=self.config.login_url)

    def _call_once(self, fn: Callable[[Salesforce], T], idempotent: bool) -> T:
        sf = self.sf
        try:
            return self._send(lambda: fn(sf), idempotent)
        except SalesforceExpiredSession as error:
            with self._auth_lock:
                if self._sf is sf:  # not already renewed by the other thread
                    self.authenticate()
            raise Transient("session expired; logged in again", retry_after=0.0) from error
        except SalesforceError as error:
            raise self._classify(error, idempotent) from error

    def _classify(self, error: SalesforceError, idempotent: bool = True) -> Exception:
        code = _error_code(error)
        reason = f"HTTP {error.status} {code}".strip()
        lost = lost_answer(reason, error.status in GATEWAY_STATUS, idempotent, "a Salesforce write")
        if lost is not None:
            return lost
        if error.status in RETRYABLE_STATUS or code in ("REQUEST_LIMIT_EXCEEDED", "SERVER_UNAVAILABLE"):
            rate_limited = error.status == 429 or code == "REQUEST_LIMIT_EXCEEDED"
            return Transient(
                reason,
                rate_limited,
                retry_after_seconds(self.session.last_response()),
            )
        detail = f"{code}: {_error_message(error)}" if code else _error_message(error)
        if isinstance(error, SalesforceMalformedRequest | SalesforceResourceNotFound):
            return CrmSchemaError(
                f"Salesforce refused {error.resource_name or 'a request'} (HTTP {error.status} {detail}): "
                "check the objects and fields in ingest/salesforce/settings.py exist in the org"
            )
        return CadenceError(
            f"Salesforce failed {error.resource_name or 'a request'} (HTTP {error.status} {detail}): "
            "check the integration user's permissions"
        )

    def _send(self, request: Callable[[], T], idempotent: bool = True) -> T:
        """One HTTP attempt; network failures become transient (a dropped page is simply re-fetched),
        except after a request not safe to repeat may have reached Salesforce (`AnswerLost`)."""
        try:
            return request()
        except requests.exceptions.SSLError as error:
            raise CrmUnreachableError(
                f"TLS handshake with Salesforce at {self.config.login_url} failed: check "
                "SOURCES__SALESFORCE__CA_BUNDLE (the CA that signed the server's certificate)"
            ) from error
        except DROPPED as error:
            reason = f"connection failed ({type(error).__name__})"
            lost = lost_answer(reason, may_have_arrived(error), idempotent, "a Salesforce write")
            raise lost or Transient(reason) from error

    def _with_retries(self, attempt: Callable[[], T], where: str) -> T:
        return with_retries(attempt, self.retry, lambda last: self._exhausted(last, where))

    def _exhausted(self, last: Transient, where: str) -> CadenceError:
        if last.rate_limited:
            return CrmRateLimitError(
                f"Salesforce kept throttling requests ({last.reason}) after {self.retry.tries} tries: "
                "wait for the org's API limits to reset or sync less often"
            )
        return CrmUnreachableError(
            f"Salesforce at {where} kept failing ({last.reason}) after {self.retry.tries} tries: check "
            "SOURCES__SALESFORCE__LOGIN_URL and the org's status"
        )

    def server_now(self) -> datetime | None:
        """Salesforce's clock (the last response's `Date`), for the cursor's upper bound."""
        return self.session.server_now()

    # ---- reads ---------------------------------------------------------------------------------
    def field_names(self, sobject: str) -> set[str]:
        """The fields of `sobject` the integration user can see (one describe call)."""
        description = self.call(lambda sf: sf.restful(f"sobjects/{sobject}/describe"))
        return {f["name"] for f in description.get("fields", [])}

    def query_tables(
        self,
        soql: str,
        sobject: SalesforceObject,
        page_size: int = MAX_PAGE_SIZE,
        seen_at: datetime | None = None,  # the CRM's clock at the read, stamped on rejected values
    ) -> Iterator[QueryPage]:
        """Each page of `soql` as one Arrow table, via queryAll: deleted rows arrive with IsDeleted.
        Values that do not fit their declared type come null, and in the page's `rejected` table.

        The next page is fetched and decoded on a worker thread while the caller (dlt) writes the
        current one: socket reads and Arrow's JSON parsing release the GIL, so the two overlap.
        """
        page_size = max(MIN_PAGE_SIZE, min(MAX_PAGE_SIZE, page_size))
        headers = {"Sforce-Query-Options": f"batchSize={page_size}"}
        decode = PageDecoder(sobject, seen_at)

        def first_page() -> QueryPage:
            return decode(
                self.call(
                    lambda sf: _get(sf, sf.base_url + "queryAll/", "query", headers, params={"q": soql})
                )
            )

        def next_page(path: str) -> QueryPage:
            # The cursor in nextRecordsUrl stays valid across retries and re-logins.
            return decode(self.call(partial(_next_page, path=path, headers=headers)))

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="salesforce-prefetch") as prefetch:
            page = first_page()
            while True:
                upcoming = None
                if not page.done and page.next_records_url:
                    upcoming = prefetch.submit(next_page, page.next_records_url)
                yield page
                if upcoming is None:
                    return
                page = upcoming.result()


def _next_page(sf: Salesforce, path: str, headers: dict[str, str]) -> bytes:
    return _get(sf, f"https://{sf.sf_instance}{path}", "query_more", headers)


def _get(sf: Salesforce, url: str, name: str, headers: dict[str, str], **kwargs: Any) -> bytes:
    """GET through simple-salesforce (its error mapping and headers); the body is decoded by the caller."""
    response = sf._call_salesforce("GET", url, name=name, headers=headers, timeout=TIMEOUT, **kwargs)
    return response.content


def _json_or_empty(response: requests.Response) -> Any:
    try:
        return orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return {}


def connect(
    config: SalesforceConfig, retry: RetryPolicy | None = None, budget: BudgetGovernor | None = None
) -> SalesforceClient:
    """A logged-in client; raises CrmAuthError / CrmUnreachableError with a one-line fix."""
    client = SalesforceClient(config, retry, budget)
    client.authenticate()
    return client


# ---- Arrow -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class QueryPage:
    table: pa.Table  # the page's records, raw-layer names and types
    done: bool
    next_records_url: str | None
    rejected: pa.Table | None = None  # values that did not fit their type (ingest/quarantine.py)


class PageDecoder:
    """Turns one query response body into one Arrow table without a Python object per record.

    Arrow's JSON reader parses the whole body (`{"done":…, "nextRecordsUrl":…, "records":[…]}`) in C++
    with the object's schema; timestamps and dates arrive as strings and are cast in C++ too (offsets
    like +0000 included). Fields the org lacks simply come back null, so every column always exists.
    A date or timestamp that does not cast (`2026-02-30`, `""`, `not a date`: Salesforce stores what
    an import wrote) becomes null and a rejected value, instead of failing the sync.
    """

    def __init__(self, sobject: SalesforceObject, seen_at: datetime | None = None) -> None:
        self.sobject = sobject
        self.seen_at = seen_at
        wire_types = {**ARROW_TYPES, "timestamp": pa.string(), "date": pa.string()}
        record = pa.struct([pa.field(f.api_name, wire_types[f.type]) for f in sobject.fields])
        self.wire_schema = pa.schema(
            [("done", pa.bool_()), ("nextRecordsUrl", pa.string()), ("records", pa.list_(record))]
        )
        self.schema = arrow_schema(sobject)

    def __call__(self, body: bytes) -> QueryPage:
        try:
            parsed = pa_json.read_json(
                io.BytesIO(body),
                read_options=pa_json.ReadOptions(block_size=len(body) + 1, use_threads=False),
                parse_options=pa_json.ParseOptions(
                    explicit_schema=self.wire_schema, unexpected_field_behavior="ignore"
                ),
            )
            records = parsed.column("records").combine_chunks().flatten()
            wire = pa.Table.from_struct_array(records).rename_columns(self.schema.names)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as error:
            raise CrmSchemaError(
                f"Salesforce answered a {self.sobject.name} query with records that do not fit the declared "
                f"field types ({_one_line(str(error))[:160]}): fix the types in ingest/salesforce/settings.py"
            ) from error
        table, rejected = self._typed(wire)
        return QueryPage(
            table, bool(parsed["done"][0].as_py()), parsed["nextRecordsUrl"][0].as_py(), rejected
        )

    def _typed(self, wire: pa.Table) -> tuple[pa.Table, pa.Table | None]:
        """Cast each column to its raw-layer type; values that do not cast are null and rejected."""
        rejections = Rejections(self.sobject.name, self.seen_at)
        columns, bad_masks = [], []
        for target in self.schema:
            typed, bad = cast_or_null(wire[target.name].combine_chunks(), target.type)
            columns.append(typed)
            bad_masks.append((target.name, bad))
        table = pa.Table.from_arrays(columns, schema=self.schema)
        # A key-only query (the delete check's SELECT Id) has no modstamp column.
        stamps = (
            table[CURSOR_COLUMN]
            if CURSOR_COLUMN in table.column_names
            else pa.nulls(table.num_rows, pa.timestamp("us", "UTC"))
        )
        for column, bad in bad_masks:
            reason = untyped_reason(self.schema.field(column).type)
            rejections.add(table[PRIMARY_KEY], column, wire[column], stamps, bad, reason)
        return table, rejections.table()


def batched(tables: Iterable[pa.Table], min_rows: int) -> Iterator[pa.Table]:
    """Concatenate pages into tables of at least `min_rows`: dlt's per-item overhead is paid per batch."""
    buffer: list[pa.Table] = []
    buffered = 0
    for table in tables:
        buffer.append(table)
        buffered += table.num_rows
        if buffered >= min_rows:
            yield pa.concat_tables(buffer)
            buffer, buffered = [], 0
    if buffer:
        yield pa.concat_tables(buffer)


def arrow_schema(sobject: SalesforceObject) -> pa.Schema:
    """The page schema; the primary key is NOT NULL, like the resource's column hint."""
    return pa.schema(
        [pa.field(f.column, ARROW_TYPES[f.type], nullable=f.column != PRIMARY_KEY) for f in sobject.fields]
    )
