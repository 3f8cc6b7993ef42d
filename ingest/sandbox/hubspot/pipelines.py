"""HubSpot pipelines (read-only): every portal has the deals "Sales Pipeline" (`default`) and the tickets
"Support Pipeline" (`0`) with HubSpot's default stages
(https://developers.hubspot.com/docs/guides/api/crm/pipelines; stage ids and metadata as a new portal's
`GET /crm/v3/pipelines/{deals,tickets}` lists them: deal stages carry `probability` and `isClosed`,
ticket stages `ticketState`). Writes to pipelines are not modelled and answer HubSpot's 400 body.
"""

from __future__ import annotations

from typing import Any

from ingest.sandbox.core.http import ApiError, Request
from ingest.sandbox.hubspot.errors import hubspot_error, validation_error
from ingest.sandbox.hubspot.properties import DEAL_STAGES, TICKET_STAGES

_STAMP = "2019-08-06T02:41:52.000Z"  # HubSpot-defined pipelines predate every portal's data
_DEAL_PROBABILITIES = {"appointmentscheduled": "0.2", "qualifiedtobuy": "0.4", "presentationscheduled": "0.6",
                       "decisionmakerboughtin": "0.8", "contractsent": "0.9", "closedwon": "1.0",
                       "closedlost": "0.0"}  # fmt: skip


def _stage(stage_id: str, label: str, order: int, metadata: dict[str, str]) -> dict[str, Any]:
    return {"id": stage_id, "label": label, "displayOrder": order, "metadata": metadata, "archived": False,
            "createdAt": _STAMP, "updatedAt": _STAMP,
            "writePermissions": "CRM_PERMISSIONS_ENFORCEMENT"}  # fmt: skip


def _pipeline(pipeline_id: str, label: str, stages: list[dict[str, Any]]) -> dict[str, Any]:
    return {"id": pipeline_id, "label": label, "displayOrder": 0, "stages": stages, "archived": False,
            "createdAt": _STAMP, "updatedAt": _STAMP}  # fmt: skip


def _text(flag: bool) -> str:
    return "true" if flag else "false"


def default_pipelines() -> dict[str, list[dict[str, Any]]]:
    deal_stages = [
        _stage(o.value, o.label, o.display_order,
               {"probability": _DEAL_PROBABILITIES[o.value], "isClosed": _text(o.value.startswith("closed"))})
        for o in DEAL_STAGES
    ]  # fmt: skip
    ticket_stages = [
        _stage(
            o.value, o.label, o.display_order, {"ticketState": "CLOSED" if o.label == "Closed" else "OPEN"}
        )
        for o in TICKET_STAGES
    ]
    return {"deals": [_pipeline("default", "Sales Pipeline", deal_stages)],
            "tickets": [_pipeline("0", "Support Pipeline", ticket_stages)]}  # fmt: skip


class Pipelines:
    def __init__(self) -> None:
        self._pipelines = default_pipelines()

    def list(self, request: Request) -> dict[str, Any]:
        return {"results": self._of(request.params["object_type"])}

    def get(self, request: Request) -> dict[str, Any]:
        return self._pipeline(request)

    def stages(self, request: Request) -> dict[str, Any]:
        return {"results": self._pipeline(request)["stages"]}

    def stage(self, request: Request) -> dict[str, Any]:
        for stage in self._pipeline(request)["stages"]:
            if stage["id"] == request.params["stage_id"]:
                return stage
        raise ApiError(
            404, hubspot_error("OBJECT_NOT_FOUND", f"Stage {request.params['stage_id']} not found")
        )

    def refuse_write(self, request: Request) -> dict[str, Any]:
        self._of(request.params["object_type"])
        raise validation_error(
            "pipeline writes are not modelled by the sandbox; its pipelines are HubSpot's defaults"
        )

    def _of(self, object_type: str) -> list[dict[str, Any]]:
        if object_type not in self._pipelines:
            raise validation_error(
                f"Object type {object_type} does not support pipelines (deals, tickets do)"
            )
        return self._pipelines[object_type]

    def _pipeline(self, request: Request) -> dict[str, Any]:
        for pipeline in self._of(request.params["object_type"]):
            if pipeline["id"] == request.params["pipeline_id"]:
                return pipeline
        raise ApiError(
            404, hubspot_error("OBJECT_NOT_FOUND", f"Pipeline {request.params['pipeline_id']} not found")
        )
