"""A HubSpot portal as the emulator keeps it: pipelines of each object type it has (`objects.py`),
their stages, the records sitting in those stages, and the API's rules about them, errors as
data.

No HTTP here. Sources: developers.hubspot.com CRM Pipelines guide and reference (v3 and the
date-based 2026-09 version), the official client hubspot-api-python (`hubspot/crm/pipelines`
models: PipelineStage, PipelineStageInput, PipelineStagePatchInput, Pipeline, Error), the CRM
objects search guide, and the API usage guidelines. Every guess is marked `# guess:`.
"""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from .objects import STANDARD, ObjectType, by_path
from .objects import custom as custom_type
from .portal import (
    DEAL_PIPELINE,
    DEAL_STAGES,
    FIRST_GENERATED_ID,
    LEAD_PIPELINE,
    LEAD_STAGES,
    SEEDED_AT,
    SEEDED_PIPELINE_IDS,
    SEEDED_STAGE_IDS,
    TICKET_PIPELINE,
    TICKET_STAGES,
)
from .search import SearchRefused
from .search import search as run_search

TICKET_STATES = ("OPEN", "CLOSED")  # [doc] PipelineStage.metadata for tickets
MAX_LABEL = 255  # guess: the length limit of a label is not documented
BATCH_LIMIT = 100  # [doc] batch endpoints take at most 100 inputs
STAGES_PER_PIPELINE = 100
"""[doc] the Pipelines v1 reference: "Pipelines may have up to 100 stages"; the v3 guide: 100 for
deal, ticket and custom object pipelines, 30 for the others (`objects.py`). guess: the refusal's
status (400 VALIDATION_ERROR) and wording."""


def now_text() -> str:
    """A timestamp as v3 writes them: ISO 8601 with milliseconds and Z."""
    moment = datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class HubSpotError(Exception):
    """An error HubSpot answers with its JSON body `{"status": "error", "message",
    "correlationId", "category"}` ([doc] the Error model: message, correlationId and category
    are required)."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.body: dict[str, Any] = {
            "status": "error",
            "message": message,
            "correlationId": str(uuid.uuid4()),
            "category": category,
            **extra,
        }


def validation_error(message: str) -> HubSpotError:
    """400 VALIDATION_ERROR ([doc] category; guess: the wording)."""
    return HubSpotError(400, "VALIDATION_ERROR", message)


LIST_LIMIT = 100
"""[doc] the basic list endpoint returns at most 100 records a page."""

LAST_STAGE = "A pipeline must have at least one stage"
"""[doc] every pipeline has at least one stage; guess: the refusal's status (400
VALIDATION_ERROR) and this wording."""


def unknown_type(raw: str) -> HubSpotError:
    """[seen] what HubSpot answers for an object type it cannot name: `{"status": "error",
    "message": "Unable to infer object type from: <it>", "correlationId"}` with no category
    (quoted from a real answer for a custom object's name in public notes). guess: status 400,
    as another emulator's recorded samples show, and the same answer for a standard type the
    portal has not activated or its tier lacks (a 403 naming the tier is as likely; a real
    Starter portal's answer for `leads` would settle it)."""
    error = HubSpotError(400, "", f"Unable to infer object type from: {raw}")
    del error.body["category"]
    return error


def not_found(message: str) -> HubSpotError:
    """404 OBJECT_NOT_FOUND ([doc] category; guess: the wording)."""
    return HubSpotError(404, "OBJECT_NOT_FOUND", message)


@dataclass
class HubSpotOptions:
    """Switches for behaviour the documents leave open."""

    duplicate_label_status: int = 409  # guess: 409 CONFLICT, not 400
    """guess: a second stage with a label its pipeline already has is refused; the docs say labels
    are unique within a pipeline but not which status the refusal has (409 CONFLICT or 400)."""
    default_pipelines: bool = True
    """[doc] every portal starts with the default deal pipeline ("default") and a default ticket
    pipeline ("0"), with HubSpot's stage ids (`portal.py`); False starts an empty portal."""
    search_consistent: bool = True
    """[doc] search results can lag a few seconds behind writes; True answers every search from
    the records as they are now, False from an index that sees each write `search_lag_seconds`
    after it (until then a search finds the record as it was before, or not at all)."""
    search_lag_seconds: float = 2.0  # guess: "a few seconds"
    object_types: frozenset[str] = frozenset()
    """The standard object types with pipelines this portal has besides deals and tickets
    (`objects.STANDARD`: leads need Sales Hub Professional or Enterprise; appointments,
    courses, listings and services must be activated [doc]); empty: a portal with neither."""
    custom_objects: tuple[str, ...] = ()
    """The custom object type ids (`2-12345`) this portal defines ([doc] Enterprise only)."""


@dataclass
class StoredStage:
    """A pipeline stage as the emulator keeps it ([doc] PipelineStage)."""

    id: str
    label: str
    display_order: int
    metadata: dict[str, str]
    created_at: str
    updated_at: str


@dataclass
class StoredPipeline:
    """A pipeline of one object type and its stages ([doc] Pipeline)."""

    id: str
    object_type: str
    label: str
    display_order: int
    stages: dict[str, StoredStage]
    created_at: str
    updated_at: str
    archived: bool = False
    """[doc] DELETE archives a pipeline (the clients call it `archive`); PATCH `archived: false`
    restores it ([doc] PipelinePatchInput.archived)."""

    def ordered(self) -> list[StoredStage]:
        """Stages in display order, ties by label (guess: as pipelines tie, per the guide)."""
        return sorted(  # guess: ties ordered by label, as the guide says pipelines are
            self.stages.values(), key=lambda s: (s.display_order, s.label, s.id)
        )


@dataclass
class StoredRecord:
    """A deal or ticket: its id and properties (strings, as the CRM objects API has them)."""

    id: str
    object_type: str
    properties: dict[str, str]
    created_at: str
    updated_at: str


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _probability(value: Any) -> str:
    """[doc] deal stages need `probability` between 0.0 and 1.0; the wire type is a string in
    answers (`dict[str, str]`) and a number in the guide's example, so both are accepted and it is
    kept as the string form of the number (guess: "0.5")."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise validation_error(
            f"probability must be a number between 0.0 and 1.0, got {value!r}"
        ) from None
    if isinstance(value, bool) or not 0.0 <= number <= 1.0:
        raise validation_error(f"probability must be between 0.0 and 1.0, got {value!r}")
    return str(number)  # guess: stored as the number's string form ("0.5")


@dataclass
class HubSpotState:
    """One portal's pipelines, stages and records; thread-safe, no HTTP. Pipelines, stages and
    records take ids from separate sequences and ids are strings ([doc] every id is a string)."""

    options: HubSpotOptions = field(default_factory=HubSpotOptions)
    portal_id: int = 62515
    pipelines: dict[str, StoredPipeline] = field(default_factory=dict)
    records: dict[str, StoredRecord] = field(default_factory=dict)
    next_pipeline_id: int = FIRST_GENERATED_ID
    next_stage_id: int = FIRST_GENERATED_ID
    next_record_id: int = 1
    lock: threading.RLock = field(default_factory=threading.RLock)
    unindexed: dict[str, tuple[float, dict[str, str] | None]] = field(default_factory=dict)
    """Record id -> (when the index sees its last write, its properties before that write);
    only with `search_consistent=False`."""
    workflows: dict[str, str] = field(default_factory=dict)
    """Pipeline or stage id -> the name of a workflow that references it (seeded by an admin
    route: the API has no call to make workflows)."""
    rules: dict[str, dict[str, str]] = field(default_factory=dict)
    """Validation rule name -> {"stage": stage id, "property": the property a record entering
    that stage must have} (seeded by an admin route, as an admin would set one up)."""

    def __post_init__(self) -> None:
        if self.options.default_pipelines and not self.pipelines:
            self._add_defaults()

    def _add_defaults(self) -> None:
        """The default deal and ticket pipelines of a fresh portal (`portal.py`), made at a fixed
        time."""
        at = SEEDED_AT
        deals = {
            sid: StoredStage(sid, label, i, {"probability": p, "isClosed": closed}, at, at)
            for i, (sid, label, p, closed) in enumerate(DEAL_STAGES)
        }
        tickets = {
            sid: StoredStage(sid, label, i, {"ticketState": state}, at, at)
            for i, (sid, label, state) in enumerate(TICKET_STAGES)
        }
        leads = {
            sid: StoredStage(sid, label, i, {}, at, at)  # guess: no metadata (portal.py)
            for i, (sid, label) in enumerate(LEAD_STAGES)
        }
        seeded = [(DEAL_PIPELINE, "deals", deals), (TICKET_PIPELINE, "tickets", tickets)]
        if "leads" in self.options.object_types:  # [seen] a portal with leads has this one
            seeded.append((LEAD_PIPELINE, "leads", leads))
        for (pid, label), kind, stages in seeded:
            self.pipelines[pid] = StoredPipeline(pid, kind, label, 0, stages, at, at)

    def reset(self) -> None:
        """Forget everything (the defaults come back if asked for)."""
        with self.lock:
            self.pipelines.clear()
            self.records.clear()
            self.workflows.clear()
            self.rules.clear()
            self.next_pipeline_id = self.next_stage_id = FIRST_GENERATED_ID
            self.next_record_id = 1
            if self.options.default_pipelines:
                self._add_defaults()

    # Ids.

    def _pipeline_id(self) -> str:
        value, self.next_pipeline_id = self.next_pipeline_id, self.next_pipeline_id + 1
        return str(value)

    def _stage_id(self) -> str:
        value, self.next_stage_id = self.next_stage_id, self.next_stage_id + 1
        return str(value)

    def _record_id(self) -> str:
        value, self.next_record_id = self.next_record_id, self.next_record_id + 1
        return str(value)

    # Object types and pipelines.

    def object_type(self, raw: str) -> str:
        """The object type a path names (by word or type id; `objects.py`), when the portal has
        it; else HubSpot's answer for a type it cannot name."""
        found = by_path(raw, self.options.object_types, self.options.custom_objects)
        if found is None:
            raise unknown_type(raw)
        return found.name

    @staticmethod
    def kind(object_type: str) -> ObjectType:
        """What the emulator knows of an object type it serves (named as `object_type` gives)."""
        return STANDARD.get(object_type) or custom_type(object_type)

    def list_pipelines(self, object_type: str) -> list[StoredPipeline]:
        """[doc] every pipeline of the type, ordered by displayOrder then label; archived ones
        are not listed (guess: no `archived` query on this listing, as the reference shows)."""
        with self.lock:
            found = [
                p
                for p in self.pipelines.values()
                if p.object_type == object_type and not p.archived
            ]
        return sorted(found, key=lambda p: (p.display_order, p.label, p.id))

    def pipeline(
        self, object_type: str, pipeline_id: str, archived_too: bool = False
    ) -> StoredPipeline:
        """The pipeline, or 404 ([doc] "that ID must correspond to an existing, un-archived
        pipeline. Otherwise the request will fail with a 404")."""
        with self.lock:
            found = self.pipelines.get(pipeline_id)
        if (
            found is None
            or found.object_type != object_type
            or (found.archived and not archived_too)
        ):
            raise not_found(f"Unable to find pipeline {pipeline_id} for object type {object_type}")
        return found

    def _check_stage(
        self, object_type: str, body: dict[str, Any], creating: bool
    ) -> dict[str, str] | None:
        """[doc] PipelineStageInput: label and displayOrder required on create, metadata a map;
        deals need `probability` in 0.0..1.0, tickets may give `ticketState` OPEN or CLOSED.
        Returns the metadata to store (None when the body has none)."""
        label = body.get("label")
        if (creating or "label" in body) and (not isinstance(label, str) or not label.strip()):
            raise validation_error("label is required and must not be blank")
        if isinstance(label, str) and len(label) > MAX_LABEL:
            raise validation_error(f"label must be at most {MAX_LABEL} characters")
        if (creating or "displayOrder" in body) and not _whole(body.get("displayOrder")):
            raise validation_error("displayOrder is required and must be an integer")
        metadata = body.get("metadata")
        if metadata is None:
            if creating:  # [doc] PipelineStageInput: label, displayOrder and metadata required
                raise validation_error("metadata is required")
            return None
        if not isinstance(metadata, dict):
            raise validation_error("metadata must be an object")
        stored = {
            str(k): str(v).lower() if isinstance(v, bool) else str(v) for k, v in metadata.items()
        }
        if object_type == "deals":
            if "probability" not in metadata:
                raise validation_error("metadata.probability is required for deal stages")
            stored["probability"] = _probability(metadata["probability"])
            stored.setdefault("isClosed", "false")  # guess: the flag answers carry by default
        if object_type == "tickets":
            state = metadata.get("ticketState", "OPEN")  # guess: OPEN when not given
            if state not in TICKET_STATES:
                raise validation_error(f"ticketState must be OPEN or CLOSED, got {state!r}")
            stored["ticketState"] = state
        return stored

    def _label_taken(
        self, pipeline: StoredPipeline, label: str, except_id: str | None = None
    ) -> None:
        """[doc] a stage label is unique within its pipeline (guess: compared exactly)."""
        if any(s.label == label and s.id != except_id for s in pipeline.stages.values()):
            raise HubSpotError(
                self.options.duplicate_label_status,
                "CONFLICT" if self.options.duplicate_label_status == 409 else "VALIDATION_ERROR",
                f"A stage with label {label!r} already exists in pipeline {pipeline.id}",
            )

    def _new_stage(
        self, object_type: str, pipeline: StoredPipeline, body: dict[str, Any]
    ) -> StoredStage:
        metadata = self._check_stage(object_type, body, creating=True) or {}
        most = min(STAGES_PER_PIPELINE, self.kind(object_type).max_stages)
        if len(pipeline.stages) >= most:
            raise validation_error(
                f"A pipeline may have at most {most} stages; "
                f"pipeline {pipeline.id} has {len(pipeline.stages)}"
            )
        if object_type == "tickets":
            metadata.setdefault("ticketState", "OPEN")
        self._label_taken(pipeline, body["label"])
        now = now_text()
        stage = StoredStage(
            self._stage_id(), body["label"], body["displayOrder"], metadata, now, now
        )
        pipeline.stages[stage.id] = stage
        return stage

    def create_pipeline(self, object_type: str, body: dict[str, Any]) -> StoredPipeline:
        """[doc] POST with label, displayOrder and stages (each a PipelineStageInput); guess: a
        label another pipeline of the type has is refused like a stage's. [doc] A pipeline always
        has at least one stage, so an empty stage list is refused (guess: 400, the wording)."""
        label = body.get("label")
        if not isinstance(label, str) or not label.strip():
            raise validation_error("label is required and must not be blank")
        if not _whole(body.get("displayOrder")):
            raise validation_error("displayOrder is required and must be an integer")
        stages = body.get("stages")
        if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
            raise validation_error("stages is required and must be a list of stages")
        if not stages:  # guess: 400 VALIDATION_ERROR, the wording
            raise validation_error(LAST_STAGE)
        with self.lock:
            if any(p.label == label for p in self.list_pipelines(object_type)):  # guess
                raise HubSpotError(
                    self.options.duplicate_label_status,
                    "CONFLICT",
                    f"A pipeline with label {label!r} already exists",
                )
            for stage in stages:
                self._check_stage(object_type, stage, creating=True)
            labels = [s["label"] for s in stages]
            if len(set(labels)) != len(labels):
                raise validation_error("stage labels must be unique within a pipeline")
            now = now_text()
            pipeline = StoredPipeline(
                self._pipeline_id(), object_type, label, body["displayOrder"], {}, now, now
            )
            for stage in stages:
                self._new_stage(object_type, pipeline, stage)
            self.pipelines[pipeline.id] = pipeline
            return pipeline

    def update_pipeline(
        self, object_type: str, pipeline_id: str, body: dict[str, Any]
    ) -> StoredPipeline:
        """[doc] PipelinePatchInput: label, displayOrder, archived; `archived: false` restores
        an archived pipeline (guess: the one call that reaches an archived pipeline, as the
        input's field implies; `archived: true` archives it as DELETE does)."""
        unknown = sorted(set(body) - {"label", "displayOrder", "archived"})
        if unknown:
            raise validation_error(f"{unknown[0]} cannot be changed here")
        if "archived" in body and not isinstance(body["archived"], bool):
            raise validation_error("archived must be true or false")
        label = body.get("label")
        if "label" in body and (not isinstance(label, str) or not label.strip()):
            raise validation_error("label must not be blank")
        if "displayOrder" in body and not _whole(body["displayOrder"]):
            raise validation_error("displayOrder must be an integer")
        with self.lock:
            pipeline = self.pipeline(object_type, pipeline_id, archived_too=True)
            if pipeline.archived and body.get("archived") is not False:
                raise not_found(
                    f"Unable to find pipeline {pipeline_id} for object type {object_type}"
                )
            if label is not None and any(
                p.label == label and p.id != pipeline_id for p in self.list_pipelines(object_type)
            ):
                raise HubSpotError(
                    self.options.duplicate_label_status,
                    "CONFLICT",
                    f"A pipeline with label {label!r} already exists",
                )
            pipeline.label = body.get("label", pipeline.label)
            pipeline.display_order = body.get("displayOrder", pipeline.display_order)
            pipeline.archived = body.get("archived", pipeline.archived)
            pipeline.updated_at = now_text()
            return pipeline

    def replace_pipeline(
        self, object_type: str, pipeline_id: str, body: dict[str, Any], validate: bool
    ) -> StoredPipeline:
        """[doc] PUT replaces the whole pipeline: label, displayOrder and its stages; a stage
        that names an existing one (`stageId`, guess: or `id`) is kept and rewritten, the others
        are created, and every stage left out is deleted (with validation, refused while records
        use it, and then nothing changes)."""
        label = body.get("label")
        if not isinstance(label, str) or not label.strip() or not _whole(body.get("displayOrder")):
            raise validation_error("label and displayOrder are required")
        stages = body.get("stages")
        if not isinstance(stages, list) or not all(isinstance(s, dict) for s in stages):
            raise validation_error("stages is required and must be a list of stages")
        if not stages:  # [doc] at least one stage; guess: 400 VALIDATION_ERROR, the wording
            raise validation_error(LAST_STAGE)
        with self.lock:
            pipeline = self.pipeline(object_type, pipeline_id)
            for stage in stages:
                self._check_stage(object_type, stage, creating=True)
            labels = [s["label"] for s in stages]
            if len(set(labels)) != len(labels):
                raise validation_error("stage labels must be unique within a pipeline")
            # guess: a stage is named by `stageId` (the input field) or `id`
            kept = {str(s.get("stageId") or s.get("id")) for s in stages} & set(pipeline.stages)
            dropped = [i for i in pipeline.stages if i not in kept]
            if validate:
                for stage_id in dropped:
                    held = self.in_stage(object_type, stage_id)
                    if held:
                        raise validation_error(
                            f"Stage {stage_id} is in use by {len(held)} {object_type}; move "
                            "them to another stage before deleting it"
                        )
            for stage_id in dropped:
                del pipeline.stages[stage_id]
            now = now_text()
            for stage in stages:
                existing = pipeline.stages.get(str(stage.get("stageId") or stage.get("id")))
                if existing is None:
                    self._new_stage(
                        object_type, pipeline, {**stage, "label": f"\0{stage['label']}"}
                    )
                    continue
                existing.label = f"\0{stage['label']}"  # relabelled below, once all are placed
                existing.display_order = stage["displayOrder"]
                existing.metadata = self._check_stage(object_type, stage, creating=True) or {}
                existing.updated_at = now
            for stage in pipeline.stages.values():
                stage.label = stage.label.removeprefix("\0")
            pipeline.label, pipeline.display_order = label, body["displayOrder"]
            pipeline.updated_at = now
            return pipeline

    def delete_pipeline(self, object_type: str, pipeline_id: str, validate: bool) -> None:
        """[doc] Archive a pipeline (v3 and 2026-09 DELETE; the clients' method is `archive`);
        with validation, refused while records sit in it or a workflow references it or one of
        its stages ([doc] changelog 2026-09)."""
        with self.lock:
            pipeline = self.pipeline(object_type, pipeline_id)
            if validate:
                for target in (pipeline_id, *pipeline.stages):
                    self._not_referenced(target, "Pipeline", pipeline_id)
                held = [
                    r
                    for r in self.records.values()
                    if r.object_type == object_type
                    and r.properties.get(self.kind(object_type).pipeline_property) == pipeline_id
                ]
                if held:
                    raise validation_error(
                        f"Pipeline {pipeline_id} is in use by {len(held)} {object_type}; "
                        "move them before deleting it"
                    )
            pipeline.archived = True
            pipeline.updated_at = now_text()

    def _not_referenced(self, target: str, what: str, what_id: str) -> None:
        """[doc] changelog 2026-09: a delete is blocked while a workflow references the object.
        guess: 400 VALIDATION_ERROR, subCategory and wording (a real refusal would settle them)."""
        workflow = self.workflows.get(target)
        if workflow is not None:
            raise HubSpotError(
                400,
                "VALIDATION_ERROR",
                f"{what} {what_id} is referenced by workflow {workflow!r}; remove the reference "
                "before deleting it",
                subCategory="PipelineError.REFERENCED_BY_WORKFLOW",
            )

    # Stages.

    def stage(self, object_type: str, pipeline_id: str, stage_id: str) -> StoredStage:
        """The stage, or 404."""
        pipeline = self.pipeline(object_type, pipeline_id)
        with self.lock:
            found = pipeline.stages.get(stage_id)
        if found is None:
            raise not_found(f"Unable to find stage {stage_id} in pipeline {pipeline_id}")
        return found

    def create_stage(self, object_type: str, pipeline_id: str, body: dict[str, Any]) -> StoredStage:
        """[doc] POST .../stages with a PipelineStageInput."""
        with self.lock:
            return self._new_stage(object_type, self.pipeline(object_type, pipeline_id), body)

    def update_stage(
        self, object_type: str, pipeline_id: str, stage_id: str, body: dict[str, Any]
    ) -> StoredStage:
        """[doc] PATCH with a PipelineStagePatchInput (label, displayOrder, metadata, archived:
        all optional). guess: metadata given is merged into the stage's (a deal stage keeps a
        probability), and `archived` is refused (the emulator deletes instead)."""
        unknown = sorted(set(body) - {"label", "displayOrder", "metadata"})
        if unknown:
            raise validation_error(f"{unknown[0]} cannot be changed here")
        with self.lock:
            pipeline = self.pipeline(object_type, pipeline_id)
            stage = self.stage(object_type, pipeline_id, stage_id)
            metadata = body.get("metadata")
            if metadata is not None and isinstance(metadata, dict) and object_type == "deals":
                body = {**body, "metadata": {**stage.metadata, **metadata}}  # guess: merged
            stored = self._check_stage(object_type, body, creating=False)
            if "label" in body:
                self._label_taken(pipeline, body["label"], except_id=stage_id)
                stage.label = body["label"]
            stage.display_order = body.get("displayOrder", stage.display_order)
            if stored is not None:
                stage.metadata = {**stage.metadata, **stored}
            stage.updated_at = now_text()
            return stage

    def in_stage(self, object_type: str, stage_id: str) -> list[StoredRecord]:
        """The records of the type whose stage property names the stage."""
        key = self.kind(object_type).stage_property
        with self.lock:
            return [
                r
                for r in self.records.values()
                if r.object_type == object_type and r.properties.get(key) == stage_id
            ]

    def delete_stage(
        self, object_type: str, pipeline_id: str, stage_id: str, validate: bool
    ) -> None:
        """[doc] DELETE .../stages/{id}: with validation (the 2026-09 default, or asked for), a
        stage records still use is refused; without it the stage goes and they keep its id.
        guess: the status (400 VALIDATION_ERROR) and wording of the refusal. [doc] A pipeline
        keeps at least one stage: deleting its last one is refused (guess: 400, the wording);
        deleting the pipeline removes it."""
        with self.lock:
            pipeline = self.pipeline(object_type, pipeline_id)
            self.stage(object_type, pipeline_id, stage_id)
            if len(pipeline.stages) == 1:  # guess: 400 VALIDATION_ERROR, the wording
                raise validation_error(LAST_STAGE)
            held = self.in_stage(object_type, stage_id)
            if validate:
                self._not_referenced(stage_id, "Stage", stage_id)
            if validate and held:  # guess: 400 VALIDATION_ERROR, and the wording
                raise validation_error(
                    f"Stage {stage_id} is in use by {len(held)} {object_type}; move them to "
                    "another stage before deleting it"
                )
            del pipeline.stages[stage_id]

    # Records (deals, tickets).

    def _home(self, object_type: str, stage_id: str) -> StoredPipeline:
        with self.lock:
            for pipeline in self.list_pipelines(object_type):
                if stage_id in pipeline.stages:
                    return pipeline
        raise validation_error(f"{stage_id} is not a valid stage for {object_type}")

    def create_record(
        self, object_type: str, properties: dict[str, Any], associated: bool = True
    ) -> StoredRecord:
        """[doc] POST /crm/v3/objects/{type} with properties; a stage puts it in that stage's
        pipeline (guess: a stage of no pipeline of the type is refused). [doc] leads guide: a
        new lead "must be associated with an existing contact" (guess: refused with 400, the
        wording)."""
        if object_type == "leads" and not associated:
            raise validation_error("A lead must be associated with an existing contact")
        props = {str(k): str(v) for k, v in properties.items()}
        kind = self.kind(object_type)
        key = kind.stage_property
        with self.lock:
            if key in props:
                props[kind.pipeline_property] = self._home(object_type, props[key]).id
            self._obeys_rules(object_type, "new", props)
            now = now_text()
            record = StoredRecord(self._record_id(), object_type, props, now, now)
            self._unindexed(record.id, None)
            self.records[record.id] = record
            return record

    def _unindexed(self, record_id: str, before: dict[str, str] | None) -> None:
        """A write the search index sees only after the lag (with `search_consistent=False`);
        the index keeps what it saw before the first write it has not seen yet."""
        if self.options.search_consistent:
            return
        visible = time.monotonic() + self.options.search_lag_seconds
        pending = self.unindexed.get(record_id)
        if pending is not None and pending[0] > time.monotonic():
            before = pending[1]
        self.unindexed[record_id] = (visible, before)

    def _indexed(self, record: StoredRecord) -> StoredRecord | None:
        """The record as the search index has it now: None when it has not seen it yet."""
        pending = self.unindexed.get(record.id)
        if pending is None or pending[0] <= time.monotonic():
            return record
        if pending[1] is None:
            return None
        return StoredRecord(
            record.id, record.object_type, dict(pending[1]), record.created_at, record.updated_at
        )

    def record(self, object_type: str, record_id: str) -> StoredRecord:
        """The record, or 404."""
        with self.lock:
            found = self.records.get(record_id)
        if found is None or found.object_type != object_type:
            raise not_found(f"Object not found.  objectId are usually numeric. {record_id}")
        return found

    def update_record(
        self, object_type: str, record_id: str, properties: dict[str, Any]
    ) -> StoredRecord:
        """[doc] PATCH /crm/v3/objects/{type}/{id} `{"properties": {...}}`; a new stage must be
        in the record's pipeline unless the pipeline changes with it (guess: refused with 400)."""
        props = {str(k): str(v) for k, v in properties.items()}
        kind = self.kind(object_type)
        stage_key, pipeline_key = kind.stage_property, kind.pipeline_property
        with self.lock:
            record = self.record(object_type, record_id)
            if stage_key in props:
                home = self._home(object_type, props[stage_key])
                wanted = props.get(pipeline_key, record.properties.get(pipeline_key, home.id))
                if wanted != home.id:  # guess: refused with 400
                    raise validation_error(
                        f"{props[stage_key]} is not a valid {stage_key} for pipeline {wanted}"
                    )
                props[pipeline_key] = home.id
            self._obeys_rules(object_type, record.id, {**record.properties, **props})
            self._unindexed(record.id, dict(record.properties))
            record.properties.update(props)
            record.updated_at = now_text()
            return record

    def _obeys_rules(self, object_type: str, record_id: str, after: dict[str, str]) -> None:
        """[doc] changelog August 2026: from 2026-09 admin-configured validation rules apply to
        every CRM write. guess: a rule here is "a record in stage S needs property P"; the
        refusal's status (400 VALIDATION_ERROR), subCategory and wording."""
        stage = after.get(self.kind(object_type).stage_property)
        for name, rule in sorted(self.rules.items()):
            if rule["stage"] == stage and not after.get(rule["property"]):
                raise HubSpotError(
                    400,
                    "VALIDATION_ERROR",
                    f"Validation rule {name!r} refused {object_type} {record_id}: property "
                    f"{rule['property']!r} is required in stage {stage}",
                    subCategory="VALIDATION_RULE_FAILED",
                    context={"ids": [record_id], "rule": [name]},
                )

    def search(
        self, object_type: str, body: dict[str, Any]
    ) -> tuple[int, list[StoredRecord], str | None]:
        """[doc] CRM search over what the index sees now (`search.py`): total, the page, the
        next cursor."""
        with self.lock:
            indexed = [self._indexed(r) for r in self.records.values()]
        found = [r for r in indexed if r is not None and r.object_type == object_type]
        try:
            total, page, following = run_search(object_type, found, body)
        except SearchRefused as refused:
            raise validation_error(str(refused)) from None
        return total, [r for r in page if isinstance(r, StoredRecord)], following

    def _batch_inputs(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """[doc] `{"inputs": [...]}`, at most 100 (guess: 400 VALIDATION_ERROR and wording past
        it, and for a repeated id, as public threads quote "Duplicate IDs found in batch input")."""
        inputs = body.get("inputs")
        if not isinstance(inputs, list) or not all(isinstance(i, dict) for i in inputs):
            raise validation_error("inputs is required and must be a list")
        if len(inputs) > BATCH_LIMIT:
            raise validation_error(f"Batch input limit is {BATCH_LIMIT}, got {len(inputs)}")
        ids = [str(i.get("id")) for i in inputs]
        if len(set(ids)) != len(ids):
            raise validation_error(f"Duplicate IDs found in batch input: {ids}")
        return inputs

    def batch_read(
        self, object_type: str, body: dict[str, Any]
    ) -> tuple[list[StoredRecord], list[dict[str, Any]]]:
        """[doc] batch read: the records found and one OBJECT_NOT_FOUND error naming the ids that
        are not ([seen] the message public threads quote)."""
        found, missing = [], []
        for spec in self._batch_inputs(body):
            try:
                found.append(self.record(object_type, str(spec.get("id"))))
            except HubSpotError:
                missing.append(str(spec.get("id")))
        errors = []
        if missing:
            errors.append(
                HubSpotError(
                    404,
                    "OBJECT_NOT_FOUND",
                    f"Could not get some {object_type} objects, they may be deleted or not "
                    "exist. Check that ids are valid.",
                    context={"ids": missing},
                ).body
            )
        return found, errors

    def batch_update(
        self, object_type: str, body: dict[str, Any]
    ) -> tuple[list[StoredRecord], list[dict[str, Any]]]:
        """[doc] batch update: each input applied as one update; [doc] changelog "simplifying
        batch update response codes": 200 when all succeed, 207 when one or more fail. guess:
        the inputs that can be applied are, and each failing one is an error naming its id."""
        done, errors = [], []
        for spec in self._batch_inputs(body):
            properties = spec.get("properties")
            if not isinstance(properties, dict):
                raise validation_error("each input needs properties")
            try:
                done.append(self.update_record(object_type, str(spec.get("id")), properties))
            except HubSpotError as refused:
                error = dict(refused.body)
                error.setdefault("context", {"ids": [str(spec.get("id"))]})
                errors.append(error)
        return done, errors

    def list_records(
        self, object_type: str, limit: int, after: str | None
    ) -> tuple[list[StoredRecord], str | None]:
        """[doc] GET /crm/objects/{type}: every record, `limit` up to 100, paged by `after`;
        read from the records themselves, never from the search index. guess: id order."""
        if not 0 < limit <= LIST_LIMIT:
            raise validation_error(f"limit must be between 1 and {LIST_LIMIT}")
        start = int(after or "0") if (after or "0").isdigit() else -1
        if start < 0:
            raise validation_error("after must be a paging cursor from a previous answer")
        with self.lock:
            found = sorted(
                (r for r in self.records.values() if r.object_type == object_type),
                key=lambda r: int(r.id),
            )
        page = found[start : start + limit]
        following = str(start + limit) if start + limit < len(found) else None
        return page, following

    def put_records(self, stage_id: str, count: int) -> list[str]:
        """Add `count` records to a stage (of the type its pipeline holds); their ids."""
        with self.lock:
            for pipeline in self.pipelines.values():
                if stage_id in pipeline.stages:
                    kind = self.kind(pipeline.object_type)
                    named = "dealname" if kind.name in ("deals", "tickets") else kind.name_property
                    return [
                        self.create_record(
                            pipeline.object_type,
                            {
                                kind.stage_property: stage_id,
                                **({named: f"Record {i}"} if named else {}),
                            },
                        ).id
                        for i in range(count)
                    ]
        raise not_found(f"no stage {stage_id}")

    def records_in(self, stage_id: str) -> int:
        """How many records (of any type) sit in the stage."""
        with self.lock:
            return sum(
                1
                for r in self.records.values()
                if stage_id
                in (r.properties.get("dealstage"), r.properties.get("hs_pipeline_stage"))
            )

    # For tests and persistence.

    def live_stages(self) -> list[tuple[str, str]]:
        """(label, id) of every stage of a live pipeline, by id, less a fresh portal's own
        (`portal.py`): what clients made, so a test sees only its own stages."""
        with self.lock:
            stages = [
                s
                for p in self.pipelines.values()
                if not p.archived
                for s in p.stages.values()
                if s.id not in SEEDED_STAGE_IDS
            ]
        return [
            (s.label, s.id)
            for s in sorted(stages, key=lambda s: int(s.id) if s.id.isdigit() else 0)
        ]

    def made_pipelines(self) -> dict[str, StoredPipeline]:
        """Live pipelines clients made: neither a fresh portal's own nor archived."""
        with self.lock:
            return {
                i: p
                for i, p in self.pipelines.items()
                if not p.archived and i not in SEEDED_PIPELINE_IDS
            }

    def defaults_intact(self) -> bool:
        """Whether a fresh portal's own pipelines are all still there, live, as seeded."""
        fresh = HubSpotState(HubSpotOptions(object_types=self.options.object_types))
        with self.lock:
            return all(
                (mine := self.pipelines.get(i)) is not None
                and not mine.archived
                and [(s.id, s.label, s.metadata) for s in mine.ordered()]
                == [(s.id, s.label, s.metadata) for s in seeded.ordered()]
                for i, seeded in fresh.pipelines.items()
            )

    def export_state(self) -> dict[str, Any]:
        """Everything as plain JSON."""
        with self.lock:
            return {
                "portal_id": self.portal_id,
                "pipelines": [
                    {
                        **{k: v for k, v in vars(p).items() if k != "stages"},
                        "stages": [vars(s) for s in p.stages.values()],
                    }
                    for p in self.pipelines.values()
                ],
                "records": [vars(r) for r in self.records.values()],
                "next": [self.next_pipeline_id, self.next_stage_id, self.next_record_id],
                "workflows": dict(self.workflows),
                "rules": {k: dict(v) for k, v in self.rules.items()},
            }

    def import_state(self, data: dict[str, Any]) -> None:
        """Replace everything with an export."""
        with self.lock:
            self.portal_id = int(data.get("portal_id", self.portal_id))
            self.pipelines = {}
            for raw in data.get("pipelines", []):
                stages = {s["id"]: StoredStage(**s) for s in raw["stages"]}
                fields = {k: v for k, v in raw.items() if k != "stages"}
                self.pipelines[raw["id"]] = StoredPipeline(**fields, stages=stages)
            self.records = {r["id"]: StoredRecord(**r) for r in data.get("records", [])}
            self.next_pipeline_id, self.next_stage_id, self.next_record_id = data.get(
                "next", [FIRST_GENERATED_ID, FIRST_GENERATED_ID, 1]
            )
            self.workflows = dict(data.get("workflows", {}))
            self.rules = {k: dict(v) for k, v in data.get("rules", {}).items()}
