"""What the HubSpot source reads: objects, the properties it flattens into columns, API limits.

Column kinds map to the raw layer's types (docs/raw-layer.md): `text` → VARCHAR, `timestamp` →
TIMESTAMP WITH TIME ZONE (UTC), `double` → DOUBLE. Every table also gets `id` (primary key) and
`archived`; objects associated with companies get `company_ids`, meetings and deals `contact_ids` (who
was met, who referred).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Literal

ColumnKind = Literal["text", "timestamp", "double"]

MODSTAMP = "hs_lastmodifieddate"  # the raw tables' cursor column (each object's cursor property lands in it)
# The property that moves on every change and that search filters and sorts on. For contacts it is
# `lastmodifieddate`: HubSpot does not maintain `hs_lastmodifieddate` on contact updates, so a search
# filtered on it silently misses updated contacts (HubSpot's CRM search guide filters contacts on
# `lastmodifieddate`, https://developers.hubspot.com/docs/api/crm/search#filter-search-results; public
# reports: https://community.hubspot.com/t5/APIs-Integrations/hs-lastmodifieddate-not-updated-for-contacts/m-p/388143).
# Companies, deals and engagements (meetings, tasks) use `hs_lastmodifieddate`.
DEFAULT_CURSOR_PROPERTY = MODSTAMP
OBJECT_ID = "hs_object_id"  # sortable/filterable id, used to walk one crowded timestamp

SEARCH_PAGE_SIZE = 200  # the search API's maximum page
SEARCH_RESULT_CAP = 10_000  # the search API refuses after + limit beyond this
LIST_PAGE_SIZE = 100  # the list API's maximum page (archived records, owners)
ASSOCIATION_BATCH_SIZE = 1_000  # v4 associations batch/read inputs per call

RETRY_ATTEMPTS = 8  # per request, for 429, 5xx and dropped connections
REQUEST_TIMEOUT_SECONDS = 60.0

# Rate-limit classes of the HTTP layer (ingest/http.py): search has its own per-second limit.
SEARCH = "search"
STANDARD = "standard"


@dataclass(frozen=True)
class ObjectSpec:
    """One CRM object type and the raw table it lands in (same name)."""

    name: str
    columns: MappingProxyType[str, ColumnKind]  # property columns, in table order
    optional: frozenset[str] = field(default_factory=frozenset)  # custom properties a portal may lack
    with_company_ids: bool = False
    cursor_property: str = DEFAULT_CURSOR_PROPERTY  # searched, sorted on, and loaded as MODSTAMP
    with_contact_ids: bool = False

    @property
    def association_columns(self) -> dict[str, str]:
        """column → associated object type: the comma-separated sorted ids the source fills in."""
        columns = {"company_ids": COMPANIES_TYPE} if self.with_company_ids else {}
        return columns | ({"contact_ids": CONTACTS_TYPE} if self.with_contact_ids else {})

    @property
    def property_of_column(self) -> dict[str, str]:
        """Columns whose property has another name (the cursor, for contacts)."""
        return {} if self.cursor_property == MODSTAMP else {MODSTAMP: self.cursor_property}


COMPANIES_TYPE = "companies"
CONTACTS_TYPE = "contacts"


def _columns(**kinds: ColumnKind) -> MappingProxyType[str, ColumnKind]:
    return MappingProxyType(kinds)


COMPANIES = ObjectSpec(
    "companies",
    _columns(
        name="text",
        lifecyclestage="text",
        hubspot_owner_id="text",
        visit_cadence_days="double",
        address="text",  # registry matching (issue 15): the company's street address and ZIP
        zip="text",
        npi="text",  # a custom property a portal may have
        createdate="timestamp",
        hs_lastmodifieddate="timestamp",
    ),
    optional=frozenset({"visit_cadence_days", "npi"}),
)
CONTACTS = ObjectSpec(
    "contacts",
    _columns(
        firstname="text",
        lastname="text",
        jobtitle="text",
        email="text",
        npi="text",  # optional custom property (registry matching)
        createdate="timestamp",
        hs_lastmodifieddate="timestamp",  # read from `lastmodifieddate`, see DEFAULT_CURSOR_PROPERTY
    ),
    optional=frozenset({"npi"}),
    with_company_ids=True,
    cursor_property="lastmodifieddate",
)
MEETINGS = ObjectSpec(
    "meetings",
    _columns(
        hs_meeting_title="text",
        hs_meeting_start_time="timestamp",
        hs_timestamp="timestamp",
        hs_meeting_outcome="text",
        hubspot_owner_id="text",
        hs_createdate="timestamp",
        hs_lastmodifieddate="timestamp",
    ),
    with_company_ids=True,
    with_contact_ids=True,  # the attendees (int_visit_attendees)
)
TASKS = ObjectSpec(
    "tasks",
    _columns(
        hs_task_subject="text",
        hs_task_body="text",
        hs_task_status="text",
        hs_task_priority="text",
        hs_timestamp="timestamp",
        hubspot_owner_id="text",
        cadence_task_key="text",  # read from HubSpotConfig.task_key_property
        hs_createdate="timestamp",
        hs_lastmodifieddate="timestamp",
    ),
    optional=frozenset({"cadence_task_key"}),
    with_company_ids=True,
)
DEALS = ObjectSpec(
    "deals",
    _columns(dealname="text", dealstage="text", createdate="timestamp", hs_lastmodifieddate="timestamp"),
    with_company_ids=True,
    with_contact_ids=True,  # who referred (int_referrals_by_contact)
)

OBJECTS: MappingProxyType[str, ObjectSpec] = MappingProxyType(
    {spec.name: spec for spec in (COMPANIES, CONTACTS, MEETINGS, TASKS, DEALS)}
)
OWNERS = "owners"
DEFAULT_OBJECTS: tuple[str, ...] = (*OBJECTS, OWNERS)

# owners: API field → column
OWNER_FIELDS = MappingProxyType(
    {
        "id": "id",
        "email": "email",
        "firstName": "first_name",
        "lastName": "last_name",
        "updatedAt": "updated_at",
    }
)
OWNERS_CURSOR = "updated_at"
