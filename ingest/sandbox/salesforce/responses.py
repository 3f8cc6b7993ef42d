"""The sandbox's Salesforce REST API: the subset the unmodified simple-salesforce client uses.

OAuth token endpoint, versions, SOQL `query/` and `queryAll/` with server-side cursors and
`nextRecordsUrl` paging, `sobjects/` describe / create / get / update / soft delete, and
`composite/sobjects` batches with `allOrNone`,
`limits/` and the daily API budget (limits.py). Auth, counters, call faults and `Sforce-Limit-Info`
are the core's (`ingest.sandbox.core`); this API's hooks answer them in Salesforce's format.

Records in the store are never mutated in place: a write stores a new dict. A query cursor keeps
references to the dicts that matched, so its pages are a snapshot taken at query time for free.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import itertools
import re
import threading
import time
import uuid
from collections import OrderedDict
from dataclasses import dataclass
from operator import itemgetter
from typing import Any
from urllib.parse import parse_qs, unquote_plus

import orjson

from ingest.sandbox import soql
from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request, Response, same_secret
from ingest.sandbox.core.store import Record
from ingest.sandbox.salesforce.errors import (
    ROLLED_BACK,
    RecordError,
    fault_response,
    invalid_session,
    not_found,
    oauth_error,
    salesforce_error,
)
from ingest.sandbox.salesforce.lengths import check_length
from ingest.sandbox.salesforce.limits import DAILY_API_LIMIT as DAILY_API_LIMIT  # re-exported
from ingest.sandbox.salesforce.limits import ApiBudget
from ingest.sandbox.salesforce.metadata import with_compound_values
from ingest.sandbox.salesforce.models import (
    API_VERSIONS,
    DERIVED_FIELDS,
    INTEGRATION_USER_ID,
    ORG_ID,
    SALESFORCE_KEY_PREFIXES,
    STANDARD_FIELDS,
    SYSTEM_FIELDS,
    SalesforceSchema,
    label,
    modstamps,
    normalized_value,
    salesforce_timestamp,
    with_derived_fields,
)
from ingest.sandbox.salesforce.profile import DEFAULT_PROFILE, PROFILES, SalesforceProfile, parse_profile
from ingest.sandbox.salesforce.replication import (
    ValueIndex,
    archive_due,
    maintain,
    organization_record,
)
from ingest.sandbox.salesforce.replication import hidden as _hidden
from ingest.sandbox.salesforce.replication import unique_key as _unique_key

DEFAULT_BATCH_SIZE = 2000
MIN_BATCH_SIZE = 200
COMPOSITE_LIMIT = 200
KEPT_CURSORS = 50

# ---- query cursors -----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueryCursor:
    """A query's result, computed once; pages are slices of it."""

    locator: str
    sobject: str
    fields: tuple[str, ...]
    records: list[Record]
    batch_size: int
    version: str


class CursorCache:
    """The most recent cursors; older ones expire like Salesforce's query locators do."""

    def __init__(self, capacity: int = KEPT_CURSORS) -> None:
        self.capacity = capacity
        self._cursors: OrderedDict[str, QueryCursor] = OrderedDict()
        self._numbers = itertools.count(1)
        self._lock = threading.Lock()

    def new_locator(self) -> str:
        return f"01g{next(self._numbers):012d}"

    def add(self, cursor: QueryCursor) -> None:
        with self._lock:
            self._cursors[cursor.locator] = cursor
            while len(self._cursors) > self.capacity:
                self._cursors.popitem(last=False)

    def get(self, locator: str) -> QueryCursor | None:
        with self._lock:
            return self._cursors.get(locator)


def _batch_size(request: Request) -> int:
    """Sforce-Query-Options: batchSize=N, clamped to Salesforce's 200..2000."""
    options = request.headers.get("sforce-query-options", "")
    found = re.search(r"batchSize\s*=\s*(\d+)", options)
    if not found:
        return DEFAULT_BATCH_SIZE
    return max(MIN_BATCH_SIZE, min(DEFAULT_BATCH_SIZE, int(found.group(1))))


def _page(cursor: QueryCursor, offset: int) -> Response:
    """One page, serialized straight to bytes (the hot path of a million-record sync)."""
    chunk = cursor.records[offset : offset + cursor.batch_size]
    end = offset + len(chunk)
    body: dict[str, Any] = {"totalSize": len(cursor.records), "done": end >= len(cursor.records)}
    if not body["done"]:
        body["nextRecordsUrl"] = f"/services/data/v{cursor.version}/query/{cursor.locator}-{end}"
    body["records"] = _rows(chunk, cursor.sobject, cursor.fields, cursor.version)
    return Response(200, orjson.dumps(body))


def _rows(chunk: list[Record], sobject: str, fields: tuple[str, ...], version: str) -> list[Record]:
    """Records as Salesforce returns them: `attributes`, then the selected fields in SELECT order."""
    url_prefix = f"/services/data/v{version}/sobjects/{sobject}/"
    keys = ("attributes", *fields)
    pick = itemgetter(*fields, "Id")  # C-level lookup; "Id" keeps the result a tuple for one field
    rows = []
    for record in chunk:
        try:
            values = pick(record)
        except KeyError:  # a record without some optional field: null, as Salesforce returns it
            values = (*(record.get(f) for f in fields), None)
        attributes = {"type": sobject, "url": url_prefix + record["Id"]}
        rows.append(dict(zip(keys, (attributes, *values), strict=False)))
    return rows


@dataclass(frozen=True)
class PendingWrite:
    sobject: str
    record: Record  # the complete new version of the record
    created: bool = False


# ---- the API -----------------------------------------------------------------------------------


class SalesforceApi:
    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self.schema = SalesforceSchema(sandbox.store)
        self.cursors = CursorCache()
        self.sessions: set[str] = set()  # access tokens issued and not expired
        self.budget = ApiBudget.from_org(sandbox.store.extras.get("salesforce") or {})
        self.profile = PROFILES[DEFAULT_PROFILE]
        self.set_profile(parse_profile((sandbox.store.extras.get("salesforce") or {}).get("_profile")))
        self.index = ValueIndex(sandbox.store)
        self.purged_until: dict[str, str] = {}  # sobject -> stamp of the last record purged for good
        self._pending_unique: dict[tuple[str, str, Any], str] = {}  # values claimed by this batch

    def set_profile(self, profile: SalesforceProfile) -> None:
        self.profile = profile
        self.store.set_strict_clock(profile.strict_clock)
        archive_due(self)

    # ---- core hooks (ingest.sandbox.core.app.ApiHooks) -----------------------------------------
    def authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        if token not in self.sessions:
            raise invalid_session()
        self.budget.spend()  # every authenticated call is an API call (limits.py)

    def issue_session(self) -> str:
        token = "00D000000000001!" + uuid.uuid4().hex
        self.sessions.add(token)
        return token

    def expire_sessions(self) -> None:
        self.sessions.clear()

    def fault_response(self, fault: Fault) -> Response:
        return fault_response(fault)

    def not_found(self, request: Request) -> Response:
        return not_found()

    def error(self, status: int, code: str, message: str) -> Response:
        # REST errors are `[{"message", "errorCode"}]` (REST API Developer Guide, "Status Codes and
        # Error Responses"), e.g. 400 JSON_PARSER_ERROR, 405 METHOD_NOT_ALLOWED, 415 UNSUPPORTED_MEDIA_TYPE.
        return Response(status, salesforce_error(code, message))

    def finish(self, response: Response) -> None:
        response.headers.setdefault("Sforce-Limit-Info", self.budget.header())

    # ---- OAuth ---------------------------------------------------------------------------------
    def token(self, request: Request) -> Response:
        form = {**request.query, **parse_qs(request.body.decode("utf-8", "replace"), keep_blank_values=True)}
        value = {**_basic_client(request), **{name: values[-1] for name, values in form.items()}}
        grant = value.get("grant_type")
        if grant not in ("client_credentials", "password"):
            return oauth_error("unsupported_grant_type", "grant type not supported")
        credentials = self.sandbox.credentials
        if not (
            same_secret(value.get("client_id"), credentials.salesforce_client_id)
            and same_secret(value.get("client_secret"), credentials.salesforce_client_secret)
        ):
            return oauth_error("invalid_client", "invalid client credentials")
        if grant == "password" and not (
            same_secret(value.get("username"), credentials.salesforce_username)
            and same_secret(value.get("password"), credentials.salesforce_password)
        ):
            return oauth_error("invalid_grant", "authentication failure")
        identity = f"{request.base_url}/id/{ORG_ID}/{INTEGRATION_USER_ID}"
        issued_at = str(int(time.time() * 1000))
        secret = credentials.salesforce_client_secret.encode()
        digest = hmac.new(secret, (identity + issued_at).encode(), hashlib.sha256)
        return Response(
            200,
            {
                "access_token": self.issue_session(),
                "instance_url": request.base_url,
                "id": identity,
                "token_type": "Bearer",
                "issued_at": issued_at,
                "signature": base64.b64encode(digest.digest()).decode(),
            },
        )

    def limits(self, request: Request) -> Any:
        return self.budget.limits()

    def configure_budget(self, request: Request) -> Any:
        return self.budget.configure(request.json())

    def versions(self, request: Request) -> Any:
        return [{"label": f"v{v}", "url": f"/services/data/v{v}", "version": v} for v in API_VERSIONS]

    # ---- queries -------------------------------------------------------------------------------
    def query(self, request: Request) -> Response:
        text = request.arg("q")
        if not text:
            raise ApiError(400, salesforce_error("MALFORMED_QUERY", "A query string (q) is required"))
        compiled = self._compile(text)
        include_deleted = request.path.rstrip("/").endswith("queryAll")
        with self.store.lock:  # a list of references is a consistent snapshot: writes replace dicts
            maintain(self, compiled.sobject)
            snapshot = self._records(compiled.sobject)
        visible = snapshot if include_deleted else [r for r in snapshot if not _hidden(r)]
        if isinstance(compiled, soql.CompiledAggregate):
            return self._aggregate_page(compiled, visible)
        matched = with_compound_values(
            compiled.run(visible), compiled.fields, self.schema.fields(compiled.sobject)
        )
        if compiled.count_only:
            return Response(200, {"totalSize": len(matched), "done": True, "records": []})
        cursor = QueryCursor(
            self.cursors.new_locator(),
            compiled.sobject,
            compiled.fields,
            matched,
            _batch_size(request),
            request.params["version"],
        )
        if len(matched) > cursor.batch_size:
            self.cursors.add(cursor)
        return _page(cursor, 0)

    def _aggregate_page(self, compiled: soql.CompiledAggregate, visible: list[Record]) -> Response:
        """AggregateResult records, all in one page (aggregate queries have no queryMore)."""
        try:
            rows = compiled.run(visible)
        except soql.SoqlError as error:
            raise ApiError(400, salesforce_error(error.code, error.message)) from error
        records = [{"attributes": {"type": "AggregateResult"}, **row} for row in rows]
        return Response(200, {"totalSize": len(records), "done": True, "records": records})

    def _records(self, sobject: str) -> list[Record]:
        """The records of `sobject`; the Organization object is the org itself, one read-only record."""
        records = list(self.store.salesforce.get(sobject, {}).values())
        if sobject == "Organization" and not records:
            return [organization_record(self.store)]
        return records

    def query_more(self, request: Request) -> Response:
        cursor = self.cursors.get(request.params["locator"])
        offset = int(request.params["offset"])
        if cursor is None or not 0 < offset < len(cursor.records):
            raise ApiError(400, salesforce_error("INVALID_QUERY_LOCATOR", "invalid query locator"))
        return _page(cursor, offset)

    def _compile(self, text: str) -> soql.CompiledQuery | soql.CompiledAggregate:
        try:
            parsed = soql.parse(text)
            sobject = self.schema.resolve_object(parsed.sobject)
            if sobject is None:
                raise soql.malformed(f"sObject type '{parsed.sobject}' is not supported.")
            return soql.compile_query(
                parsed, sobject, self.schema.lookup(sobject), lambda: self.store.now().date()
            )
        except soql.SoqlError as error:
            raise ApiError(400, salesforce_error(error.code, error.message)) from error

    # ---- describe ------------------------------------------------------------------------------
    def describe_global(self, request: Request) -> Any:
        names = sorted(set(STANDARD_FIELDS) | set(self.store.salesforce))
        return {
            "encoding": "UTF-8",
            "maxBatchSize": COMPOSITE_LIMIT,
            "sobjects": [self._object_summary(name, request.params["version"]) for name in names],
        }

    def describe(self, request: Request) -> Any:
        sobject = self._sobject(request)
        fields = self.schema.fields(sobject)
        return {
            **self._object_summary(sobject, request.params["version"]),
            "fields": [self.schema.describe_field(sobject, name, kind) for name, kind in fields.items()],
        }

    def _object_summary(self, sobject: str, version: str) -> dict[str, Any]:
        base = f"/services/data/v{version}/sobjects/{sobject}"
        return {
            "name": sobject,
            "label": label(sobject),
            "labelPlural": label(sobject) + "s",
            "keyPrefix": SALESFORCE_KEY_PREFIXES.get(sobject),
            "custom": sobject.endswith("__c"),
            "queryable": True,
            "createable": True,
            "updateable": True,
            "deletable": sobject != "User",
            "urls": {"sobject": base, "describe": f"{base}/describe", "rowTemplate": f"{base}/{{ID}}"},
        }

    def sobject_of(self, request: Request) -> str:
        return self._sobject(request)

    def _sobject(self, request: Request) -> str:
        sobject = self.schema.resolve_object(request.params["sobject"])
        if sobject is None:
            raise ApiError(404, salesforce_error("NOT_FOUND", "The requested resource does not exist"))
        return sobject

    # ---- single-record writes ------------------------------------------------------------------
    def create(self, request: Request) -> Response:
        sobject = self._sobject(request)
        values = request.json()
        if not isinstance(values, dict):
            raise ApiError(400, salesforce_error("JSON_PARSER_ERROR", "The body must be a JSON object"))
        with self.store.lock:
            write = self._single(lambda: self._prepare_create(sobject, values, self._stamp()))
            self._commit([write])
        return Response(201, {"id": write.record["Id"], "success": True, "errors": []})

    def get(self, request: Request) -> Any:
        sobject = self._sobject(request)
        try:
            record = self._existing(sobject, request.params["record_id"], status_if_missing=404)
        except RecordError as error:
            raise ApiError(404, salesforce_error(error.code, error.message)) from error
        if record.get("IsDeleted"):
            raise ApiError(404, salesforce_error("ENTITY_IS_DELETED", "entity is deleted"))
        url = f"/services/data/v{request.params['version']}/sobjects/{sobject}/{record['Id']}"
        values = {name: record.get(name) for name in self.schema.fields(sobject)}
        return {"attributes": {"type": sobject, "url": url}, **values}

    def update(self, request: Request) -> Response:
        sobject = self._sobject(request)
        values = request.json()
        if not isinstance(values, dict):
            raise ApiError(400, salesforce_error("JSON_PARSER_ERROR", "The body must be a JSON object"))
        with self.store.lock:
            write = self._single(
                lambda: self._prepare_update(sobject, request.params["record_id"], values, self._stamp(), 404)
            )
            self._commit([write])
        return Response(204, None)

    def delete(self, request: Request) -> Response:
        sobject = self._sobject(request)
        if "IsDeleted" not in STANDARD_FIELDS.get(sobject, {"IsDeleted": "boolean"}):
            raise ApiError(400, salesforce_error("DELETE_FAILED", f"{sobject} records can't be deleted"))
        with self.store.lock:
            write = self._single(lambda: self._prepare_delete(sobject, request.params["record_id"]))
            self._commit([write])
        return Response(204, None)

    # ---- External ID: upsert and get_by_custom_id ----------------------------------------------
    # https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/dome_upsert.htm:
    # 201 created / 200 updated (body {id, success, errors, created}), 300 with the matching records'
    # URLs when several match, 404 NOT_FOUND for a field that does not exist.
    def upsert(self, request: Request) -> Response:
        sobject, field = self._sobject(request), self._external_id_field(request)
        values = request.json()
        if not isinstance(values, dict):
            raise ApiError(400, salesforce_error("JSON_PARSER_ERROR", "The body must be a JSON object"))
        with self.store.lock:
            self._pending_unique.clear()
            write = self._single(
                lambda: self._prepare_upsert(sobject, field, request.params["value"], values, self._stamp())
            )
            self._commit([write])
        body = {"id": write.record["Id"], "success": True, "errors": [], "created": write.created}
        return Response(201 if write.created else 200, body)

    def get_by_external_id(self, request: Request) -> Any:
        sobject, field = self._sobject(request), self._external_id_field(request)
        with self.store.lock:
            matches = self._matches(sobject, field, request.params["value"], request.params["version"])
        if not matches:
            raise ApiError(404, salesforce_error("NOT_FOUND", "The requested resource does not exist"))
        request.params["record_id"] = matches[0]["Id"]
        return self.get(request)

    def _external_id_field(self, request: Request) -> str:
        sobject = self._sobject(request)
        found = self.schema.lookup(sobject).get(request.params["field"].lower())
        if found is None:
            message = (
                f"Provided external ID field does not exist or is not accessible: {request.params['field']}"
            )
            raise ApiError(404, salesforce_error("NOT_FOUND", message))
        name = found[0]
        if name != "Id" and name not in self.schema.external_id_fields(sobject):
            message = f"Field {name} is not an External ID or is not indexed and cannot be used as a key"
            raise ApiError(400, salesforce_error("INVALID_FIELD", message, [name]))
        return name

    def _matches(self, sobject: str, field: str, value: Any, version: str) -> list[Record]:
        """Live records whose `field` equals `value`; 300 MULTIPLE_CHOICES when more than one does."""
        records = self.store.salesforce.get(sobject, {})
        if field == "Id":
            found = [records[value]] if value in records and not records[value].get("IsDeleted") else []
        else:
            found = [records[i] for i in sorted(self.index.ids(sobject, field, _unique_key(value)))]
        if len(found) > 1:
            urls = [f"/services/data/v{version}/sobjects/{sobject}/{r['Id']}" for r in found]
            raise ApiError(300, urls)
        return found

    def _prepare_upsert(
        self, sobject: str, field: str, value: Any, values: dict[str, Any], stamp: str
    ) -> PendingWrite:
        if value is None or value == "":
            raise RecordError("MISSING_ARGUMENT", f"{field} not specified", [field])
        try:
            matches = self._matches(sobject, field, value, API_VERSIONS[-1])
        except ApiError as error:
            raise RecordError(
                "DUPLICATE_EXTERNAL_ID", f"{field}: more than one record found", [field], 300
            ) from error
        values = {k: v for k, v in values.items() if k.lower() != field.lower()}
        if matches:
            return self._prepare_update(sobject, matches[0]["Id"], values, stamp, 404)
        if field == "Id":
            raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
        return self._prepare_create(sobject, {**values, field: value}, stamp)

    def _single(self, prepare: Any) -> PendingWrite:
        try:
            return prepare()
        except RecordError as error:
            raise ApiError(error.status, salesforce_error(error.code, error.message, error.fields)) from error

    # ---- composite/sobjects --------------------------------------------------------------------
    def composite(self, request: Request) -> Any:
        body = request.json()
        items = body.get("records") if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise ApiError(400, salesforce_error("JSON_PARSER_ERROR", "The body must have a 'records' array"))
        if len(items) > COMPOSITE_LIMIT:
            message = f"record limit reached. cannot submit more than {COMPOSITE_LIMIT} records in this call"
            raise ApiError(400, salesforce_error("EXCEEDED_ID_LIMIT", message))
        creating = request.method == "POST"
        upsert_field = self._external_id_field(request) if "field" in request.params else None
        fault = self.sandbox.faults.take("salesforce.composite_sobjects", {"fail_record"}) if items else None
        with self.store.lock:
            self._pending_unique.clear()
            stamp = self._stamp()  # one instant for the whole call, as a real org stamps a batch
            outcomes = [self._prepare_item(item, creating, stamp, upsert_field) for item in items]
            if fault is not None and fault.record < len(outcomes):
                outcomes[fault.record] = RecordError(
                    "UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record or 1 records"
                )
            failed = any(isinstance(outcome, RecordError) for outcome in outcomes)
            if failed and body.get("allOrNone"):
                outcomes = [o if isinstance(o, RecordError) else ROLLED_BACK for o in outcomes]
            self._commit([o for o in outcomes if isinstance(o, PendingWrite)])
        results = [
            _save_result(outcome, item, creating) for outcome, item in zip(outcomes, items, strict=True)
        ]
        if upsert_field is not None:  # UpsertResult carries `created` (composite sObject upsert doc)
            for result, outcome in zip(results, outcomes, strict=True):
                result["created"] = isinstance(outcome, PendingWrite) and outcome.created
        return results

    def _prepare_item(
        self, item: Any, creating: bool, stamp: str, upsert_field: str | None = None
    ) -> PendingWrite | RecordError:
        try:
            if not isinstance(item, dict):
                raise RecordError("JSON_PARSER_ERROR", "each record must be a JSON object")
            values = dict(item)
            attributes = values.pop("attributes", None) or {}
            sobject = self.schema.resolve_object(attributes.get("type"))
            if sobject is None:
                raise RecordError("INVALID_TYPE", "Must specify a valid sObject type in attributes.type")
            if upsert_field is not None:
                return self._prepare_upsert(
                    sobject, upsert_field, values.pop(upsert_field, None), values, stamp
                )
            if creating:
                return self._prepare_create(sobject, values, stamp)
            record_id = values.pop("Id", None)
            if not record_id:
                raise RecordError("MISSING_ARGUMENT", "Id not specified in an update call", ["Id"])
            return self._prepare_update(sobject, record_id, values, stamp, 400)
        except RecordError as error:
            return error

    # ---- write preparation (caller holds store.lock) -------------------------------------------
    def _stamp(self) -> str:
        return salesforce_timestamp(self.store.now())

    def _checked(self, sobject: str, values: dict[str, Any]) -> dict[str, Any]:
        lookup = self.schema.lookup(sobject)
        checked: dict[str, Any] = {}
        for name, value in values.items():
            found = lookup.get(name.lower())
            if found is None:
                message = f"No such column '{name}' on sobject of type {sobject}"
                raise RecordError("INVALID_FIELD", message, [name])
            api_name, field_type = found
            if api_name in SYSTEM_FIELDS or api_name in DERIVED_FIELDS.get(sobject, ()):
                message = f"Unable to create/update fields: {api_name}. Check the field's security settings."
                raise RecordError("INVALID_FIELD_FOR_INSERT_UPDATE", message, [api_name])
            checked[api_name] = normalized_value(api_name, field_type, value)
            check_length(api_name, checked[api_name], self.schema.field_length(sobject, api_name, field_type))
        return checked

    def _prepare_create(self, sobject: str, values: dict[str, Any], stamp: str) -> PendingWrite:
        if sobject == "Organization":
            raise RecordError(
                "INVALID_TYPE_FOR_OPERATION", "entity type Organization does not support insert"
            )
        checked = self._checked(sobject, values)
        record: Record = {"Id": self.store.new_salesforce_id(sobject)}
        if sobject == "Task":
            record.update({"Status": "Not Started", "Priority": "Normal"})
        record.update(checked)
        user = INTEGRATION_USER_ID  # the API user writes (system fields: Object Reference)
        record.update(
            {"CreatedDate": stamp, "CreatedById": user, "LastModifiedById": user, **modstamps(stamp)}
        )
        if "IsDeleted" in STANDARD_FIELDS.get(sobject, {"IsDeleted": "boolean"}):
            record["IsDeleted"] = False
        if sobject in ("Task", "Event"):
            record.setdefault("IsArchived", False)
        return self._claim_unique(PendingWrite(sobject, with_derived_fields(sobject, record), created=True))

    def _prepare_update(
        self, sobject: str, record_id: str, values: dict[str, Any], stamp: str, status_if_missing: int
    ) -> PendingWrite:
        current = self._existing(sobject, record_id, status_if_missing)
        if current.get("IsDeleted"):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", status=status_if_missing)
        values = {k: v for k, v in values.items() if not (k == "Id" and v == current["Id"])}
        record = {**current, **self._checked(sobject, values), **modstamps(stamp)}
        record["LastModifiedById"] = INTEGRATION_USER_ID
        return self._claim_unique(PendingWrite(sobject, with_derived_fields(sobject, record)))

    def _claim_unique(self, write: PendingWrite) -> PendingWrite:
        """DUPLICATE_VALUE when a unique field's value is another live record's, or claimed earlier in
        this batch. Unique fields: the org's declared ones (External IDs are unique only if declared so,
        https://help.salesforce.com/s/articleView?id=sf.custom_field_attributes.htm)."""
        for field in self.schema.unique_fields(write.sobject):
            value = write.record.get(field)
            if value is None or value == "":
                continue
            key = (write.sobject, field, _unique_key(value))
            owners = {self._pending_unique.get(key)} | self.index.ids(
                write.sobject, field, _unique_key(value)
            )
            others = sorted(owner for owner in owners if owner and owner != write.record["Id"])
            if others:
                message = f"duplicate value found: {field} duplicates value on record with id: {others[0]}"
                raise RecordError("DUPLICATE_VALUE", message, [field])
            self._pending_unique[key] = write.record["Id"]
        return write

    def _prepare_delete(self, sobject: str, record_id: str) -> PendingWrite:
        current = self._existing(sobject, record_id, 404)
        if current.get("IsDeleted"):
            raise RecordError("ENTITY_IS_DELETED", "entity is deleted", status=404)
        stamp = self._stamp()
        return PendingWrite(sobject, {**current, "IsDeleted": True, **modstamps(stamp)})

    def _existing(self, sobject: str, record_id: str, status_if_missing: int) -> Record:
        record = self.store.salesforce.get(sobject, {}).get(record_id)
        if record is None:
            if status_if_missing == 404:
                raise RecordError("NOT_FOUND", "The requested resource does not exist", status=404)
            message = f"invalid cross reference id: {record_id}"
            raise RecordError("INVALID_CROSS_REFERENCE_KEY", message, ["Id"])
        return record

    def _commit(self, writes: list[PendingWrite]) -> None:
        self._pending_unique.clear()
        if not writes:
            return
        for write in writes:
            records = self.store.salesforce.setdefault(write.sobject, {})
            self.index.replace(write.sobject, records.get(write.record["Id"]), write.record)
            records[write.record["Id"]] = write.record
            self.schema.note_written(write.sobject, write.record)
        self.index.commit_generation(self.store.mark_dirty)


def _save_result(outcome: PendingWrite | RecordError, item: Any, creating: bool) -> dict[str, Any]:
    if isinstance(outcome, PendingWrite):
        return {"id": outcome.record["Id"], "success": True, "errors": []}
    record_id = None if creating or not isinstance(item, dict) else item.get("Id")
    return {"id": record_id, "success": False, "errors": [outcome.as_save_error()]}


def _basic_client(request: Request) -> dict[str, str]:
    """Client credentials from `Authorization: Basic` (RFC 6749 section 2.3.1: servers MUST support
    it; Salesforce Help, "OAuth 2.0 Client Credentials Flow", accepts a basic authorization header)."""
    header = request.headers.get("authorization", "")
    if not header.lower().startswith("basic "):
        return {}
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (ValueError, UnicodeDecodeError):
        return {}
    client_id, _, client_secret = decoded.partition(":")
    return {"client_id": unquote_plus(client_id), "client_secret": unquote_plus(client_secret)}
