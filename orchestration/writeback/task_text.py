"""A task's subject and body made safe for the CRM: control characters out, trimmed to the field's length.

The text is built from CRM data a person typed (an account name can be a megabyte, or carry NUL, ESC
or line breaks), so it is cleaned before every create. Limits, per field:

- Salesforce Task.Subject: 255 characters; Task.Description: "Text Area (Long)" of 32,000 characters
  (Object Reference, Task: https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/
  object_reference/sforce_api_objects_task.htm). Over it, the API answers STRING_TOO_LONG ("data value
  too large", https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm
  StatusCode list). Salesforce help 000382141 says long text areas are checked "at the byte level when
  inserting data via API", so the Description is trimmed to 32,000 UTF-8 bytes (never more characters),
  and the Subject to 255 UTF-16 code units (Salesforce strings are Java strings: an emoji counts 2).
- HubSpot hs_task_subject / hs_task_body: string properties; "when the value is added through the CRM,
  the character limit is 65,536 characters" (https://knowledge.hubspot.com/properties/property-field-types-in-hubspot).
  The API's answer beyond it is not documented; 65,536 UTF-16 units is the conservative reading.

The body ends with the key line, which marks the task as the pipeline's own: the free text is trimmed,
never the key line, and a marker inside the free text (an account named "cadence-task-key: x") is
defused so the only key the text carries is the real one.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from orchestration.writeback.actions import TASK_KEY_MARKER, TaskAction

ELLIPSIS = "…"

# C0 controls, DEL and C1 controls, plus Unicode line/paragraph separators: none belongs in a subject.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# In a body a line feed (and a tab) is text; every other control goes. CR / CRLF become LF.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_BREAKS = re.compile(r"[\t\r\n\u2028\u2029]+")
_MARKER = re.compile(re.escape(TASK_KEY_MARKER), re.IGNORECASE)


def utf16_units(text: str) -> int:
    """Length as Java / Salesforce / JavaScript count it: a character outside the BMP counts 2."""
    return len(text) + sum(1 for char in text if ord(char) > 0xFFFF)


def utf8_bytes(text: str) -> int:
    return len(text.encode("utf-8"))


Measure = Callable[[str], int]


@dataclass(frozen=True)
class FieldLimit:
    limit: int
    measure: Measure = utf16_units


SALESFORCE_SUBJECT = FieldLimit(255)
SALESFORCE_DESCRIPTION = FieldLimit(32_000, utf8_bytes)
HUBSPOT_SUBJECT = FieldLimit(65_536)
HUBSPOT_BODY = FieldLimit(65_536)
# The account name inside a body: a megabyte of name must not push the explanation out.
NAME_IN_BODY = FieldLimit(255)
# The referrers line (five names and titles a person typed): the same reason, more room.
REFERRERS_IN_BODY = FieldLimit(1000)


def fit(text: str, field: FieldLimit) -> str:
    """`text` cut on a character boundary so that it fits, ending with an ellipsis when cut."""
    if field.measure(text) <= field.limit:
        return text
    room = field.limit - field.measure(ELLIPSIS)
    kept, used = [], 0
    for char in text:  # code points: never half a surrogate pair or half a UTF-8 sequence
        size = field.measure(char)
        if used + size > room:
            break
        kept.append(char)
        used += size
    return "".join(kept).rstrip() + ELLIPSIS


def one_line(text: str | None) -> str:
    """Control characters out, each run of line breaks and tabs one space. The spaces a person typed
    stay: the task names the account as the CRM spells it."""
    spaced = _BREAKS.sub(" ", text or "")
    return _CONTROL.sub("", spaced)


def clean_subject(subject: str | None, field: FieldLimit) -> str:
    return fit(one_line(subject), field)


def clean_body(free_text: str, key_line: str, field: FieldLimit) -> str:
    """The free text, cleaned and trimmed to leave room for the key line, then the key line whole."""
    text = _BODY_CONTROL.sub("", free_text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _MARKER.sub("cadence task key -", text).rstrip("\n")
    tail = "\n" + key_line
    room = FieldLimit(field.limit - field.measure(tail), field.measure)
    return fit(text, room) + tail


def task_subject(action: TaskAction, field: FieldLimit) -> str:
    return clean_subject(action.subject, field)


def task_body(action: TaskAction, field: FieldLimit) -> str:
    """The action's description for one CRM field: the account name on one line, the key line whole."""
    name = one_line(action.account_name)
    name = fit(name if name.strip() else action.crm_account_id, NAME_IN_BODY)
    referrers = fit(one_line(action.referrers_summary), REFERRERS_IN_BODY)
    return clean_body(action.why(name, referrers), action.key_line(), field)
