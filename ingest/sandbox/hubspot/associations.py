"""HubSpot association writes and per-object reads: v4 per object (list, default, typed, archive), v4
batch (create, associate/default, archive), v4 association schema (labels), v3 PUT/DELETE.

Only HubSpot-defined (unlabelled) association types between the modelled object pairs exist;
labels are not modelled, so creating one or writing a USER_DEFINED type answers HubSpot's 400 body.
Shapes: https://developers.hubspot.com/docs/api-reference/latest/crm/associations/overview (v4) and the
hubspot-api-client models (LabelsBetweenObjectPair, PublicDefaultAssociation,
MultiAssociatedObjectWithLabel). Whether a change moves the records' modstamps is the behaviour's
`associations_touch_modstamp`.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from ingest.sandbox.core.http import ApiError, Request, Response
from ingest.sandbox.core.store import Record
from ingest.sandbox.hubspot.errors import InputError, hubspot_error, validation_error
from ingest.sandbox.hubspot.models import ASSOCIATION_TYPE_IDS, id_key, wall_clock, wire_id

if TYPE_CHECKING:
    from ingest.sandbox.hubspot.responses import HubSpotApi

# HubSpot's object type ids (https://developers.hubspot.com/docs/api/crm/search).
OBJECT_TYPE_IDS = {"contacts": "0-1", "companies": "0-2", "deals": "0-3", "tickets": "0-5",
                   "tasks": "0-27", "meetings": "0-47"}  # fmt: skip
PER_OBJECT_MAX_LIMIT = 500
BATCH_MAX_INPUTS = 100


class Associations:
    """Association handlers over the HubSpot API's store (they share its lock, caches and clock)."""

    def __init__(self, api: HubSpotApi) -> None:
        self.api = api
        self.store = api.store

    # ---- reads ---------------------------------------------------------------------------------
    def list_for_object(self, request: Request) -> dict[str, Any]:
        source, target, type_id = self._pair(request)
        limit = _limit(request.arg("limit"))
        with self.store.lock:
            record = self.api.find_record(source, request.params["id"], archived=False)
            linked = self.api.associated_ids(source, record, target)
        after = request.arg("after")
        start = bisect_left(linked, id_key(after), key=id_key) if after else 0  # the page's first id
        page = linked[start : start + limit]
        body: dict[str, Any] = {"results": [_linked_object(i, type_id) for i in page]}
        if start + limit < len(linked):
            body["paging"] = {"next": {"after": linked[start + limit]}}
        return body

    def labels(self, request: Request) -> dict[str, Any]:
        _, _, type_id = self._pair(request)
        return {"results": [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]}

    def create_label(self, request: Request) -> Response:
        self._pair(request)
        raise validation_error(
            "association labels are not modelled by the sandbox: only HubSpot-defined types"
        )

    # ---- per-object writes ---------------------------------------------------------------------
    def put_default(self, request: Request) -> dict[str, Any]:
        source, target, _ = self._pair(request)
        started = wall_clock()
        with self.store.lock, _as_call_error():
            pair = self._link(source, request.params["id"], target, request.params["to_id"])
        return {"status": "COMPLETE", "results": _default_results(source, target, [pair]),
                "startedAt": started, "completedAt": wall_clock()}  # fmt: skip

    def put_typed(self, request: Request) -> Response:
        source, target, type_id = self._pair(request)
        specs = request.json()
        if not isinstance(specs, list) or not specs:
            raise validation_error("the body is a list of {associationCategory, associationTypeId}")
        with self.store.lock, _as_call_error():
            for spec in specs:
                _check_spec(spec, type_id)
            from_id, to_id = self._link(source, request.params["id"], target, request.params["to_id"])
        return Response(201, _labels_pair(source, target, from_id, to_id))

    def delete(self, request: Request) -> Response:
        source, target, _ = self._pair(request)
        with self.store.lock:
            self._unlink(source, request.params["id"], target, request.params["to_id"])
        return Response(204, None)

    # ---- v3 ------------------------------------------------------------------------------------
    def put_v3(self, request: Request) -> dict[str, Any]:
        source, target, type_id = self._pair(request)
        _check_v3_type(request.params["type"], source, target, type_id)
        with self.store.lock, _as_call_error():
            from_id, _ = self._link(source, request.params["id"], target, request.params["to_id"])
            record = self.store.hubspot[source][from_id]
            return self.api.public_object(source, record, None, [target])

    def delete_v3(self, request: Request) -> Response:
        source, target, type_id = self._pair(request)
        _check_v3_type(request.params["type"], source, target, type_id)
        with self.store.lock:
            self._unlink(source, request.params["id"], target, request.params["to_id"])
        return Response(204, None)

    # ---- batch ---------------------------------------------------------------------------------
    def batch_create(self, request: Request) -> Response:
        source, target, type_id = self._pair(request)
        started = wall_clock()

        def one(item: dict[str, Any]) -> dict[str, Any]:
            for spec in item.get("types") or [{}]:
                _check_spec(spec, type_id)
            from_id, to_id = self._link(source, _id(item.get("from")), target, _id(item.get("to")))
            return _labels_pair(source, target, from_id, to_id)

        results, errors = self._each(source, request, one)
        return _batch(results, errors, started, 201)

    def batch_default(self, request: Request) -> Response:
        source, target, _ = self._pair(request)
        started = wall_clock()
        pairs: list[tuple[str, str]] = []

        def one(item: dict[str, Any]) -> dict[str, Any]:
            pairs.append(self._link(source, _id(item.get("from")), target, _id(item.get("to"))))
            return {}

        _, errors = self._each(source, request, one)
        return _batch(_default_results(source, target, pairs), errors, started, 200)

    def batch_archive(self, request: Request) -> Response:
        source, target, _ = self._pair(request)

        def one(item: dict[str, Any]) -> dict[str, Any]:
            for to in item.get("to") or []:
                self._unlink(source, _id(item.get("from")), target, _id(to))
            return {}

        self._each(source, request, one)
        return Response(204, None)

    # ---- helpers -------------------------------------------------------------------------------
    def _pair(self, request: Request) -> tuple[str, str, int]:
        source, target = request.params["from_type"], request.params["to_type"]
        type_id = ASSOCIATION_TYPE_IDS.get((source, target))
        if type_id is None:
            raise ApiError(400, hubspot_error(
                "VALIDATION_ERROR",
                f"Associations from {source} to {target} are not modelled by the sandbox; modelled pairs: "
                + ", ".join(f"{a}->{b}" for a, b in ASSOCIATION_TYPE_IDS),
            ))  # fmt: skip
        return source, target, type_id

    def _each(
        self, source: str, request: Request, one: Any
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        body = request.json() or {}
        inputs = body.get("inputs") if isinstance(body, dict) else None
        if not isinstance(inputs, list) or len(inputs) > BATCH_MAX_INPUTS:
            raise validation_error(f"`inputs` must be a list of at most {BATCH_MAX_INPUTS}")
        results, errors = [], []
        with self.store.lock:
            for item in inputs:
                try:
                    if not isinstance(item, dict):
                        raise InputError("VALIDATION_ERROR", "each input is an object with `from` and `to`")
                    results.append(one(item))
                except InputError as error:
                    errors.append(error.to_wire())
                except ApiError as error:
                    errors.append({**error.body, "context": {}, "errors": [], "links": {}})
        return results, errors

    def _records(self, source: str, from_id: str, target: str, to_id: str) -> tuple[Record, Record]:
        records = self.store.hubspot
        found = records.get(source, {}).get(from_id), records.get(target, {}).get(to_id)
        if found[0] is None or found[1] is None or found[0].get("archived") or found[1].get("archived"):
            missing = from_id if found[0] is None or found[0].get("archived") else to_id
            raise InputError("OBJECT_NOT_FOUND", f"No object with id {missing}", ids=[missing])
        return found[0], found[1]

    def _link(self, source: str, from_id: str, target: str, to_id: str) -> tuple[str, str]:
        record, other = self._records(source, from_id, target, to_id)
        if to_id not in self.api.associated_ids(source, record, target):
            record.setdefault("associations", {}).setdefault(target, []).append(to_id)
            self._changed(source, record, target, other)
        return from_id, to_id

    def _unlink(self, source: str, from_id: str, target: str, to_id: str) -> None:
        try:
            record, other = self._records(source, from_id, target, to_id)
        except InputError:
            return  # archiving an association that does not exist is a no-op
        if to_id not in self.api.associated_ids(source, record, target):
            return
        for holder, kind, linked in ((record, target, to_id), (other, source, from_id)):
            ids = (holder.get("associations") or {}).get(kind) or []
            holder.get("associations", {})[kind] = [i for i in ids if str(i) != linked]
        self._changed(source, record, target, other)

    def _changed(self, source: str, record: Record, target: str, other: Record) -> None:
        if self.api.behaviour.associations_touch_modstamp:
            self.api.stamp(source, record)
            self.api.stamp(target, other)
        self.api.after_write(source)
        self.api.after_write(target)


@contextmanager
def _as_call_error() -> Iterator[None]:
    """A per-object call answers an input failure as its own 4xx (404 for a missing record)."""
    try:
        yield
    except InputError as error:
        status = 404 if error.category == "OBJECT_NOT_FOUND" else 400
        raise ApiError(status, {**error.to_wire(), "correlationId": str(uuid.uuid4())}) from error


def _id(ref: Any) -> str:
    if not isinstance(ref, dict) or ref.get("id") in (None, ""):
        raise InputError("VALIDATION_ERROR", "`from` and `to` are objects with an `id`")
    return str(ref["id"])


def _limit(raw: str | None) -> int:
    try:
        limit = int(raw) if raw else PER_OBJECT_MAX_LIMIT
    except ValueError:
        raise validation_error(f"limit must be an integer, got {raw!r}") from None
    return max(1, min(limit, PER_OBJECT_MAX_LIMIT))


def _check_spec(spec: Any, type_id: int) -> None:
    if not isinstance(spec, dict):
        raise InputError(
            "VALIDATION_ERROR", "an association type is {associationCategory, associationTypeId}"
        )
    if spec.get("associationCategory") != "HUBSPOT_DEFINED" or spec.get("associationTypeId") != type_id:
        raise InputError(
            "VALIDATION_ERROR",
            f"association type {spec} is not valid here; the sandbox models HUBSPOT_DEFINED {type_id} only",
            code="INVALID_ASSOCIATION_TYPE",
        )


def _check_v3_type(raw: str, source: str, target: str, type_id: int) -> None:
    label = f"{source.removesuffix('s') if source != 'companies' else 'company'}_to_" + (
        target.removesuffix("s") if target != "companies" else "company"
    )
    if raw not in (str(type_id), label):
        raise validation_error(f"associationType {raw!r} is not valid; use {type_id} or {label}")


def _linked_object(record_id: str, type_id: int) -> dict[str, Any]:
    types = [{"category": "HUBSPOT_DEFINED", "typeId": type_id, "label": None}]
    return {"toObjectId": wire_id(record_id), "associationTypes": types}


def _labels_pair(source: str, target: str, from_id: str, to_id: str) -> dict[str, Any]:
    return {"fromObjectTypeId": OBJECT_TYPE_IDS.get(source, source), "fromObjectId": wire_id(from_id),
            "toObjectTypeId": OBJECT_TYPE_IDS.get(target, target), "toObjectId": wire_id(to_id),
            "labels": []}  # fmt: skip


def _default_results(source: str, target: str, pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    """A default association is made in both directions; HubSpot lists both."""
    results = []
    for from_id, to_id in pairs:
        for (a, a_id), (b, b_id) in (
            ((source, from_id), (target, to_id)),
            ((target, to_id), (source, from_id)),
        ):
            spec = {
                "associationCategory": "HUBSPOT_DEFINED",
                "associationTypeId": ASSOCIATION_TYPE_IDS[(a, b)],
            }
            results.append({"from": {"id": a_id}, "to": {"id": b_id}, "associationSpec": spec})
    return results


def _batch(results: list[Any], errors: list[Any], started: str, status: int) -> Response:
    body: dict[str, Any] = {"status": "COMPLETE", "results": results, "startedAt": started,
                            "completedAt": wall_clock()}  # fmt: skip
    if errors:
        return Response(207, {**body, "numErrors": len(errors), "errors": errors})
    return Response(status, body)
