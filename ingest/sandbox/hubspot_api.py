"""The sandbox's HubSpot CRM API: v3 objects, search, batch writes, properties, owners; v4 association reads.

Records live in `OrgStore.hubspot[type][id]` shaped like HubSpot's own objects (`id`, `properties`,
`createdAt`, `updatedAt`, `archived`) plus `associations: {to_type: [ids]}`. The core (`server.py`)
does auth, counters and call-level faults; this module answers in HubSpot's wire shapes so the real
hubspot-api-client decodes every response, and refuses (400) what it does not model rather than
answering wrongly.

Search is built for 100,000-record portals: the filtered and sorted id list of a query is computed
once and cached (keyed by the body minus paging), each page is a slice; writes drop the cache.
"""

from __future__ import annotations

import math
import operator
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from collections.abc import Set as AbstractSet
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import orjson

from ingest.sandbox.server import ApiError, Request, Response, hubspot_error
from ingest.sandbox.store import Record, hubspot_timestamp

if TYPE_CHECKING:
    from ingest.sandbox.server import Sandbox

OBJECT_TYPES = ("companies", "contacts", "meetings", "tasks", "deals")
ENGAGEMENT_TYPES = frozenset({"meetings", "tasks"})  # their creation stamp is hs_createdate, not createdate
SEARCH_RESULT_CAP = 10_000  # HubSpot never pages a search past its 10,000th result
LIST_MAX_LIMIT = 100
SEARCH_MAX_LIMIT = 200
BATCH_MAX_INPUTS = 100
ASSOCIATION_READ_MAX_INPUTS = 1000
OWNERS_MAX_LIMIT = 500
MAX_FILTER_GROUPS = 5
MAX_FILTERS_PER_GROUP = 6
FALLBACK_TIMESTAMP = "1970-01-01T00:00:00.000Z"  # for hand-written records that lack createdAt/updatedAt
QUERY_CACHE_SIZE = 32  # distinct cached queries per object type

# HubSpot-defined (unlabelled) association type ids, per direction.
ASSOCIATION_TYPE_IDS: dict[tuple[str, str], int] = {
    ("contacts", "companies"): 279,
    ("companies", "contacts"): 280,
    ("deals", "companies"): 341,
    ("companies", "deals"): 342,
    ("meetings", "companies"): 188,
    ("companies", "meetings"): 187,
    ("tasks", "companies"): 192,
    ("companies", "tasks"): 191,
}
_ASSOCIATION_TARGETS = {
    (source, type_id): target for (source, target), type_id in ASSOCIATION_TYPE_IDS.items()
}

# Property schema: name -> (type, fieldType), as GET /crm/v3/properties/{type} reports them.
PropertyDef = tuple[str, str]
_DATETIME: PropertyDef = ("datetime", "date")
_NUMBER: PropertyDef = ("number", "number")
_TEXT: PropertyDef = ("string", "text")
_TEXTAREA: PropertyDef = ("string", "textarea")
_SELECT: PropertyDef = ("enumeration", "select")

_COMMON_PROPERTIES = {"hs_object_id": _NUMBER, "hs_lastmodifieddate": _DATETIME, "hubspot_owner_id": _SELECT}
STANDARD_PROPERTIES: dict[str, dict[str, PropertyDef]] = {
    "companies": {
        "name": _TEXT, "domain": _TEXT, "lifecyclestage": _SELECT, "createdate": _DATETIME, "phone": _TEXT,
        "city": _TEXT, "state": _TEXT, "industry": _SELECT, "hs_parent_company_id": _NUMBER,
    },
    "contacts": {
        "firstname": _TEXT, "lastname": _TEXT, "email": _TEXT, "jobtitle": _TEXT, "phone": _TEXT,
        "lifecyclestage": _SELECT, "createdate": _DATETIME, "lastmodifieddate": _DATETIME,
    },
    "meetings": {
        "hs_meeting_title": _TEXT, "hs_meeting_body": _TEXTAREA, "hs_meeting_start_time": _DATETIME,
        "hs_meeting_end_time": _DATETIME, "hs_meeting_outcome": _SELECT, "hs_activity_type": _SELECT,
        "hs_timestamp": _DATETIME, "hs_createdate": _DATETIME,
    },
    "tasks": {
        "hs_task_subject": _TEXT, "hs_task_body": _TEXTAREA, "hs_task_status": _SELECT,
        "hs_task_priority": _SELECT, "hs_task_type": _SELECT, "hs_timestamp": _DATETIME,
        "hs_task_completion_date": _DATETIME, "hs_createdate": _DATETIME,
    },
    "deals": {
        "dealname": _TEXT, "dealstage": _SELECT, "pipeline": _SELECT, "amount": _NUMBER,
        "closedate": _DATETIME, "createdate": _DATETIME,
    },
}  # fmt: skip
_KNOWN_DATETIMES = frozenset(
    name for props in STANDARD_PROPERTIES.values() for name, spec in props.items() if spec == _DATETIME
) | {"hs_lastmodifieddate"}
# Types of the optional custom properties the pipeline uses, when the org file names them without a type.
_KNOWN_CUSTOM = {"visit_cadence_days": _NUMBER, "cadence_task_key": _TEXT}

# What HubSpot returns when a read names no properties.
_DEFAULT_RETURNED = {
    "companies": ("createdate", "domain", "hs_lastmodifieddate", "hs_object_id", "name"),
    "contacts": ("createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"),
    "meetings": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "tasks": ("hs_createdate", "hs_lastmodifieddate", "hs_object_id"),
    "deals": ("amount", "closedate", "createdate", "dealname", "dealstage", "hs_lastmodifieddate",
              "hs_object_id", "pipeline"),
}  # fmt: skip
# Server-set properties derived from the envelope when a hand-written record lacks them.
_ENVELOPE_FALLBACK = {
    "hs_lastmodifieddate": "updatedAt", "lastmodifieddate": "updatedAt",
    "createdate": "createdAt", "hs_createdate": "createdAt",
}  # fmt: skip
_COMPARISONS: dict[str, Callable[[Any, Any], bool]] = {
    "EQ": operator.eq, "GT": operator.gt, "GTE": operator.ge, "LT": operator.lt, "LTE": operator.le,
}  # fmt: skip


def register(sandbox: Sandbox) -> None:
    """Add the HubSpot routes to the sandbox."""
    HubSpotApi(sandbox).register()


class InputError(Exception):
    """One batch input that failed; the batch answers 207 with this among its `errors`."""

    def __init__(self, category: str, message: str, code: str | None = None, **context: list[str]) -> None:
        super().__init__(message)
        self.category = category
        self.message = message
        self.code = code
        self.context = context

    def to_wire(self, trace_id: str | None = None) -> dict[str, Any]:
        context = dict(self.context)
        if trace_id is not None:
            context["objectWriteTraceId"] = [trace_id]
        details = [{"message": self.message, "code": self.code, "context": context}] if self.code else []
        return {
            "status": "error",
            "category": self.category,
            "message": self.message,
            "context": context,
            "links": {},
            "errors": details,
        }


class HubSpotApi:
    """The handlers, bound to one sandbox; caches derived views of the store per object type."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self._derived: dict[str, OrderedDict[Hashable, Any]] = {}
        self._seen_generation = self.store.generation
        self._schemas: dict[str, dict[str, PropertyDef]] = {}

    # ---- routes ------------------------------------------------------------------------------
    def register(self) -> None:
        for object_type in OBJECT_TYPES:
            self._register_object_routes(object_type)
        for source, target in ASSOCIATION_TYPE_IDS:
            name = f"{source}.{target}"
            self._route(
                "POST",
                f"/crm/v4/associations/{source}/{target}/batch/read",
                f"associations.{name}",
                partial(self.read_associations, source, target),
            )
            self._route(
                "GET",
                rf"/crm/v3/objects/{source}/(?P<id>[^/]+)/associations/{target}",
                f"associations_v3.{name}",
                partial(self.list_associations, source, target),
            )
        self._route("GET", r"/crm/v3/owners", "owners", self.list_owners)
        self._route("GET", r"/crm/v3/owners/(?P<id>[^/]+)", "owners", self.get_owner)

    def _register_object_routes(self, object_type: str) -> None:
        base = f"/crm/v3/objects/{object_type}"
        routes = [
            ("GET", "", "list", self.list_objects),
            ("GET", r"/(?P<id>[^/]+)", "get", self.get_object),
            ("DELETE", r"/(?P<id>[^/]+)", "archive", self.archive_object),
            ("POST", "/search", "search", self.search),
            ("POST", "/batch/create", "batch_create", self.batch_create),
            ("POST", "/batch/update", "batch_update", self.batch_update),
            ("POST", "/batch/read", "batch_read", self.batch_read),
        ]
        for method, suffix, action, handler in routes:
            self._route(method, base + suffix, f"{action}.{object_type}", partial(handler, object_type))
        self._route(
            "GET",
            f"/crm/v3/properties/{object_type}",
            f"properties.{object_type}",
            partial(self.list_properties, object_type),
        )

    def _route(self, method: str, pattern: str, name: str, handler: Callable[[Request], Any]) -> None:
        self.sandbox.route(method, pattern, f"hubspot.{name}", api="hubspot")(handler)

    # ---- reads -------------------------------------------------------------------------------
    def list_objects(self, object_type: str, request: Request) -> dict[str, Any]:
        limit = _limit(request.arg("limit"), default=10, maximum=LIST_MAX_LIMIT)
        archived = _flag(request.arg("archived"))
        properties = request.args("properties") or None
        associations = request.args("associations")
        with self.store.lock:
            ids = self._ordered_ids(object_type, archived)
            start = _cursor_position(ids, request.arg("after"))
            records = self.store.hubspot[object_type] if ids else {}
            results = [
                self._public_object(object_type, records[i], properties, associations)
                for i in ids[start : start + limit]
            ]
            next_id = ids[start + limit] if start + limit < len(ids) else None
        return _page(results, next_id, request)

    def get_object(self, object_type: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            record = self._find(object_type, request.params["id"], archived=_flag(request.arg("archived")))
            return self._public_object(
                object_type, record, request.args("properties") or None, request.args("associations")
            )

    def batch_read(self, object_type: str, request: Request) -> Response:
        body = _body(request)
        inputs = _inputs(body, BATCH_MAX_INPUTS)
        properties = _property_names(body.get("properties"))
        archived = _flag(request.arg("archived"))
        started = _wall_clock()
        results, missing = [], []
        with self.store.lock:
            for item in inputs:
                record_id = str(item.get("id")) if isinstance(item, dict) else ""
                record = self.store.hubspot.get(object_type, {}).get(record_id)
                if record is None or bool(record.get("archived")) != archived:
                    missing.append(record_id)
                    continue
                results.append(self._public_object(object_type, record, properties))
        errors = (
            [
                InputError(
                    "OBJECT_NOT_FOUND",
                    "Could not get some objects, they may be deleted or not exist.",
                    ids=missing,
                ).to_wire()
            ]
            if missing
            else []
        )
        return _batch_response(results, errors, started, 200)

    def list_properties(self, object_type: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            schema = self._schema(object_type)
        group = "companyinformation" if object_type == "companies" else f"{_singular(object_type)}information"
        standard = STANDARD_PROPERTIES[object_type].keys() | _COMMON_PROPERTIES.keys()
        return {
            "results": [
                _property_wire(name, spec, group, name in standard) for name, spec in sorted(schema.items())
            ]
        }

    # ---- search ------------------------------------------------------------------------------
    def search(self, object_type: str, request: Request) -> dict[str, Any]:
        body = _body(request)
        if body.get("query"):
            raise _validation_error("free-text `query` is not supported by the sandbox; use filterGroups")
        limit = _limit(body.get("limit"), default=10, maximum=SEARCH_MAX_LIMIT)
        offset = _offset(body.get("after"))
        if offset + limit > SEARCH_RESULT_CAP:
            raise _validation_error(
                f"Search results are limited to {SEARCH_RESULT_CAP} records (after={offset}, limit={limit}); "
                "narrow the filters, e.g. on hs_lastmodifieddate, instead of paging further"
            )
        properties = _property_names(body.get("properties"))
        with self.store.lock:
            ids = self._search_ids(object_type, body)
            records = self.store.hubspot.get(object_type, {})
            results = [
                self._public_object(object_type, records[i], properties) for i in ids[offset : offset + limit]
            ]
        response: dict[str, Any] = {"total": len(ids), "results": results}
        if offset + limit < len(ids):
            response["paging"] = {"next": {"after": str(offset + limit)}}
        return response

    def _search_ids(self, object_type: str, body: dict[str, Any]) -> list[str]:
        """Ids of the live records matching the body's filters, in its sort order (cached)."""
        query = {key: body.get(key) for key in ("filterGroups", "sorts")}
        key = ("search", orjson.dumps(query, option=orjson.OPT_SORT_KEYS))

        def build() -> list[str]:
            schema = self._schema(object_type)
            column_of = partial(self._column, object_type)
            all_ids = self.store.hubspot.get(object_type, {}).keys()
            matched = _matching_ids(schema, body.get("filterGroups") or [], column_of, all_ids)
            sort = _parse_sort(body.get("sorts") or [])
            live = self._ordered_ids(object_type, archived=False)
            return _sorted_ids([i for i in live if i in matched], sort, column_of)

        return self._cached(object_type, key, build)

    def _column(self, object_type: str, name: str) -> Column:
        """{id: comparable value of `name`} over the type's records that have a readable value (cached).

        Parsing a datetime per record dominates a search over 100,000 records; successive searches of
        an incremental sync differ only in their bounds, so they share the parsed column.
        """

        def build() -> Column:
            convert = _converter(self._schema(object_type).get(name))
            column: Column = {}
            for record_id, record in self.store.hubspot.get(object_type, {}).items():
                raw = _raw_property(record, name)
                if raw is None or raw == "":
                    continue
                try:
                    column[record_id] = convert(raw)
                except (TypeError, ValueError, OverflowError):
                    continue  # unreadable junk compares like an unset value
            return column

        return self._cached(object_type, ("column", name), build)

    # ---- writes ------------------------------------------------------------------------------
    def batch_create(self, object_type: str, request: Request) -> Response:
        inputs = _inputs(_body(request), BATCH_MAX_INPUTS)
        return self._write_batch(object_type, "batch_create", inputs, self._create, success_status=201)

    def batch_update(self, object_type: str, request: Request) -> Response:
        inputs = _inputs(_body(request), BATCH_MAX_INPUTS)
        ids = [str(item.get("id")) for item in inputs if isinstance(item, dict)]
        if len(set(ids)) != len(ids):
            raise _validation_error("Duplicate IDs found in batch input")
        # HubSpot answers a batch update 200 (the client maps 200/207), unlike a batch create's 201.
        return self._write_batch(object_type, "batch_update", inputs, self._update, success_status=200)

    def _write_batch(
        self,
        object_type: str,
        action: str,
        inputs: list[Any],
        write: Callable[[str, dict[str, PropertyDef], Any], Record],
        success_status: int,
    ) -> Response:
        """Apply `write` to each input; a failing input becomes an entry of `errors` (207), not a 400."""
        failing_index = self._injected_failure(f"hubspot.{action}.{object_type}")
        started = _wall_clock()
        results, errors = [], []
        with self.store.lock:
            schema = self._schema(object_type)
            for index, item in enumerate(inputs):
                trace_id = item.get("objectWriteTraceId") if isinstance(item, dict) else None
                try:
                    if index == failing_index:
                        raise InputError(
                            "VALIDATION_ERROR", f"Input {index} failed (sandbox fault injection)"
                        )
                    record = write(object_type, schema, item)
                except InputError as error:
                    errors.append(error.to_wire(trace_id))
                    continue
                results.append(self._written_object(object_type, record, trace_id))
            if results:
                self._after_write(object_type)
        return _batch_response(results, errors, started, success_status)

    def archive_object(self, object_type: str, request: Request) -> Response:
        with self.store.lock:
            record = self.store.hubspot.get(object_type, {}).get(request.params["id"])
            if record is not None and not record.get("archived"):
                moment = self._stamp(record)
                record["archived"] = True
                record["archivedAt"] = moment
                self._after_write(object_type)
        return Response(204, None)  # HubSpot answers 204 for unknown ids too

    def _create(self, object_type: str, schema: dict[str, PropertyDef], item: Any) -> Record:
        if not isinstance(item, dict):
            raise InputError("VALIDATION_ERROR", "Each input must be an object with `properties`")
        properties = _validated_properties(schema, item.get("properties"))
        links = self._validated_links(object_type, item.get("associations") or [])
        record_id = self.store.new_hubspot_id()
        record: Record = {"id": record_id, "properties": properties, "archived": False, "associations": links}
        moment = self._stamp(record)
        record["createdAt"] = moment
        properties["hs_createdate" if object_type in ENGAGEMENT_TYPES else "createdate"] = moment
        properties["hs_object_id"] = record_id
        self.store.hubspot.setdefault(object_type, {})[record_id] = record
        return record

    def _update(self, object_type: str, schema: dict[str, PropertyDef], item: Any) -> Record:
        record_id = str(item.get("id")) if isinstance(item, dict) else ""
        record = self.store.hubspot.get(object_type, {}).get(record_id)
        if record is None or record.get("archived"):
            raise InputError("OBJECT_NOT_FOUND", f"Object {record_id!r} not found", ids=[record_id])
        properties = _validated_properties(schema, item.get("properties"))
        record.setdefault("properties", {}).update(properties)
        self._stamp(record)
        return record

    def _stamp(self, record: Record) -> str:
        """Set the modstamp of a write from the sandbox clock; returns it."""
        moment = hubspot_timestamp(self.store.now())
        record["updatedAt"] = moment
        record.setdefault("properties", {})["hs_lastmodifieddate"] = moment
        return moment

    def _validated_links(self, object_type: str, associations: Any) -> dict[str, list[str]]:
        """`associations` of a create input -> {to_type: [ids]}; unknown types or targets fail the input."""
        links: dict[str, list[str]] = {}
        try:
            pairs = [(str(item["to"]["id"]), spec) for item in associations for spec in item["types"]]
        except (KeyError, TypeError) as exc:
            raise InputError("VALIDATION_ERROR", "Malformed associations in input") from exc
        for target_id, spec in pairs:
            target_type = _ASSOCIATION_TARGETS.get((object_type, spec.get("associationTypeId")))
            if target_type is None or spec.get("associationCategory") != "HUBSPOT_DEFINED":
                raise InputError(
                    "VALIDATION_ERROR",
                    f"Association type {spec} is not valid for {object_type}",
                    code="INVALID_ASSOCIATION_TYPE",
                )
            target = self.store.hubspot.get(target_type, {}).get(target_id)
            if target is None or target.get("archived"):
                raise InputError(
                    "VALIDATION_ERROR",
                    f"Association target {target_type} {target_id} does not exist",
                    code="ASSOCIATION_TARGET_NOT_FOUND",
                    ids=[target_id],
                )
            if target_id not in links.setdefault(target_type, []):
                links[target_type].append(target_id)
        return links

    def _injected_failure(self, route_name: str) -> int | None:
        fault = self.sandbox.faults.take(route_name, {"fail_record"})
        return fault.record if fault is not None else None

    def _after_write(self, object_type: str) -> None:
        self._derived.pop(object_type, None)  # cached queries and indexes over this type are stale
        self.store.mark_dirty()
        self._seen_generation = self.store.generation  # only this type changed: keep the others

    # ---- associations ------------------------------------------------------------------------
    def read_associations(self, source: str, target: str, request: Request) -> dict[str, Any]:
        inputs = _inputs(_body(request), ASSOCIATION_READ_MAX_INPUTS)
        type_id = ASSOCIATION_TYPE_IDS[(source, target)]
        started = _wall_clock()
        results = []
        with self.store.lock:
            records = self.store.hubspot.get(source, {})
            for item in inputs:
                record = records.get(str(item.get("id"))) if isinstance(item, dict) else None
                linked = self._associated_ids(source, record, target) if record is not None else []
                if linked:
                    to = [
                        {
                            "toObjectId": _wire_id(i),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                            ],
                        }
                        for i in linked
                    ]
                    results.append({"from": {"id": record["id"]}, "to": to})
        return {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": _wall_clock()}

    def list_associations(self, source: str, target: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            record = self._find(source, request.params["id"], archived=False)
            linked = self._associated_ids(source, record, target)
        label = _association_label(source, target)
        return {"results": [{"id": i, "type": label} for i in linked]}

    def _associated_ids(self, source: str, record: Record, target: str) -> list[str]:
        """Stored links are kept on one side (e.g. a meeting's `companies`); read both directions."""
        direct = (record.get("associations") or {}).get(target) or []
        reverse = self._reverse_links(target, source).get(record["id"], [])
        return sorted({str(i) for i in [*direct, *reverse]}, key=_id_key)

    def _reverse_links(self, holder_type: str, linked_type: str) -> dict[str, list[str]]:
        """{linked id: [ids of holder_type records whose associations name it]} (cached)."""

        def build() -> dict[str, list[str]]:
            index: dict[str, list[str]] = {}
            for record in self.store.hubspot.get(holder_type, {}).values():
                for linked_id in (record.get("associations") or {}).get(linked_type) or []:
                    index.setdefault(str(linked_id), []).append(record["id"])
            return index

        return self._cached(holder_type, ("reverse", linked_type), build)

    # ---- owners ------------------------------------------------------------------------------
    def list_owners(self, request: Request) -> dict[str, Any]:
        limit = _limit(request.arg("limit"), default=100, maximum=OWNERS_MAX_LIMIT)
        email = (request.arg("email") or "").casefold()
        with self.store.lock:
            owners = self.store.hubspot.get("owners", {})
            ids = self._ordered_ids("owners", _flag(request.arg("archived")))
            if email:
                ids = [i for i in ids if str(owners[i].get("email", "")).casefold() == email]
            start = _cursor_position(ids, request.arg("after"))
            results = [_owner_wire(owners[i]) for i in ids[start : start + limit]]
            next_id = ids[start + limit] if start + limit < len(ids) else None
        return _page(results, next_id, request)

    def get_owner(self, request: Request) -> dict[str, Any]:
        with self.store.lock:
            return _owner_wire(
                self._find("owners", request.params["id"], archived=_flag(request.arg("archived")))
            )

    # ---- shared helpers ----------------------------------------------------------------------
    def _find(self, object_type: str, record_id: str, archived: bool) -> Record:
        record = self.store.hubspot.get(object_type, {}).get(record_id)
        if record is None or bool(record.get("archived")) != archived:
            raise ApiError(404, hubspot_error("OBJECT_NOT_FOUND", "resource not found"))
        return record

    def _ordered_ids(self, object_type: str, archived: bool) -> list[str]:
        """Ids of the live (or only the archived) records, ascending, as list endpoints page them."""

        def build() -> list[str]:
            records = self.store.hubspot.get(object_type, {}).values()
            return sorted((r["id"] for r in records if bool(r.get("archived")) == archived), key=_id_key)

        return self._cached(object_type, ("list", archived), build)

    def _cached(self, object_type: str, key: Hashable, build: Callable[[], Any]) -> Any:
        """A derived view of one type's records; call with store.lock held (writes drop the cache)."""
        if self._seen_generation != self.store.generation:  # the store was edited directly
            self._derived.clear()
            self._seen_generation = self.store.generation
        cache = self._derived.setdefault(object_type, OrderedDict())
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = cache[key] = build()
        while len(cache) > QUERY_CACHE_SIZE:
            cache.popitem(last=False)
        return value

    def _schema(self, object_type: str) -> dict[str, PropertyDef]:
        """The properties that exist: standard ones, the org's declared custom ones, any found on a record.

        Computed once: writes cannot add properties (unknown ones are rejected), so it never goes stale.
        """
        if object_type not in self._schemas:
            schema = {**_COMMON_PROPERTIES, **STANDARD_PROPERTIES.get(object_type, {})}
            declared = ((self.store.extras.get("hubspot") or {}).get("custom_properties") or {}).get(
                object_type
            )
            for entry in declared or []:
                name, spec = _custom_property(entry)
                schema.setdefault(name, spec)
            for record in self.store.hubspot.get(object_type, {}).values():
                for name in record.get("properties") or {}:
                    schema.setdefault(name, _guessed_type(name))
            self._schemas[object_type] = schema
        return self._schemas[object_type]

    def _public_object(
        self, object_type: str, record: Record, properties: list[str] | None, associations: Sequence[str] = ()
    ) -> dict[str, Any]:
        if properties is None:
            names: list[str] = list(_DEFAULT_RETURNED[object_type])
        else:
            schema = self._schema(object_type)
            names = [n for n in dict.fromkeys([*properties, *_always_returned(object_type)]) if n in schema]
        wire = _envelope(record, {name: _raw_property(record, name) for name in names})
        links = {}
        for target in associations:
            linked = self._associated_ids(object_type, record, target)
            if linked:
                label = _association_label(object_type, target)
                links[target] = {"results": [{"id": i, "type": label} for i in linked]}
        if links:
            wire["associations"] = links
        return wire

    def _written_object(
        self, object_type: str, record: Record, trace_id: str | None = None
    ) -> dict[str, Any]:
        """A created/updated record as a batch write returns it: every property it has."""
        names = dict.fromkeys([*record.get("properties", {}), *_always_returned(object_type)])
        wire = _envelope(record, {name: _raw_property(record, name) for name in names})
        if trace_id is not None:
            wire["objectWriteTraceId"] = trace_id
        return wire


# ---- wire shapes --------------------------------------------------------------------------------


def _envelope(record: Record, properties: dict[str, Any]) -> dict[str, Any]:
    wire = {
        "id": record["id"],
        "properties": properties,
        "createdAt": record.get("createdAt") or _raw_property(record, "createdate") or FALLBACK_TIMESTAMP,
        "updatedAt": record.get("updatedAt")
        or _raw_property(record, "hs_lastmodifieddate")
        or FALLBACK_TIMESTAMP,
        "archived": bool(record.get("archived")),
    }
    if record.get("archivedAt"):
        wire["archivedAt"] = record["archivedAt"]
    return wire


def _page(results: list[dict[str, Any]], next_id: str | None, request: Request) -> dict[str, Any]:
    page: dict[str, Any] = {"results": results}
    if next_id is not None:
        query = {**{k: v for k, v in request.query.items() if k != "after"}, "after": [next_id]}
        link = f"{request.base_url}{request.path}?{urlencode(query, doseq=True)}"
        page["paging"] = {"next": {"after": next_id, "link": link}}
    return page


def _batch_response(
    results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str, success_status: int
) -> Response:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": _wall_clock(),
    }
    if not errors:
        return Response(success_status, body)
    return Response(207, {**body, "numErrors": len(errors), "errors": errors})


def _owner_wire(owner: Record) -> dict[str, Any]:
    owner_id = str(owner["id"])
    defaults = {
        "userId": int(owner_id) if owner_id.isdigit() else None,
        "type": "PERSON",
        "createdAt": FALLBACK_TIMESTAMP,
        "updatedAt": FALLBACK_TIMESTAMP,
        "archived": False,
        "teams": [],
    }
    return {**defaults, **owner, "id": owner_id}


def _property_wire(name: str, spec: PropertyDef, group: str, standard: bool) -> dict[str, Any]:
    return {
        "name": name,
        "label": name.replace("_", " ").title(),
        "type": spec[0],
        "fieldType": spec[1],
        "groupName": group,
        "description": "",
        "options": [],
        "hidden": False,
        "formField": False,
        "displayOrder": -1,
        "hubspotDefined": standard,
        "calculated": False,
        "externalOptions": False,
        "hasUniqueValue": name == "hs_object_id",
        "modificationMetadata": {
            "archivable": not standard,
            "readOnlyDefinition": standard,
            "readOnlyValue": False,
        },
    }


def _custom_property(entry: Any) -> tuple[str, PropertyDef]:
    """A `custom_properties` entry of the org file: a bare name, or {"name", "type", "fieldType"}."""
    if isinstance(entry, str):
        return entry, _guessed_type(entry)
    spec_type = entry.get("type", "string")
    return entry["name"], (spec_type, entry.get("fieldType", "date" if spec_type == "datetime" else "text"))


def _guessed_type(name: str) -> PropertyDef:
    return _DATETIME if name in _KNOWN_DATETIMES else _KNOWN_CUSTOM.get(name, _TEXT)


def _singular(object_type: str) -> str:
    return "company" if object_type == "companies" else object_type.removesuffix("s")


def _association_label(source: str, target: str) -> str:
    return f"{_singular(source)}_to_{_singular(target)}"


def _always_returned(object_type: str) -> tuple[str, ...]:
    created = "hs_createdate" if object_type in ENGAGEMENT_TYPES else "createdate"
    return (created, "hs_lastmodifieddate", "hs_object_id")


def _raw_property(record: Record, name: str) -> Any:
    if name == "hs_object_id":
        return record["id"]
    value = (record.get("properties") or {}).get(name)
    if value in (None, "") and name in _ENVELOPE_FALLBACK:
        return record.get(_ENVELOPE_FALLBACK[name])
    return value


def _wire_id(record_id: str) -> int | str:
    return int(record_id) if record_id.isdigit() else record_id


def _wall_clock() -> str:
    return hubspot_timestamp(datetime.now(UTC))


# ---- request parsing ----------------------------------------------------------------------------


def _validation_error(message: str) -> ApiError:
    return ApiError(400, hubspot_error("VALIDATION_ERROR", message))


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise _validation_error("The request body must be a JSON object")
    return body


def _inputs(body: dict[str, Any], maximum: int) -> list[Any]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise _validation_error("`inputs` must be a list")
    if len(inputs) > maximum:
        raise _validation_error(
            f"Batch input limit exceeded: {len(inputs)} inputs, at most {maximum} allowed"
        )
    return inputs


def _property_names(raw: Any) -> list[str] | None:
    """A body's `properties`: a list of names (a comma-separated string is tolerated); None when absent."""
    names = raw.split(",") if isinstance(raw, str) else raw
    if not names:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise _validation_error("`properties` must be a list of property names")
    return [n for n in names if n] or None


def _limit(raw: Any, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise _validation_error(f"limit must be an integer, got {raw!r}") from None
    if not 1 <= limit <= maximum:
        raise _validation_error(f"limit must be between 1 and {maximum}, got {limit}")
    return limit


def _offset(raw: Any) -> int:
    """A search `after`: the offset of the page's first result."""
    if raw is None or raw == "":
        return 0
    text = str(raw)
    if not text.isdigit():
        raise _validation_error(f"after must be a cursor returned in paging.next.after, got {raw!r}")
    return int(text)


def _cursor_position(ids: list[str], after: str | None) -> int:
    """A list `after` is the id the page starts at, so paging stays stable while records are added."""
    return bisect_left(ids, _id_key(after), key=_id_key) if after else 0


def _flag(raw: str | None) -> bool:
    return (raw or "").lower() == "true"


def _id_key(record_id: str) -> tuple[int, int | str]:
    """HubSpot ids are numeric strings: order them as numbers ("9" before "10")."""
    return (0, int(record_id)) if record_id.isdigit() else (1, record_id)


def _validated_properties(schema: dict[str, PropertyDef], properties: Any) -> dict[str, Any]:
    if not isinstance(properties, dict):
        raise InputError("VALIDATION_ERROR", "`properties` must be an object of property name -> value")
    unknown = sorted(set(properties) - schema.keys())
    if unknown:
        raise InputError(
            "VALIDATION_ERROR",
            f"Property values were not valid: properties {unknown} do not exist",
            code="PROPERTY_DOESNT_EXIST",
            propertyName=unknown,
        )
    return {name: _stored_value(name, schema[name], value) for name, value in properties.items()}


def _stored_value(name: str, spec: PropertyDef, value: Any) -> str | None:
    """HubSpot keeps every value as a string; datetimes (ISO or epoch ms in) are kept as ISO with Z."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if spec[0] == "datetime":
            return hubspot_timestamp(datetime.fromtimestamp(_instant_millis(value) / 1000, UTC))
        if spec[0] == "number":
            _finite_float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise InputError("VALIDATION_ERROR", f"{value!r} is not a valid {spec[0]} for {name}",
                         code=f"INVALID_{spec[0].upper()}", propertyName=[name]) from exc  # fmt: skip
    return str(value)


# ---- search filters -----------------------------------------------------------------------------

Column = dict[str, Any]  # record id -> comparable value, for records that have one
# (property, test on a set value, whether records without a value match)
ValueTest = tuple[str, Callable[[Any], bool], bool]
ColumnOf = Callable[[str], Column]


def _instant_millis(value: Any) -> float:
    """Epoch milliseconds of a datetime value given as epoch ms (number or digits) or ISO-8601."""
    if isinstance(value, bool):
        raise ValueError("not a datetime")
    if isinstance(value, int | float):
        return _finite_float(value)
    text = str(value).strip()
    if text.lstrip("-").isdigit():
        return float(text)
    moment = datetime.fromisoformat(text)
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp() * 1000


def _finite_float(value: Any) -> float:
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{value!r} is not a finite number")
    return number


def _generic_value(value: Any) -> tuple[int, float | str]:
    """Numbers compare as numbers, anything else case-insensitively as text; never both mixed."""
    try:
        return (0, _finite_float(value))
    except (TypeError, ValueError):
        return (1, str(value).casefold())


def _converter(spec: PropertyDef | None) -> Callable[[Any], Any]:
    if spec is not None and spec[0] == "datetime":
        return _instant_millis
    if spec is not None and spec[0] == "number":
        return _finite_float
    return _generic_value


def _matching_ids(
    schema: dict[str, PropertyDef], groups: Any, column_of: ColumnOf, all_ids: AbstractSet[str]
) -> AbstractSet[str]:
    """Ids whose record satisfies any group (all filters of it); set algebra over parsed columns."""
    if not isinstance(groups, list) or len(groups) > MAX_FILTER_GROUPS:
        raise _validation_error(f"filterGroups must be a list of at most {MAX_FILTER_GROUPS} groups")
    if not groups:
        return all_ids
    compiled = [_compile_group(schema, group) for group in groups]  # validate everything before scanning
    matched: set[str] = set()
    for group in compiled:
        matched |= set.intersection(*(_filter_ids(test, column_of, all_ids) for test in group))
    return matched


def _compile_group(schema: dict[str, PropertyDef], group: Any) -> list[ValueTest]:
    filters = group.get("filters") if isinstance(group, dict) else None
    if not isinstance(filters, list) or not 1 <= len(filters) <= MAX_FILTERS_PER_GROUP:
        raise _validation_error(f"each filterGroup needs 1 to {MAX_FILTERS_PER_GROUP} filters")
    return [_compile_filter(schema, spec) for spec in filters]


def _filter_ids(value_test: ValueTest, column_of: ColumnOf, all_ids: AbstractSet[str]) -> set[str]:
    name, test, matches_unset = value_test
    column = column_of(name)
    ids = {record_id for record_id, value in column.items() if test(value)}
    return ids | (all_ids - column.keys()) if matches_unset else ids


def _compile_filter(schema: dict[str, PropertyDef], spec: Any) -> ValueTest:
    name = spec.get("propertyName") if isinstance(spec, dict) else None
    op = spec.get("operator") if isinstance(spec, dict) else None
    if not isinstance(name, str) or not name:
        raise _validation_error("each filter needs a propertyName")
    convert = partial(_filter_value, _converter(schema.get(name)), name)
    if op in ("HAS_PROPERTY", "NOT_HAS_PROPERTY"):
        has = op == "HAS_PROPERTY"
        return name, lambda value: has, not has
    if op in _COMPARISONS:
        return name, partial(_flip(_COMPARISONS[op]), convert(spec.get("value"))), False
    if op == "NEQ":  # like HubSpot, records without the property are "not equal" too
        return name, partial(operator.ne, convert(spec.get("value"))), True
    if op == "BETWEEN":
        low, high = convert(spec.get("value")), convert(spec.get("highValue"))
        return name, lambda value: low <= value <= high, False
    if op in ("IN", "NOT_IN"):
        values = spec.get("values")
        if not isinstance(values, list) or not values:
            raise _validation_error(f"{op} on {name} needs a non-empty `values` list")
        members = {convert(v) for v in values}
        if op == "IN":
            return name, members.__contains__, False
        return name, lambda value: value not in members, True
    raise _validation_error(f"operator {op!r} is not supported (filter on {name})")


def _flip(compare: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """compare(value, target) as a function of (target, value), for partial(..., target)."""
    return lambda target, value: compare(value, target)


def _filter_value(convert: Callable[[Any], Any], name: str, value: Any) -> Any:
    if value is None:
        raise _validation_error(f"the filter on {name} needs a value")
    try:
        return convert(value)
    except (TypeError, ValueError, OverflowError):
        raise _validation_error(f"{value!r} is not a valid value to compare {name} with") from None


def _parse_sort(sorts: Any) -> tuple[str, bool] | None:
    """(property, descending) of the single sort HubSpot allows, or None."""
    if not isinstance(sorts, list) or len(sorts) > 1:
        raise _validation_error("at most one sort is allowed")
    if not sorts:
        return None
    sort = sorts[0]
    if isinstance(sort, str):  # the client's model types sorts as strings: "prop" or "-prop"
        return sort.removeprefix("-"), sort.startswith("-")
    if not isinstance(sort, dict) or not isinstance(sort.get("propertyName"), str):
        raise _validation_error("a sort needs a propertyName")
    direction = str(sort.get("direction", "ASCENDING")).upper()
    if direction not in ("ASCENDING", "DESCENDING"):
        raise _validation_error(f"sort direction must be ASCENDING or DESCENDING, got {direction!r}")
    return sort["propertyName"], direction == "DESCENDING"


def _sorted_ids(ids: list[str], sort: tuple[str, bool] | None, column_of: ColumnOf) -> list[str]:
    """`ids` (in id order) in sort order, ties kept in id order (stable pages); ids lacking the value last."""
    if sort is None:
        return ids
    column = column_of(sort[0])
    present = [i for i in ids if i in column]
    present.sort(key=column.__getitem__, reverse=sort[1])  # stable even reversed: ties keep id order
    return present + [i for i in ids if i not in column]
