"""The HubSpot routes: registered on a core `Sandbox` (route names, "hubspot.<action>.<type>", are the
counter keys)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.control import CONTROL
from ingest.sandbox.core.http import ApiError, Request
from ingest.sandbox.hubspot.account_info import account_details
from ingest.sandbox.hubspot.associations import Associations
from ingest.sandbox.hubspot.errors import hubspot_error
from ingest.sandbox.hubspot.models import ASSOCIATION_TYPE_IDS, OBJECT_TYPES
from ingest.sandbox.hubspot.pipelines import Pipelines
from ingest.sandbox.hubspot.responses import HubSpotApi

API = "hubspot"  # route api, counter prefix ("hubspot.total")


def register(sandbox: Sandbox) -> None:
    """Add the HubSpot routes to the sandbox; every path outside Salesforce's answers in HubSpot's format."""
    api = HubSpotApi(sandbox)
    sandbox.mount(API, api, path_prefix="/")
    route = partial(_route, sandbox)
    for object_type in OBJECT_TYPES:
        _register_object_routes(route, api, object_type)
    for source, target in ASSOCIATION_TYPE_IDS:
        name = f"{source}.{target}"
        route(
            "POST",
            f"/crm/v4/associations/{source}/{target}/batch/read",
            f"associations.{name}",
            partial(api.read_associations, source, target),
        )
        route(
            "GET",
            rf"/crm/v3/objects/{source}/(?P<id>[^/]+)/associations/{target}",
            f"associations_v3.{name}",
            partial(api.list_associations, source, target),
        )
    route("GET", r"/crm/v3/owners", "owners", api.list_owners)
    route("GET", r"/crm/v3/owners/(?P<id>[^/]+)", "owners", api.get_owner)
    route("GET", r"/events/v3/events", "events", api.list_events)
    route("GET", r"/account-info/v3/details", "account_info", account_details)
    route("POST", r"/crm/v3/objects/contacts/gdpr-delete", "gdpr_delete.contacts",
          partial(api.gdpr_delete, "contacts"))  # fmt: skip
    for version in ("v1", "v3"):  # the refresh grant needs no bearer token (it is how one is got)
        sandbox.route("POST", rf"/oauth/{version}/token", f"{API}.oauth_token", api=API, auth=False)(
            api.refresh_token
        )
    _register_association_routes(route, Associations(api))
    _register_pipeline_routes(route, Pipelines())
    _register_control_routes(sandbox, api)
    _register_unmodelled_objects(route)  # last: every modelled route matches first


# Standard object types of a real portal the sandbox does not model
# (https://developers.hubspot.com/docs/api/crm/search lists their search endpoints).
UNMODELLED_OBJECT_TYPES = frozenset({
    "line_items", "calls", "emails", "notes", "communications", "postal_mail", "leads", "carts",
    "orders", "invoices", "payments", "subscriptions", "discounts", "fees", "taxes", "feedback_submissions",
    "goal_targets", "users", "appointments", "courses", "listings", "services",
})  # fmt: skip


def _register_unmodelled_objects(route: Callable[..., None]) -> None:
    """Object paths whose type the sandbox does not serve answer HubSpot's 400 body, never an unknown path."""
    patterns = [
        r"/crm/v3/objects/(?P<object_type>[^/]+)(?:/.*)?",
        r"/crm/v3/properties/(?P<object_type>[^/]+)(?:/.*)?",
    ]
    for pattern in patterns:
        for method in ("GET", "POST", "PATCH", "PUT", "DELETE"):
            route(method, pattern, "unmodelled_object", _unmodelled_object)


def _unmodelled_object(request: Request) -> Any:
    object_type = request.params["object_type"]
    if object_type in OBJECT_TYPES:  # e.g. POST .../companies/merge: a real endpoint the sandbox lacks
        message = f"The sandbox does not model {request.method} {request.path}"
    elif object_type in UNMODELLED_OBJECT_TYPES:
        message = f"The sandbox does not model {object_type}; it serves {', '.join(OBJECT_TYPES)}"
    else:  # the message HubSpot answers for a name that is no object type
        message = f"Unable to infer object type from: {object_type}"
    raise ApiError(400, hubspot_error("VALIDATION_ERROR", message))


_PAIR = r"(?P<from_type>[a-z_]+)/(?P<id>[^/]+)/associations"
_V4_PAIR = r"/crm/v4/associations/(?P<from_type>[a-z_]+)/(?P<to_type>[a-z_]+)"


def _register_association_routes(route: Callable[..., None], links: Associations) -> None:
    """v4 per object and batch, v4 schema (labels), v3 PUT/DELETE; the pair is checked by the handler,
    so that an unmodelled pair answers HubSpot's 400 body, not an unknown path."""
    per_object = rf"/crm/v4/objects/{_PAIR}/(?P<to_type>[a-z_]+)"
    v3 = rf"/crm/v3/objects/{_PAIR}/(?P<to_type>[a-z_]+)/(?P<to_id>[^/]+)/(?P<type>[^/]+)"
    routes = [
        ("GET", per_object, "associations_v4.list", links.list_for_object),
        ("PUT", rf"/crm/v4/objects/{_PAIR}/default/(?P<to_type>[a-z_]+)/(?P<to_id>[^/]+)",
         "associations_v4.create_default", links.put_default),
        ("PUT", per_object + r"/(?P<to_id>[^/]+)", "associations_v4.create", links.put_typed),
        ("DELETE", per_object + r"/(?P<to_id>[^/]+)", "associations_v4.archive", links.delete),
        ("GET", _V4_PAIR + "/labels", "associations_v4.labels", links.labels),
        ("POST", _V4_PAIR + "/labels", "associations_v4.create_label", links.create_label),
        ("POST", _V4_PAIR + "/batch/create", "associations_v4.batch_create", links.batch_create),
        ("POST", _V4_PAIR + "/batch/associate/default", "associations_v4.batch_default", links.batch_default),
        ("POST", _V4_PAIR + "/batch/archive", "associations_v4.batch_archive", links.batch_archive),
        ("PUT", v3, "associations_v3.create", links.put_v3),
        ("DELETE", v3, "associations_v3.archive", links.delete_v3),
    ]  # fmt: skip
    for method, pattern, name, handler in routes:
        route(method, pattern, name, handler)


def _register_pipeline_routes(route: Callable[..., None], pipelines: Pipelines) -> None:
    base = r"/crm/v3/pipelines/(?P<object_type>[a-z_]+)"
    one = base + r"/(?P<pipeline_id>[^/]+)"
    route("GET", base, "pipelines.list", pipelines.list)
    route("GET", one, "pipelines.get", pipelines.get)
    route("GET", one + "/stages", "pipelines.stages", pipelines.stages)
    route("GET", one + r"/stages/(?P<stage_id>[^/]+)", "pipelines.stage", pipelines.stage)
    for method in ("POST", "PUT", "PATCH", "DELETE"):
        route(method, base + r"(?:/.*)?", "pipelines.write", pipelines.refuse_write)


def _register_control_routes(sandbox: Sandbox, api: HubSpotApi) -> None:
    """`/__sandbox/hubspot/behaviour` (GET, POST {"profile"?, knob: value}),
    `/__sandbox/hubspot/rate_limits` (GET: the 429s answered so far, per policy) and
    `/__sandbox/hubspot/purge` (POST {"objectType", "ids"?}: permanent delete; without ids, the
    type's archived records)."""

    def behaviour(request: Request) -> Any:
        if request.method == "GET":
            return api.behaviour.to_wire()
        try:
            return api.set_behaviour(request.json() or {}).to_wire()
        except (TypeError, ValueError) as exc:
            raise ApiError(400, {"message": str(exc)}) from exc

    def purge(request: Request) -> Any:
        body = request.json() or {}
        object_type, ids = body.get("objectType"), body.get("ids")
        if object_type not in OBJECT_TYPES:
            raise ApiError(400, {"message": f"objectType must be one of {list(OBJECT_TYPES)}"})
        with api.store.lock:
            purged = api.purge(object_type, [str(i) for i in ids]) if ids else api.purge_archived(object_type)
        return {"purged": purged}

    for method in ("GET", "POST"):
        sandbox.route(method, r"/__sandbox/hubspot/behaviour", "control.hubspot_behaviour", CONTROL,
                      auth=False)(behaviour)  # fmt: skip
    sandbox.route("GET", r"/__sandbox/hubspot/rate_limits", "control.hubspot_rate_limits", CONTROL,
                  auth=False)(lambda request: {"refused": dict(api.limiter.refused)})  # fmt: skip
    sandbox.route("POST", r"/__sandbox/hubspot/purge", "control.hubspot_purge", CONTROL, auth=False)(purge)


def _register_object_routes(route: Callable[..., None], api: HubSpotApi, object_type: str) -> None:
    base = f"/crm/v3/objects/{object_type}"
    routes = [
        ("GET", "", "list", api.list_objects),
        ("GET", r"/(?P<id>[^/]+)", "get", api.get_object),
        ("DELETE", r"/(?P<id>[^/]+)", "archive", api.archive_object),
        ("POST", "/search", "search", api.search),
        ("POST", "/batch/create", "batch_create", api.batch_create),
        ("POST", "/batch/update", "batch_update", api.batch_update),
        ("POST", "/batch/read", "batch_read", api.batch_read),
        ("POST", "/batch/upsert", "batch_upsert", api.batch_upsert),
        ("POST", "/batch/archive", "batch_archive", api.batch_archive),
        ("POST", "", "create", api.create_object),
        ("PATCH", r"/(?P<id>[^/]+)", "update", api.update_object),
    ]
    for method, suffix, action, handler in routes:
        route(method, base + suffix, f"{action}.{object_type}", partial(handler, object_type))
    properties = f"/crm/v3/properties/{object_type}"
    property_routes = [
        ("", "properties", api.list_properties),
        ("/groups", "property_groups", api.list_property_groups),
        (r"/groups/(?P<name>[^/]+)", "property_group", api.get_property_group),
        (r"/(?P<name>[^/]+)", "property", api.get_property),
    ]
    for suffix, action, handler in property_routes:
        route("GET", properties + suffix, f"{action}.{object_type}", partial(handler, object_type))


def _route(sandbox: Sandbox, method: str, pattern: str, name: str, handler: Callable[[Request], Any]) -> None:
    sandbox.route(method, pattern, f"{API}.{name}", api=API)(handler)
