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

import threading
import uuid
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any
from urllib.parse import urlencode

import orjson

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.faults import Fault
from ingest.sandbox.core.http import ApiError, Request, Response, same_secret
from ingest.sandbox.core.store import Record
from ingest.sandbox.hubspot.behaviour import Behaviour, RateLimiter
from ingest.sandbox.hubspot.errors import (
    BAD_TOKEN,
    InputError,
    fault_response,
    hubspot_error,
    validation_error,
)
from ingest.sandbox.hubspot.lag import Overlay, SearchIndexLag
from ingest.sandbox.hubspot.models import (
    ASSOCIATION_TARGETS,
    ASSOCIATION_TYPE_IDS,
    DEFAULT_RETURNED,
    FALLBACK_TIMESTAMP,
    HS_CREATEDATE_TYPES,
    PIPELINE_PROPERTIES,
    always_returned,
    association_label,
    converter,
    envelope,
    hubspot_timestamp,
    id_key,
    owner_wire,
    raw_property,
    singular,
    track_stage,
    validated_properties,
    wall_clock,
    wire_id,
)
from ingest.sandbox.hubspot.oauth import OAuthTokens
from ingest.sandbox.hubspot.properties import ObjectSchema, PropertyDef, PropertySpec, build_schema
from ingest.sandbox.hubspot.search import Column, column_over, matching_ids, parse_sort, sorted_ids

SEARCH_RESULT_CAP = 10_000  # HubSpot never pages a search past its 10,000th result
LIST_MAX_LIMIT = 100
SEARCH_MAX_LIMIT = 200
BATCH_MAX_INPUTS = 100
ASSOCIATION_READ_MAX_INPUTS = 1000
OWNERS_MAX_LIMIT = 500
HISTORY_MAX_LIMIT = 50
# A record's associations inline (list/get `associations=`) are paginated past 100: "if your request
# returns more than 100 associations, you will need to use the value of the after field returned in
# the response to get the next set" (https://developers.hubspot.com/changelog/announcing-a-change-to-how-
# v3-crm-apis-return-association-data). The sandbox's `after` is the next id, which the v4 per-object
# association list (`GET /crm/v4/objects/{type}/{id}/associations/{to}?after=`) accepts.
INLINE_ASSOCIATIONS_MAX = 100
QUERY_CACHE_SIZE = 32  # distinct cached queries per object type
Wire = dict[str, Any]
Writer = Callable[[str, Mapping[str, PropertySpec], Any], tuple[Record, Wire]]


class HubSpotApi:
    """The handlers, bound to one sandbox; caches derived views of the store per object type."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.store = sandbox.store
        self._derived: dict[str, OrderedDict[Hashable, Any]] = {}
        self._seen_generation = self.store.generation
        self._schemas: dict[str, ObjectSchema] = {}
        self.behaviour = Behaviour.of((self.store.extras.get("hubspot") or {}).get("_behaviour"))
        self.limiter = RateLimiter()
        self._call = threading.local()  # per-request state between authenticate() and finish()
        self.index_lag = SearchIndexLag()
        self.oauth = OAuthTokens()

    # ---- core hooks (ingest.sandbox.core.app.ApiHooks) -----------------------------------------
    def authenticate(self, request: Request) -> None:
        header = request.headers.get("authorization", "")
        token = header.split(" ", 1)[1].strip() if " " in header else ""
        if self.oauth.issued(token):
            self.oauth.check(token, self.store.now())
        elif not same_secret(token, self.sandbox.credentials.hubspot_token):
            raise ApiError(401, hubspot_error("INVALID_AUTHENTICATION", BAD_TOKEN))
        self._call.headers = {}
        if self.behaviour.rate_limits:
            search = request.path.endswith("/search")
            self._call.headers = self.limiter.admit(self.behaviour, self.store.now(), search)

    def expire_sessions(self) -> None:
        # OAuth access tokens die; a private-app token does not (the fault's own 401 answers for it).
        self.oauth.expire_all(self.store.now())

    def refresh_token(self, request: Request) -> Response:
        """`POST /oauth/v3/token` (and v1): the refresh grant (ingest/sandbox/hubspot/oauth.py)."""
        credentials = self.sandbox.credentials
        expected = (
            credentials.hubspot_client_id,
            credentials.hubspot_client_secret,
            credentials.hubspot_refresh_token,
        )
        return self.oauth.refresh(request, expected, self.store.now())

    def fault_response(self, fault: Fault) -> Response:
        return fault_response(fault)

    def not_found(self, request: Request) -> Response:
        return Response(404, hubspot_error("OBJECT_NOT_FOUND", f"Unknown path {request.path}"))

    def error(self, status: int, code: str, message: str) -> Response:
        # HubSpot's standard error object (developers.hubspot.com/docs/api/faq "error handling"): an
        # unreadable request is a VALIDATION_ERROR; the Salesforce-style `code` has no HubSpot field.
        category = "VALIDATION_ERROR" if status < 500 else "INTERNAL_ERROR"
        return Response(status, hubspot_error(category, message))

    def finish(self, response: Response) -> None:
        headers = getattr(self._call, "headers", None)
        if headers:
            response.headers.update(headers)
        self._call.headers = {}

    def set_behaviour(self, spec: Any) -> Behaviour:
        """Change knobs (or the whole profile) at run time; the control surface calls this."""
        self.behaviour = Behaviour.of(spec, base=self.behaviour)
        self.limiter.reset()
        return self.behaviour

    # ---- reads -------------------------------------------------------------------------------
    def list_objects(self, object_type: str, request: Request) -> dict[str, Any]:
        limit = _limit(request.arg("limit"), default=10, maximum=LIST_MAX_LIMIT)
        archived = _flag(request.arg("archived"))
        properties = request.args("properties") or None
        associations = request.args("associations")
        history = request.args("propertiesWithHistory")
        if history:  # "Usage of this parameter will reduce the maximum number of objects ... to 50"
            limit = min(limit, HISTORY_MAX_LIMIT)
        with self.store.lock:
            self._purge_expired(object_type)
            ids = self._ordered_ids(object_type, archived)
            start = _cursor_position(ids, request.arg("after"))
            records = self.store.hubspot[object_type] if ids else {}
            results = [
                self.public_object(object_type, records[i], properties, associations, history)
                for i in ids[start : start + limit]
            ]
            next_id = ids[start + limit] if start + limit < len(ids) else None
        return _page(results, next_id, request)

    def get_object(self, object_type: str, request: Request) -> dict[str, Any]:
        with self.store.lock:
            self._purge_expired(object_type)
            archived = _flag(request.arg("archived"))
            id_property = request.arg("idProperty")
            if id_property and not archived:
                record = self._find_by(object_type, id_property, request.params["id"])
            else:
                record = self.find_record(object_type, request.params["id"], archived=archived)
            return self.public_object(
                object_type,
                record,
                request.args("properties") or None,
                request.args("associations"),
                request.args("propertiesWithHistory"),
            )

    def batch_read(self, object_type: str, request: Request) -> Response:
        body = _body(request)
        inputs = _inputs(body, BATCH_MAX_INPUTS)
        properties = _property_names(body.get("properties"))
        archived = _flag(request.arg("archived"))
        started = wall_clock()
        results, missing = [], []
        with self.store.lock:
            self._purge_expired(object_type)
            for item in inputs:
                record_id = str(item.get("id")) if isinstance(item, dict) else ""
                record = self.store.hubspot.get(object_type, {}).get(record_id)
                if record is None or bool(record.get("archived")) != archived:
                    missing.append(record_id)
                    continue
                results.append(self.public_object(object_type, record, properties))
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
            indexed: dict[str, Record] = {}
            waiting = self.index_lag.waiting(object_type)
            pending = self.index_lag.pending(object_type, self.store.now()) if waiting else {}
            if pending:
                ids, indexed = self._lagged_ids(object_type, body, ids, pending)
            records = self.store.hubspot.get(object_type, {})
            results = [
                self.public_object(object_type, indexed.get(i) or records[i], properties)
                for i in ids[offset : offset + limit]
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

    def _lagged_ids(
        self, object_type: str, body: dict[str, Any], ids: list[str], pending: dict[str, Record | None]
    ) -> tuple[list[str], dict[str, Record]]:
        """The search as the lagging index answers it: writes it has not seen are undone (new
        records absent, changed ones matched and shown as they were)."""
        indexed = {i: old for i, old in pending.items() if old is not None and not old.get("archived")}
        schema = self._schema(object_type)

        def indexed_column(name: str) -> Column:
            return column_over(indexed.items(), name, converter(schema.get(name)))

        matched = matching_ids(schema, body.get("filterGroups") or [], indexed_column, indexed.keys())
        merged = sorted([*(i for i in ids if i not in pending), *matched], key=id_key)
        sort = parse_sort(body.get("sorts") or [])

        def column_of(name: str) -> Column:
            return Overlay(self._column(object_type, name), indexed_column(name), pending)

        return sorted_ids(merged, sort, column_of), indexed

    def _column(self, object_type: str, name: str) -> Column:
        """{id: comparable value of `name`} over the type's records that have a readable value (cached).

        Parsing a datetime per record dominates a search over 100,000 records; successive searches of
        an incremental sync differ only in their bounds, so they share the parsed column.
        """

        def build() -> Column:
            convert = converter(self._schema(object_type).get(name))
            return column_over(self.store.hubspot.get(object_type, {}).items(), name, convert)

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

    def batch_upsert(self, object_type: str, request: Request) -> Response:
        """Create or update by a unique-value property, as HubSpot's batch upsert does: "`idProperty`
        refers to a property whose values are unique for the object" (https://developers.hubspot.com/
        docs/api-reference/latest/crm/objects/custom-objects/batch/upsert-custom-objects); contacts
        may upsert by `email`."""
        inputs = _inputs(_body(request), BATCH_MAX_INPUTS)
        with self.store.lock:
            specs = self._object_schema(object_type).properties
        keys = []
        for item in inputs:
            name = item.get("idProperty") if isinstance(item, dict) else None
            if not _upsertable(object_type, specs.get(str(name))):
                raise validation_error(
                    f"idProperty {name!r} is not a unique value property of {object_type}; batch upsert "
                    "needs a property with hasUniqueValue (or email on contacts)"
                )
            keys.append((name, str(item.get("id"))))
        if len(set(keys)) != len(keys):
            raise validation_error("Duplicate IDs found in batch input")
        return self._write_batch(object_type, "batch_upsert", inputs, self._upsert, success_status=200)

    def batch_archive(self, object_type: str, request: Request) -> Response:
        inputs = _inputs(_body(request), BATCH_MAX_INPUTS)
        with self.store.lock:
            archived = [self._archive(object_type, str(item.get("id")) if isinstance(item, dict) else "")
                        for item in inputs]  # fmt: skip
            if any(archived):
                self.after_write(object_type)  # once: each write would persist the org file
        return Response(204, None)  # unknown ids are ignored, as by the single archive

    def create_object(self, object_type: str, request: Request) -> Response:
        with self.store.lock:
            record, _ = self._single_write(object_type, self._create, _body(request))
            return Response(201, self._written_object(object_type, record))

    def update_object(self, object_type: str, request: Request) -> dict[str, Any]:
        body = {**_body(request), "id": request.params["id"]}
        id_property = request.arg("idProperty")
        with self.store.lock:
            if id_property:
                found = self._find_by(object_type, id_property, request.params["id"])
                body["id"] = found["id"]
            record, _ = self._single_write(object_type, self._update, body)
            return self._written_object(object_type, record)

    def _single_write(self, object_type: str, write: Writer, item: dict[str, Any]) -> tuple[Record, Wire]:
        """One input through a batch writer; a failing input is the call's 4xx with HubSpot's body."""
        try:
            written = write(object_type, self._object_schema(object_type).properties, item)
        except InputError as error:
            status = {"OBJECT_NOT_FOUND": 404, "CONFLICT": 409}.get(error.category, 400)
            raise ApiError(status, {**error.to_wire(), "correlationId": str(uuid.uuid4())}) from error
        self.after_write(object_type)
        return written

    def _write_batch(
        self, object_type: str, action: str, inputs: list[Any], write: Writer, success_status: int
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
                    record, extra = write(object_type, schema, item)
                except InputError as error:
                    errors.append(error.to_wire(trace_id))
                    continue
                results.append({**self._written_object(object_type, record, trace_id), **extra})
            if results:
                self.after_write(object_type)
        return _batch_response(results, errors, started, success_status)

    def archive_object(self, object_type: str, request: Request) -> Response:
        with self.store.lock:
            if self._archive(object_type, request.params["id"]):
                self.after_write(object_type)
        return Response(204, None)  # HubSpot answers 204 for unknown ids too

    def _archive(self, object_type: str, record_id: str) -> bool:
        """Move a live record to the archive (the caller persists); whether there was one."""
        record = self.store.hubspot.get(object_type, {}).get(record_id)
        if record is None or record.get("archived"):
            return False
        self._before_change(object_type, record)
        moment = self.stamp(object_type, record)
        record["archived"] = True
        record["archivedAt"] = moment
        return True

    def _create(self, object_type: str, schema: Mapping[str, PropertySpec], item: Any) -> tuple[Record, Wire]:
        if not isinstance(item, dict):
            raise InputError("VALIDATION_ERROR", "Each input must be an object with `properties`")
        properties = validated_properties(schema, item.get("properties"))
        self._check_unique(object_type, schema, properties, None)
        links = self._validated_links(object_type, item.get("associations") or [])
        record_id = self.store.new_hubspot_id()
        record: Record = {"id": record_id, "properties": properties, "archived": False, "associations": links}
        moment = self.stamp(object_type, record, created=True)
        record["createdAt"] = moment
        properties["hs_createdate" if object_type in HS_CREATEDATE_TYPES else "createdate"] = moment
        properties["hs_object_id"] = record_id
        track_stage(object_type, properties, None, moment)
        self.store.hubspot.setdefault(object_type, {})[record_id] = record
        self._remember_unique(object_type, schema, record)
        self.index_lag.created(object_type, record_id, self._visible_at(moment))
        return record, {}

    def _update(self, object_type: str, schema: Mapping[str, PropertySpec], item: Any) -> tuple[Record, Wire]:
        record_id = str(item.get("id")) if isinstance(item, dict) else ""
        record = self.store.hubspot.get(object_type, {}).get(record_id)
        if record is None or record.get("archived"):
            raise InputError("OBJECT_NOT_FOUND", f"Object {record_id!r} not found", ids=[record_id])
        properties = validated_properties(schema, item.get("properties"))
        self._check_unique(object_type, schema, properties, record_id)
        self._before_change(object_type, record)
        stored = record.setdefault("properties", {})
        previous_stage = stored.get(PIPELINE_PROPERTIES.get(object_type, ("", "", ""))[1])
        stored.update(properties)
        track_stage(object_type, stored, previous_stage, self.stamp(object_type, record))
        self._remember_unique(object_type, schema, record)
        return record, {}

    def _upsert(self, object_type: str, schema: Mapping[str, PropertySpec], item: Any) -> tuple[Record, Wire]:
        name, value = item["idProperty"], str(item.get("id"))
        existing = self._unique_index(object_type, name).get(value)
        properties = dict(item.get("properties") or {})
        if existing is not None:
            record, _ = self._update(object_type, schema, {"id": existing, "properties": properties})
            return record, {"new": False}
        record, _ = self._create(object_type, schema, {"properties": {**properties, name: value}})
        return record, {"new": True}

    def stamp(self, object_type: str, record: Record, created: bool = False) -> str:
        """Set the modstamp of a write from the sandbox clock; returns it.

        Contacts move `lastmodifieddate`; their `hs_lastmodifieddate` moves too unless the behaviour
        says it is not maintained on update (see Behaviour.contacts_hs_lastmodifieddate_maintained).
        """
        moment = hubspot_timestamp(self.store.now())
        record["updatedAt"] = moment
        properties = record.setdefault("properties", {})
        if object_type == "contacts":
            properties["lastmodifieddate"] = moment
            if not (created or self.behaviour.contacts_hs_lastmodifieddate_maintained):
                return moment
        properties["hs_lastmodifieddate"] = moment
        return moment

    # ---- unique-value properties ---------------------------------------------------------------
    def _unique_index(self, object_type: str, name: str) -> dict[str, str]:
        """{value: id} of a unique-value property over the live records (cached; writes extend it)."""

        def build() -> dict[str, str]:
            records = self.store.hubspot.get(object_type, {}).values()
            return {
                str(value): r["id"]
                for r in records
                if not r.get("archived") and (value := raw_property(r, name)) not in (None, "")
            }

        return self._cached(object_type, ("unique", name), build)

    def _check_unique(
        self, object_type: str, schema: Mapping[str, PropertySpec], properties: Wire, record_id: str | None
    ) -> None:
        """A unique-value property refuses a value another record holds (HubSpot: 409 CONFLICT,
        "... already has that value"; https://knowledge.hubspot.com/properties/set-validation-rules-for-properties)."""
        for name, value in properties.items():
            spec = schema[name]
            if not spec.has_unique_value or spec.name == "hs_object_id" or value is None:
                continue
            holder = self._unique_index(object_type, name).get(str(value))
            if holder is not None and holder != record_id:
                raise InputError(
                    "CONFLICT",
                    f"A {singular(object_type)} with {name}={value!r} already exists. Existing ID: {holder}",
                    code="CONFLICT",
                    propertyName=[name],
                )

    def _remember_unique(self, object_type: str, schema: Mapping[str, PropertySpec], record: Record) -> None:
        for name, spec in schema.items():
            value = raw_property(record, name) if spec.has_unique_value and name != "hs_object_id" else None
            if value not in (None, ""):
                self._unique_index(object_type, name)[str(value)] = record["id"]

    def _find_by(self, object_type: str, id_property: str, value: str) -> Record:
        """The record whose unique `id_property` is `value` (`?idProperty=` on get/update)."""
        spec = self._object_schema(object_type).properties.get(id_property)
        if not _upsertable(object_type, spec) and id_property != "hs_object_id":
            raise validation_error(
                f"idProperty {id_property!r} is not a unique value property of {object_type}"
            )
        if id_property == "hs_object_id":
            return self.find_record(object_type, value, archived=False)
        record_id = self._unique_index(object_type, id_property).get(value)
        if record_id is None:
            raise ApiError(404, hubspot_error("OBJECT_NOT_FOUND", "resource not found"))
        return self.store.hubspot[object_type][record_id]

    # ---- permanent deletes --------------------------------------------------------------------
    def gdpr_delete(self, object_type: str, request: Request) -> Response:
        """`POST /crm/v3/objects/contacts/gdpr-delete` {"objectId", "idProperty"?}: the contact is
        permanently deleted, archived listing included
        (https://developers.hubspot.com/docs/api-reference/legacy/crm/objects/contacts/gdpr/gdpr-delete-contact)."""
        body = _body(request)
        object_id = body.get("objectId")
        if object_id in (None, ""):
            raise validation_error("`objectId` is required")
        with self.store.lock:
            id_property = body.get("idProperty")
            if id_property and id_property != "hs_object_id":
                record = self._find_by(object_type, str(id_property), str(object_id))
            else:
                record = self.store.hubspot.get(object_type, {}).get(str(object_id))
            if record is not None:
                self.purge(object_type, [record["id"]])
        return Response(204, None)

    def purge(self, object_type: str, ids: Sequence[str]) -> int:
        """Delete records for good: gone from every listing, and from the other side of their links."""
        records = self.store.hubspot.get(object_type, {})
        gone = {record_id for record_id in ids if records.pop(record_id, None) is not None}
        if not gone:
            return 0
        for other_type, others in self.store.hubspot.items():
            for record in others.values():
                linked = (record.get("associations") or {}).get(object_type)
                if linked and gone.intersection(map(str, linked)):
                    record["associations"][object_type] = [i for i in linked if str(i) not in gone]
            self._derived.pop(other_type, None)
        for record_id in gone:
            self.index_lag.forget(object_type, record_id)
        self.after_write(object_type)
        return len(gone)

    def purge_archived(self, object_type: str, before: datetime | None = None) -> int:
        """Empty the type's recycle bin (archived before `before`, or all of it)."""
        records = self.store.hubspot.get(object_type, {})
        cutoff = hubspot_timestamp(before) if before is not None else None
        archived = self._ordered_ids(object_type, archived=True)
        expired = [i for i in archived if cutoff is None or _archived_stamp(records[i]) < cutoff]
        return self.purge(object_type, expired)

    def _purge_expired(self, object_type: str) -> None:
        days = self.behaviour.archived_retention_days
        if days is not None:
            self.purge_archived(object_type, self.store.now() - timedelta(days=days))

    # ---- search index lag ----------------------------------------------------------------------
    def _visible_at(self, moment: str) -> datetime | None:
        lag = self.behaviour.search_lag_seconds
        if lag <= 0:
            return None
        return datetime.fromisoformat(moment.replace("Z", "+00:00")) + timedelta(seconds=lag)

    def _before_change(self, object_type: str, record: Record) -> None:
        """Keep the version search still sees while the index trails this write."""
        if self.behaviour.search_lag_seconds > 0:  # reading the clock ticks it: only when it matters
            visible_at = self._visible_at(hubspot_timestamp(self.store.now()))
            self.index_lag.changed(object_type, record, visible_at)

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

    def after_write(self, object_type: str) -> None:
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
                linked = self.associated_ids(source, record, target) if record is not None else []
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
            record = self.find_record(source, request.params["id"], archived=False)
            linked = self.associated_ids(source, record, target)
        label = association_label(source, target)
        return {"results": [{"id": i, "type": label} for i in linked]}

    def associated_ids(self, source: str, record: Record, target: str) -> list[str]:
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

    # ---- events ------------------------------------------------------------------------------
    def list_events(self, request: Request) -> dict[str, Any]:
        """Event occurrences (`GET /events/v3/events`, Enterprise): the sandbox's portal records no web
        or custom events, so every query answers an empty page
        (https://developers.hubspot.com/docs/guides/api/analytics-and-events/event-analytics)."""
        return {"results": []}

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
                self.find_record("owners", request.params["id"], archived=_flag(request.arg("archived")))
            )

    # ---- shared helpers ----------------------------------------------------------------------
    def find_record(self, object_type: str, record_id: str, archived: bool) -> Record:
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

    def public_object(
        self,
        object_type: str,
        record: Record,
        properties: list[str] | None,
        associations: Sequence[str] = (),
        history: Sequence[str] = (),
    ) -> dict[str, Any]:
        if properties is None:
            names: list[str] = list(DEFAULT_RETURNED[object_type])
        else:
            schema = self._schema(object_type)
            names = [n for n in dict.fromkeys([*properties, *always_returned(object_type)]) if n in schema]
        wire = envelope(record, {name: raw_property(record, name) for name in names})
        links = {}
        for target in associations:
            linked = self.associated_ids(object_type, record, target)
            if linked:
                label = association_label(object_type, target)
                page = linked[:INLINE_ASSOCIATIONS_MAX]
                links[target] = {"results": [{"id": i, "type": label} for i in page]}
                if len(linked) > INLINE_ASSOCIATIONS_MAX:
                    links[target]["paging"] = {"next": {"after": linked[INLINE_ASSOCIATIONS_MAX]}}
        if links:
            wire["associations"] = links
        if history:
            wire["propertiesWithHistory"] = self._history(object_type, record, history)
        return wire

    def _history(self, object_type: str, record: Record, names: Sequence[str]) -> dict[str, Any]:
        """Each requested property's history. The sandbox keeps no past values: a set property has one
        entry, its current value, stamped with the record's last modification; an unset one has none."""
        schema = self._schema(object_type)
        stamp = record.get("updatedAt") or FALLBACK_TIMESTAMP
        history: dict[str, Any] = {}
        for name in (n for n in names if n in schema):
            value = raw_property(record, name)
            entry = {"value": str(value), "timestamp": stamp, "sourceType": "API", "sourceId": None}
            history[name] = [] if value in (None, "") else [entry]
        return history

    def _written_object(
        self, object_type: str, record: Record, trace_id: str | None = None
    ) -> dict[str, Any]:
        """A created/updated record as a batch write returns it: every property it has."""
        names = dict.fromkeys([*record.get("properties", {}), *always_returned(object_type)])
        wire = envelope(record, {name: raw_property(record, name) for name in names})
        if trace_id is not None:
            wire["objectWriteTraceId"] = trace_id
        return wire


def _archived_stamp(record: Record) -> str:
    """When a record was archived, in HubSpot's own format (so that stamps compare as text)."""
    stamp = str(record.get("archivedAt") or record.get("updatedAt") or "")
    try:
        return hubspot_timestamp(datetime.fromisoformat(stamp.replace("Z", "+00:00")))
    except ValueError:
        return stamp


def _upsertable(object_type: str, spec: PropertySpec | None) -> bool:
    if spec is None or spec.name == "hs_object_id":
        return False
    return spec.has_unique_value or (object_type == "contacts" and spec.name == "email")


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
