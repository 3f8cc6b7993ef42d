"""Text field lengths, and the STRING_TOO_LONG answer to a value over one.

Since API version 15.0 a value too long for a text field fails the record with STRING_TOO_LONG
instead of being truncated (StatusCode list, "STRING_TOO_LONG: The specified string exceeds the
maximum allowed length", https://developer.salesforce.com/docs/atlas.en-us.api.meta/api/sforce_api_calls_concepts_core_data_objects.htm;
the message reads "<Field>: data value too large: <value> (max length=<n>)"). Lengths are the Object
Reference's: text fields 255, Task and Event Description a long text area of 32,000 characters
(https://developer.salesforce.com/docs/atlas.en-us.object_reference.meta/object_reference/sforce_api_objects_task.htm).
An org file may declare a field's `length` in `_metadata` (custom fields). Lengths count characters.
"""

from __future__ import annotations

from ingest.sandbox import soql
from ingest.sandbox.salesforce.errors import RecordError

DEFAULT_TEXT_LENGTH = 255
LONG_TEXT_AREAS = {("Task", "Description"): 32_000, ("Event", "Description"): 32_000}
_SHOWN = 40  # how much of the value the message repeats


def standard_length(sobject: str, name: str, field_type: str) -> int:
    """Describe's `length` of a field of a standard org (0 for types that have none)."""
    if field_type in soql.ID_TYPES:
        return 18
    if field_type not in soql.TEXT_TYPES:
        return 0
    return LONG_TEXT_AREAS.get((sobject, name), DEFAULT_TEXT_LENGTH)


def check_length(name: str, value: object, length: int) -> None:
    """STRING_TOO_LONG for a text value longer than its field (a length of 0 means unbounded)."""
    if length and isinstance(value, str) and len(value) > length:
        shown = value[:_SHOWN] + ("..." if len(value) > _SHOWN else "")
        message = f"{name}: data value too large: {shown} (max length={length})"
        raise RecordError("STRING_TOO_LONG", message, [name])
