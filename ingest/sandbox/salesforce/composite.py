"""`composite` (subrequests with `@{ref.field}` references, `allOrNone`) and `composite/batch`, and the
Bulk API answers (not offered: the documented "not enabled" errors, never a 404)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

import orjson

from ingest.sandbox.core.http import ApiError, Request, Response
from ingest.sandbox.salesforce.errors import salesforce_error

if TYPE_CHECKING:
    from ingest.sandbox.salesforce.responses import SalesforceApi

# "Composite: up to 25 subrequests"; a reference is @{referenceId.field}, with [n] for list items
# (https://developer.salesforce.com/docs/atlas.en-us.api_rest.meta/api_rest/resources_composite_composite.htm).
COMPOSITE_SUBREQUESTS = 25
BATCH_SUBREQUESTS = 25  # composite/batch: "up to 25 subrequests" (resources_composite_batch.htm)
_REFERENCE = re.compile(r"@\{([A-Za-z0-9_]+)((?:\.[A-Za-z0-9_]+|\[\d+\])+)\}")
_HALTED = [
    {
        "errorCode": "PROCESSING_HALTED",
        "message": "The transaction was rolled back since another operation in the same transaction failed.",
    }
]


def _resolve(text: str, results: dict[str, Any]) -> str:
    def value(found: re.Match[str]) -> str:
        current = results[found.group(1)]
        for step in re.findall(r"\.([A-Za-z0-9_]+)|\[(\d+)\]", found.group(2)):
            current = current[step[0]] if step[0] else current[int(step[1])]
        return str(current)

    return _REFERENCE.sub(value, text)


def _dispatch(api: SalesforceApi, parent: Request, method: str, url: str, body: Any) -> Response:
    """Run one subrequest through the Salesforce routes (one API call for the whole composite)."""
    split = urlsplit(url if url.startswith("/") else f"/services/data/{url}")
    matched = api.sandbox.match(method.upper(), split.path)
    if matched is None or matched[0].api != "salesforce" or not matched[0].auth:
        return Response(404, salesforce_error("NOT_FOUND", "The requested resource does not exist"))
    route, params = matched
    request = Request(
        method=method.upper(),
        path=split.path,
        query=parse_qs(split.query, keep_blank_values=True),
        headers=parent.headers,
        body=b"" if body is None else orjson.dumps(body),
        params=params,
        base_url=parent.base_url,
    )
    try:
        result = route.handler(request)
    except ApiError as error:
        return Response(error.status, error.body)
    response = result if isinstance(result, Response) else Response(200, result)
    if isinstance(response.body, bytes):
        response.body = orjson.loads(response.body)
    return response


def composite(api: SalesforceApi, request: Request) -> Any:
    body = request.json()
    subrequests = body.get("compositeRequest") if isinstance(body, dict) else None
    if not isinstance(subrequests, list) or not subrequests:
        raise ApiError(
            400, salesforce_error("JSON_PARSER_ERROR", "The body must have a 'compositeRequest' array")
        )
    if len(subrequests) > COMPOSITE_SUBREQUESTS:
        message = f"Composite request limit is {COMPOSITE_SUBREQUESTS} subrequests"
        raise ApiError(400, salesforce_error("LIMIT_EXCEEDED", message))
    all_or_none = bool(body.get("allOrNone"))
    with api.store.lock:
        backup = (
            {name: dict(records) for name, records in api.store.salesforce.items()} if all_or_none else None
        )
        answers, failed = _run_subrequests(api, request, subrequests, halt=all_or_none)
        if failed and backup is not None:  # roll the earlier subrequests back
            api.store.salesforce.clear()
            api.store.salesforce.update(backup)
            api.store.mark_dirty()
            answers = [
                a if a["httpStatusCode"] >= 400 else {**a, "body": _HALTED, "httpStatusCode": 400}
                for a in answers
            ]
    return {"compositeResponse": answers}


def _run_subrequests(
    api: SalesforceApi, request: Request, subrequests: list[Any], halt: bool
) -> tuple[list[dict[str, Any]], bool]:
    results: dict[str, Any] = {}
    answers: list[dict[str, Any]] = []
    failed = False
    for sub in subrequests:
        reference = sub.get("referenceId") if isinstance(sub, dict) else None
        if failed and halt:
            answers.append(
                {"body": _HALTED, "httpHeaders": {}, "httpStatusCode": 400, "referenceId": reference}
            )
            continue
        try:
            url = _resolve(str(sub["url"]), results)
            payload = orjson.loads(_resolve(orjson.dumps(sub.get("body")).decode(), results))
            response = _dispatch(api, request, str(sub.get("method", "GET")), url, payload)
        except (KeyError, IndexError, TypeError):
            message = f"Invalid reference specified. No value for {sub!r} found in earlier subrequests."
            response = Response(400, salesforce_error("INVALID_FIELD", message))
        answers.append(
            {
                "body": response.body,
                "httpHeaders": {},
                "httpStatusCode": response.status,
                "referenceId": reference,
            }
        )
        if response.status >= 400:
            failed = True
        elif reference:
            results[reference] = response.body
    return answers, failed


def composite_batch(api: SalesforceApi, request: Request) -> Any:
    """Independent subrequests; `haltOnError` stops at the first failure (the rest are halted)."""
    body = request.json()
    batch = body.get("batchRequests") if isinstance(body, dict) else None
    if not isinstance(batch, list) or not batch or len(batch) > BATCH_SUBREQUESTS:
        message = f"The body must have a 'batchRequests' array of 1 to {BATCH_SUBREQUESTS} subrequests"
        raise ApiError(400, salesforce_error("JSON_PARSER_ERROR", message))
    results: list[dict[str, Any]] = []
    halted = False
    for sub in batch:
        if halted:
            results.append(
                {"statusCode": 412, "result": salesforce_error("BATCH_PROCESSING_HALTED", "halted")}
            )
            continue
        response = _dispatch(
            api, request, str(sub.get("method", "GET")), str(sub.get("url", "")), sub.get("richInput")
        )
        results.append({"statusCode": response.status, "result": response.body})
        halted = response.status >= 400 and bool(body.get("haltOnError"))
    return {"hasErrors": any(r["statusCode"] >= 400 for r in results), "results": results}


# ---- Bulk API: not offered ---------------------------------------------------------------------------
def bulk_v1_not_enabled(api: SalesforceApi, request: Request) -> Response:
    """Bulk API 1.0 (`/services/async/`) answers in its own error shape; where the org does not offer it,
    `FeatureNotEnabled` (https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/asynch_api_reference_errors.htm).
    dlt's verified source falls back to REST on exactly this body. Auth is the X-SFDC-Session header."""
    if request.headers.get("x-sfdc-session", "") not in api.sessions:
        body = {"exceptionCode": "InvalidSessionId", "exceptionMessage": "Invalid session id"}
        return Response(401, body)
    return Response(400, {"exceptionCode": "FeatureNotEnabled", "exceptionMessage": "Async API not enabled"})


def bulk_v2_not_enabled(api: SalesforceApi, request: Request) -> Response:
    """Bulk API 2.0 (`jobs/query`, `jobs/ingest`): the REST error array; an org without the feature
    answers API_DISABLED_FOR_ORG (Bulk API 2.0 errors,
    https://developer.salesforce.com/docs/atlas.en-us.api_asynch.meta/api_asynch/bulk_api_2_0_errors.htm)."""
    message = "Bulk API 2.0 is not enabled for this organization (the sandbox does not model it)"
    return Response(400, salesforce_error("API_DISABLED_FOR_ORG", message))
