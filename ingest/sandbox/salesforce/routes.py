"""The Salesforce routes: registered on a core `Sandbox` (route names are the counter keys)."""

from __future__ import annotations

from ingest.sandbox.core.app import Sandbox
from ingest.sandbox.core.control import CONTROL
from ingest.sandbox.salesforce.responses import SalesforceApi

API = "salesforce"  # route api, counter prefix ("salesforce.total")
DATA = r"/services/data/v(?P<version>\d+\.\d)"


def register(sandbox: Sandbox) -> None:
    """Add the Salesforce routes to the sandbox (route names are the counter keys)."""
    api = SalesforceApi(sandbox)
    sandbox.mount(API, api, path_prefix="/services/")
    sobject, record = r"(?P<sobject>\w+)", r"(?P<record_id>[A-Za-z0-9]{15,18})"
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
    ]
    for method, pattern, name, handler, auth in routes:
        sandbox.route(method, pattern, name, api=API, auth=auth)(handler)
    # The control surface's Salesforce part (never counted, never authenticated): the API budget.
    budget = "/__sandbox/salesforce/api_budget"
    configure = sandbox.route("POST", budget, "control.salesforce.api_budget", api=CONTROL, auth=False)
    configure(api.configure_budget)
