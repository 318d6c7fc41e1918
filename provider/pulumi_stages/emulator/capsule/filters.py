"""Capsule's structured search over projects: `POST /kases/filters/results`. No HTTP here.

Sources: developer.capsulecrm.com/v2/operations/Filter ("Run query": `{"filter": {"conditions":
[{"field", "operator", "value"}]}}`, paged like a listing, answered in the list's format),
/v2/models/filter and /v2/models/condition (conditions are combined with "and"), and
/v2/reference/filters (the project fields and each field type's operators). The emulator runs the
project fields it keeps (id, name, status, board, stage, isOpen, owner, team); the vendor's other
fields (tag, dates, custom fields), nested "or" groups and `orderBy` are not emulated [guess: a
condition on them is refused with the documented 422 shape, and results come by id].
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import CapsuleError, CapsuleState, StoredProject

NUMBER, STRING, BOOLEAN = "number", "string", "boolean"
FIELD_TYPES = {
    "id": (NUMBER,),
    "name": (STRING,),
    "status": (STRING,),
    "board": (NUMBER, STRING),
    "stage": (NUMBER, STRING),
    "isOpen": (BOOLEAN,),
    "owner": (NUMBER,),
    "team": (NUMBER,),
}
"""[doc] /v2/reference/filters, "Project filters": these fields and their types."""
OPERATORS = {
    "is": (BOOLEAN, NUMBER, STRING),
    "is not": (BOOLEAN, NUMBER, STRING),
    "starts with": (STRING,),
    "ends with": (STRING,),
    "contains": (STRING,),
    "is greater than": (NUMBER,),
    "is less than": (NUMBER,),
}
"""[doc] the operator reference, for the field types above (the date operators need date
fields, which the emulator does not keep)."""


def _refused(message: str) -> CapsuleError:
    """[doc] the 422 shape; [guess] the resource and field it names."""
    return CapsuleError(
        422,
        {
            "message": "Validation Failed",
            "errors": [{"message": message, "resource": "filter", "field": "conditions"}],
        },
    )


@dataclass(frozen=True)
class Condition:
    """One condition of a filter: a field, an operator and a value."""

    field: str
    operator: str
    value: Any


def parse_filter(body: Any) -> list[Condition]:
    """The conditions of a `{"filter": {"conditions": [...]}}` body; 400 for another shape, 422
    for a field, operator or value the emulator does not run."""
    spec = body.get("filter") if isinstance(body, dict) else None
    if not isinstance(spec, dict):
        raise CapsuleError(400, {"message": 'Body must be {"filter": {"conditions": [...]}}'})
    raw = spec.get("conditions", [])
    if not isinstance(raw, list):
        raise _refused("conditions must be a list")
    conditions = []
    for item in raw:
        if not isinstance(item, dict) or "field" not in item:
            raise _refused("only field conditions are emulated (no nested groups)")
        field, operator, value = item.get("field"), item.get("operator"), item.get("value")
        if field not in FIELD_TYPES:
            raise _refused(f"{field} is not a project field the emulator filters on")
        if operator not in OPERATORS:
            raise _refused(f"{operator} is not an operator")
        kinds = [k for k in FIELD_TYPES[field] if k in OPERATORS[operator]]
        if not kinds:
            raise _refused(f"{operator} does not apply to {field}")
        if not any(_fits(kind, value) for kind in kinds):
            raise _refused(f"{field} {operator} needs a {' or '.join(kinds)} value")
        conditions.append(Condition(field, operator, value))
    return conditions


def _fits(kind: str, value: Any) -> bool:
    if kind == BOOLEAN:
        return isinstance(value, bool)
    if kind == NUMBER:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, str)


def _values(state: CapsuleState, project: StoredProject, field: str) -> tuple[Any, str | None]:
    """A project's value of a filter field: (its id or number, its name when it has one)."""
    if field == "stage":
        stage = state.stages.get(project.stage_id) if project.stage_id is not None else None
        return (None, None) if stage is None else (stage.id, stage.name)
    if field == "board":
        board_id = state.board_of(project)
        board = state.boards.get(board_id) if board_id is not None else None
        return (None, None) if board is None else (board.id, board.name)
    plain = {
        "id": project.id,
        "name": project.name,
        "status": project.status.value,
        "isOpen": project.is_open,
        "owner": project.owner_id,
        "team": project.team_id,
    }
    return plain[field], None


def _test(state: CapsuleState, condition: Condition) -> Callable[[StoredProject], bool]:
    """[guess] text comparisons ignore case; a board or stage given as text is matched by name
    (a number, by id)."""
    field, operator, wanted = condition.field, condition.operator, condition.value

    def test(project: StoredProject) -> bool:
        value, name = _values(state, project, field)
        if isinstance(wanted, str) and field in ("board", "stage"):
            value = name
        if isinstance(wanted, str) and isinstance(value, str):
            text, value_text = wanted.lower(), value.lower()
            checks = {
                "is": value_text == text,
                "is not": value_text != text,
                "starts with": value_text.startswith(text),
                "ends with": value_text.endswith(text),
                "contains": text in value_text,
            }
            return bool(checks[operator])
        if operator == "is":
            return value is not None and bool(value == wanted)
        if operator == "is not":
            return bool(value != wanted)
        if value is None or isinstance(value, str):
            return False
        if operator == "is greater than":
            return bool(value > wanted)
        return bool(value < wanted)  # is less than

    return test


def run_filter(state: CapsuleState, conditions: list[Condition]) -> list[StoredProject]:
    """The projects matching every condition, by id."""
    with state.lock:
        tests = [_test(state, c) for c in conditions]
        return [p for p in state.project_listing() if all(t(p) for t in tests)]
