"""The HubSpot routes: registered on a core `Sandbox` (route names, "hubspot.<action>.<type>", are the
counter keys)."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.http import Request
from ingest.sandbox.hubspot.models import ASSOCIATION_TYPE_IDS, OBJECT_TYPES
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
