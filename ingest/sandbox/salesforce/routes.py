"""The Salesforce routes: registered on a core `Sandbox` (route names are the counter keys)."""

from __future__ import annotations

from functools import partial
from typing import Any

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.control import CONTROL
from ingest.sandbox.core.http import ApiError, Request
from ingest.sandbox.salesforce import composite, replication, soap
from ingest.sandbox.salesforce.profile import ProfileError, parse_profile, profile_json
from ingest.sandbox.salesforce.responses import SalesforceApi

API = "salesforce"  # route api, counter prefix ("salesforce.total")
DATA = r"/services/data/v(?P<version>\d+\.\d)"


def register(sandbox: Sandbox) -> None:
    """Add the Salesforce routes to the sandbox (route names are the counter keys)."""
    api = SalesforceApi(sandbox)
    sandbox.mount(API, api, path_prefix="/services/")
    sobject, record = r"(?P<sobject>\w+)", r"(?P<record_id>[A-Za-z0-9]{15,18})"
    external = rf"{DATA}/sobjects/{sobject}/(?P<field>\w+)/(?P<value>[^/]+)"
    routes = [
        ("POST", r"/services/oauth2/token", "salesforce.token", api.token, False),
        ("GET", r"/services/data", "salesforce.versions", api.versions, False),
        (
            "GET",
            rf"{DATA}/(?:query|queryAll)/(?P<locator>01g\w+)-(?P<offset>\d+)",
            "salesforce.query_more",
            api.query_more,
            True,
        ),
        ("GET", rf"{DATA}/(?:query|queryAll)", "salesforce.query", api.query, True),
        ("GET", rf"{DATA}/limits", "salesforce.limits", api.limits, True),
        ("GET", rf"{DATA}/sobjects", "salesforce.describe", api.describe_global, True),
        ("GET", rf"{DATA}/sobjects/{sobject}/describe", "salesforce.describe", api.describe, True),
        ("POST", rf"{DATA}/sobjects/{sobject}", "salesforce.sobject_create", api.create, True),
        ("GET", rf"{DATA}/sobjects/{sobject}/{record}", "salesforce.sobject_get", api.get, True),
        ("PATCH", rf"{DATA}/sobjects/{sobject}/{record}", "salesforce.sobject_update", api.update, True),
        ("DELETE", rf"{DATA}/sobjects/{sobject}/{record}", "salesforce.sobject_delete", api.delete, True),
        ("POST", rf"{DATA}/composite/sobjects", "salesforce.composite_sobjects", api.composite, True),
        ("PATCH", rf"{DATA}/composite/sobjects", "salesforce.composite_sobjects", api.composite, True),
        (
            "PATCH",
            rf"{DATA}/composite/sobjects/{sobject}/(?P<field>\w+)",
            "salesforce.composite_sobjects",
            api.composite,
            True,
        ),
        ("POST", rf"{DATA}/composite", "salesforce.composite", partial(composite.composite, api), True),
        (
            "POST",
            rf"{DATA}/composite/batch",
            "salesforce.composite_batch",
            partial(composite.composite_batch, api),
            True,
        ),
        ("PATCH", external, "salesforce.sobject_upsert", api.upsert, True),
        ("GET", external, "salesforce.sobject_get_by_external_id", api.get_by_external_id, True),
    ]
    # Before the record routes: "deleted"/"updated" are not record ids.
    replication_routes = [
        (
            "GET",
            rf"{DATA}/sobjects/{sobject}/deleted",
            "salesforce.get_deleted",
            partial(replication.get_deleted, api),
        ),
        (
            "GET",
            rf"{DATA}/sobjects/{sobject}/updated",
            "salesforce.get_updated",
            partial(replication.get_updated, api),
        ),
    ]
    for method, pattern, name, handler in replication_routes:
        sandbox.route(method, pattern, name, api=API, auth=True)(handler)
    soap_base = r"/services/Soap/[uc]/(?P<version>\d+\.\d)"
    sandbox.route("POST", soap_base, "salesforce.soap_login", api=API, auth=False)(partial(soap.login, api))
    sandbox.route("POST", soap_base + r"/.+", "salesforce.soap", api=API, auth=False)(
        partial(soap.not_modelled, api)
    )
    bulk_v1 = partial(composite.bulk_v1_not_enabled, api)
    bulk_v2 = partial(composite.bulk_v2_not_enabled, api)
    for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
        sandbox.route(method, r"/services/async/\d+\.\d(?:/.*)?", "salesforce.bulk", api=API, auth=False)(
            bulk_v1
        )
        sandbox.route(method, rf"{DATA}/jobs/(?:query|ingest)(?:/.*)?", "salesforce.bulk2", api=API)(bulk_v2)
    _register_control(sandbox, api)
    for method, pattern, name, handler, auth in routes:
        sandbox.route(method, pattern, name, api=API, auth=auth)(handler)
    # The control surface's Salesforce part (never counted, never authenticated): the API budget.
    budget = "/__sandbox/salesforce/api_budget"
    configure = sandbox.route("POST", budget, "control.salesforce.api_budget", api=CONTROL, auth=False)
    configure(api.configure_budget)


def _register_control(sandbox: Sandbox, api: SalesforceApi) -> None:
    """`/__sandbox/salesforce/...`: the behaviour profile and the Recycle Bin (never counted)."""

    def set_profile(request: Request) -> Any:
        try:
            api.set_profile(parse_profile(request.json()))
        except ProfileError as error:
            raise ApiError(400, {"message": str(error)}) from error
        return profile_json(api.profile)

    def empty_recycle_bin(request: Request) -> Any:
        with api.store.lock:
            purged = {name: replication.purge(api, name, None) for name in list(api.store.salesforce)}
        return {"purged": {name: count for name, count in purged.items() if count}}

    control = [
        ("GET", "profile", lambda request: profile_json(api.profile)),
        ("POST", "profile", set_profile),
        ("POST", "recycle_bin/empty", empty_recycle_bin),
    ]
    for method, path, handler in control:
        name = f"control.salesforce.{path.replace('/', '_')}"
        sandbox.route(method, rf"/__sandbox/salesforce/{path}", name, api=CONTROL, auth=False)(handler)
