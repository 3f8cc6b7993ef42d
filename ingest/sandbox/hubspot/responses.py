"""The sandbox's HubSpot CRM API: v3 objects, search, batch writes, properties, owners; v4 association reads.

Records live in `OrgStore.hubspot[type][id]` shaped like HubSpot's own objects (`id`, `properties`,
`createdAt`, `updatedAt`, `archived`) plus `associations: {to_type: [ids]}`. The core
(`ingest.sandbox.core`) does counters and call-level faults, asking this API's hooks for its auth and
error bodies; this module answers in HubSpot's wire shapes so the real hubspot-api-client decodes every
response, and refuses (400) what it does not model rather than answering wrongly.

Search is built for 100,000-record portals: the filtered and sorted id list of a query is computed
once and cached (keyed by the body minus paging), each page is a slice; writes drop the cache.
"""

from __future__ import annotations

from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from functools import partial
from typing import Any
from urllib.parse import urlencode

import orjson

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request, Response
from ingest.sandbox.core.store import Record
from ingest.sandbox.hubspot.errors import (
    BAD_TOKEN,
    InputError,
    fault_response,
    hubspot_error,
    validation_error,
)
from ingest.sandbox.hubspot.models import (
    ASSOCIATION_TARGETS,
    ASSOCIATION_TYPE_IDS,
    DEFAULT_RETURNED,
    ENGAGEMENT_TYPES,
    always_returned,
    association_label,
    converter,
    envelope,
    hubspot_timestamp,
    id_key,
    owner_wire,
    raw_property,
    validated_properties,
    wall_clock,
    wire_id,
)
from ingest.sandbox.hubspot.properties import ObjectSchema, PropertyDef, PropertySpec, build_schema
from ingest.sandbox.hubspot.search import Column, matching_ids, parse_sort, sorted_ids

SEARCH_RESULT_CAP = 10_000  # HubSpot never pages a search past its 10,000th result
LIST_MAX_LIMIT = 100
SEARCH_MAX_LIMIT = 200
BATCH_MAX_INPUTS = 100
ASSOCIATION_READ_MAX_INPUTS = 1000
OWNERS_MAX_LIMIT = 500
QUERY_CACHE_SIZE = 32  # distinct cached queries per object type


class HubSpotApi:
    """The handlers, bound to one sandbox; caches derived views of the store per object type."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self._derived: dict[str, OrderedDict[Hashable, Any]] = {}
        self._seen_generation = self.store.generation
        self._schemas: dict[str, ObjectSchema] = {}

    # ---- core hooks (ingest.sandbox.core.app.ApiHooks) -----------------------------------------
    def authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        if token != self.sandbox.credentials.hubspot_token:
            raise ApiError(401, hubspot_error("INVALID_AUTHENTICATION", BAD_TOKEN))

    def expire_sessions(self) -> None:
        return  # a private-app token does not expire; an expired_session fault answers 401 instead

    def fault_response(self, fault: Fault) -> Response:
        return fault_response(fault)

    def not_found(self, request: Request) -> Response:
        return Response(404, hubspot_error("OBJECT_NOT_FOUND", f"Unknown path {request.path}"))

    def finish(self, response: Response) -> None:
        return

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
        started = wall_clock()
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

    # ---- properties ----------------------------------------------------------------------------
    def list_properties(self, object_type: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            specs = self._object_schema(object_type).properties
        archived = _flag(request.arg("archived"))  # the sandbox keeps no archived property definitions
        return {"results": [] if archived else [specs[name].to_wire() for name in sorted(specs)]}

    def get_property(self, object_type: str, request: Request) -> dict[str, Any]:
        name = request.params["name"]
        with self.store.lock:
            spec = self._object_schema(object_type).properties.get(name)
        if spec is None:
            raise ApiError(404, hubspot_error("OBJECT_NOT_FOUND", f"Property {name} does not exist"))
        return spec.to_wire()

    def list_property_groups(self, object_type: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            groups = self._object_schema(object_type).groups
        return {"results": [group.to_wire() for group in groups]}

    def get_property_group(self, object_type: str, request: Request) -> dict[str, Any]:
        name = request.params["name"]
        with self.store.lock:
            groups = {group.name: group for group in self._object_schema(object_type).groups}
        if name not in groups:
            raise ApiError(404, hubspot_error("OBJECT_NOT_FOUND", f"Property group {name} does not exist"))
        return groups[name].to_wire()

    # ---- search ------------------------------------------------------------------------------
    def search(self, object_type: str, request: Request) -> dict[str, Any]:
        body = _body(request)
        if body.get("query"):
            raise validation_error("free-text `query` is not supported by the sandbox; use filterGroups")
        limit = _limit(body.get("limit"), default=10, maximum=SEARCH_MAX_LIMIT)
        offset = _offset(body.get("after"))
        if offset + limit > SEARCH_RESULT_CAP:
            raise validation_error(
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
            matched = matching_ids(schema, body.get("filterGroups") or [], column_of, all_ids)
            sort = parse_sort(body.get("sorts") or [])
            live = self._ordered_ids(object_type, archived=False)
            return sorted_ids([i for i in live if i in matched], sort, column_of)

        return self._cached(object_type, key, build)

    def _column(self, object_type: str, name: str) -> Column:
        """{id: comparable value of `name`} over the type's records that have a readable value (cached).

        Parsing a datetime per record dominates a search over 100,000 records; successive searches of
        an incremental sync differ only in their bounds, so they share the parsed column.
        """

        def build() -> Column:
            convert = converter(self._schema(object_type).get(name))
            column: Column = {}
            for record_id, record in self.store.hubspot.get(object_type, {}).items():
                raw = raw_property(record, name)
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
            raise validation_error("Duplicate IDs found in batch input")
        # HubSpot answers a batch update 200 (the client maps 200/207), unlike a batch create's 201.
        return self._write_batch(object_type, "batch_update", inputs, self._update, success_status=200)

    def _write_batch(
        self,
        object_type: str,
        action: str,
        inputs: list[Any],
        write: Callable[[str, Mapping[str, PropertySpec], Any], Record],
        success_status: int,
    ) -> Response:
        """Apply `write` to each input; a failing input becomes an entry of `errors` (207), not a 400."""
        failing_index = self._injected_failure(f"hubspot.{action}.{object_type}")
        started = wall_clock()
        results, errors = [], []
        with self.store.lock:
            schema = self._object_schema(object_type).properties
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

    def _create(self, object_type: str, schema: Mapping[str, PropertySpec], item: Any) -> Record:
        if not isinstance(item, dict):
            raise InputError("VALIDATION_ERROR", "Each input must be an object with `properties`")
        properties = validated_properties(schema, item.get("properties"))
        links = self._validated_links(object_type, item.get("associations") or [])
        record_id = self.store.new_hubspot_id()
        record: Record = {"id": record_id, "properties": properties, "archived": False, "associations": links}
        moment = self._stamp(record)
        record["createdAt"] = moment
        properties["hs_createdate" if object_type in ENGAGEMENT_TYPES else "createdate"] = moment
        properties["hs_object_id"] = record_id
        self.store.hubspot.setdefault(object_type, {})[record_id] = record
        return record

    def _update(self, object_type: str, schema: Mapping[str, PropertySpec], item: Any) -> Record:
        record_id = str(item.get("id")) if isinstance(item, dict) else ""
        record = self.store.hubspot.get(object_type, {}).get(record_id)
        if record is None or record.get("archived"):
            raise InputError("OBJECT_NOT_FOUND", f"Object {record_id!r} not found", ids=[record_id])
        properties = validated_properties(schema, item.get("properties"))
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
            target_type = ASSOCIATION_TARGETS.get((object_type, spec.get("associationTypeId")))
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
        started = wall_clock()
        results = []
        with self.store.lock:
            records = self.store.hubspot.get(source, {})
            for item in inputs:
                record = records.get(str(item.get("id"))) if isinstance(item, dict) else None
                linked = self._associated_ids(source, record, target) if record is not None else []
                if linked:
                    to = [
                        {
                            "toObjectId": wire_id(i),
                            "associationTypes": [
                                {"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}
                            ],
                        }
                        for i in linked
                    ]
                    results.append({"from": {"id": record["id"]}, "to": to})
        return {"status": "COMPLETE", "results": results, "startedAt": started, "completedAt": wall_clock()}

    def list_associations(self, source: str, target: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            record = self._find(source, request.params["id"], archived=False)
            linked = self._associated_ids(source, record, target)
        label = association_label(source, target)
        return {"results": [{"id": i, "type": label} for i in linked]}

    def _associated_ids(self, source: str, record: Record, target: str) -> list[str]:
        """Stored links are kept on one side (e.g. a meeting's `companies`); read both directions."""
        direct = (record.get("associations") or {}).get(target) or []
        reverse = self._reverse_links(target, source).get(record["id"], [])
        return sorted({str(i) for i in [*direct, *reverse]}, key=id_key)

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
            results = [owner_wire(owners[i]) for i in ids[start : start + limit]]
            next_id = ids[start + limit] if start + limit < len(ids) else None
        return _page(results, next_id, request)

    def get_owner(self, request: Request) -> dict[str, Any]:
        with self.store.lock:
            return owner_wire(
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
            return sorted((r["id"] for r in records if bool(r.get("archived")) == archived), key=id_key)

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
        """{name: (type, fieldType)} of the properties that exist (what filters and writes check)."""
        return self._object_schema(object_type).definitions

    def _object_schema(self, object_type: str) -> ObjectSchema:
        """Standard properties, the org's declared ones, any found on a record.

        Computed once: writes cannot add properties (unknown ones are rejected), so it never goes stale.
        """
        if object_type not in self._schemas:
            names = {
                name
                for record in self.store.hubspot.get(object_type, {}).values()
                for name in record.get("properties") or {}
            }
            extras = self.store.extras.get("hubspot") or {}
            self._schemas[object_type] = build_schema(object_type, extras, names)
        return self._schemas[object_type]

    def _public_object(
        self, object_type: str, record: Record, properties: list[str] | None, associations: Sequence[str] = ()
    ) -> dict[str, Any]:
        if properties is None:
            names: list[str] = list(DEFAULT_RETURNED[object_type])
        else:
            schema = self._schema(object_type)
            names = [n for n in dict.fromkeys([*properties, *always_returned(object_type)]) if n in schema]
        wire = envelope(record, {name: raw_property(record, name) for name in names})
        links = {}
        for target in associations:
            linked = self._associated_ids(object_type, record, target)
            if linked:
                label = association_label(object_type, target)
                links[target] = {"results": [{"id": i, "type": label} for i in linked]}
        if links:
            wire["associations"] = links
        return wire

    def _written_object(
        self, object_type: str, record: Record, trace_id: str | None = None
    ) -> dict[str, Any]:
        """A created/updated record as a batch write returns it: every property it has."""
        names = dict.fromkeys([*record.get("properties", {}), *always_returned(object_type)])
        wire = envelope(record, {name: raw_property(record, name) for name in names})
        if trace_id is not None:
            wire["objectWriteTraceId"] = trace_id
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
        "completedAt": wall_clock(),
    }
    if not errors:
        return Response(success_status, body)
    return Response(207, {**body, "numErrors": len(errors), "errors": errors})


# ---- request parsing ----------------------------------------------------------------------------


def _body(request: Request) -> dict[str, Any]:
    body = request.json()
    if body is None:
        return {}
    if not isinstance(body, dict):
        raise validation_error("The request body must be a JSON object")
    return body


def _inputs(body: dict[str, Any], maximum: int) -> list[Any]:
    inputs = body.get("inputs")
    if not isinstance(inputs, list):
        raise validation_error("`inputs` must be a list")
    if len(inputs) > maximum:
        raise validation_error(f"Batch input limit exceeded: {len(inputs)} inputs, at most {maximum} allowed")
    return inputs


def _property_names(raw: Any) -> list[str] | None:
    """A body's `properties`: a list of names (a comma-separated string is tolerated); None when absent."""
    names = raw.split(",") if isinstance(raw, str) else raw
    if not names:
        return None
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise validation_error("`properties` must be a list of property names")
    return [n for n in names if n] or None


def _limit(raw: Any, default: int, maximum: int) -> int:
    if raw is None or raw == "":
        return default
    try:
        limit = int(raw)
    except (TypeError, ValueError):
        raise validation_error(f"limit must be an integer, got {raw!r}") from None
    if not 1 <= limit <= maximum:
        raise validation_error(f"limit must be between 1 and {maximum}, got {limit}")
    return limit


def _offset(raw: Any) -> int:
    """A search `after`: the offset of the page's first result."""
    if raw is None or raw == "":
        return 0
    text = str(raw)
    if not text.isdigit():
        raise validation_error(f"after must be a cursor returned in paging.next.after, got {raw!r}")
    return int(text)


def _cursor_position(ids: list[str], after: str | None) -> int:
    """A list `after` is the id the page starts at, so paging stays stable while records are added."""
    return bisect_left(ids, id_key(after), key=id_key) if after else 0


def _flag(raw: str | None) -> bool:
    return (raw or "").lower() == "true"
