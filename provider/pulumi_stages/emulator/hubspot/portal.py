"""What a fresh HubSpot portal holds before anyone writes to it: the default deal pipeline and
the default ticket pipeline, with HubSpot's own ids, and where generated ids start.

Sources: [doc] the CRM Pipelines guide ("every account starts with a pipeline whose id is
`default`"; each pipeline has at least one stage) and the deals guide (the default stages'
internal ids and probabilities); [doc] the tickets guide and the official clients' examples
create tickets with `hs_pipeline` "0" and `hs_pipeline_stage` "1".
"""

from __future__ import annotations

SEEDED_AT = "2020-01-01T00:00:00.000Z"
"""guess: when the defaults were made; a real portal shows its own creation time, which only a
real portal's answer would settle. Fixed, so seeded objects read the same on every run."""

DEAL_PIPELINE = ("default", "Sales Pipeline")
"""[doc] the default deal pipeline's id; [seen] its label in every new portal's UI."""

DEAL_STAGES = (
    ("appointmentscheduled", "Appointment Scheduled", "0.2", "false"),
    ("qualifiedtobuy", "Qualified To Buy", "0.4", "false"),
    ("presentationscheduled", "Presentation Scheduled", "0.6", "false"),
    ("decisionmakerboughtin", "Decision Maker Bought-In", "0.8", "false"),
    ("contractsent", "Contract Sent", "0.9", "false"),
    ("closedwon", "Closed Won", "1.0", "true"),
    ("closedlost", "Closed Lost", "0.0", "true"),
)
"""[doc] deals guide: the default stages (internal id, label, probability) in order; isClosed
true for the two closed stages ([doc] PipelineStage.metadata `isClosed`)."""

TICKET_PIPELINE = ("0", "Support Pipeline")
"""[doc] tickets guide examples: `hs_pipeline` "0"; [seen] the label in a new portal's UI."""

TICKET_STAGES = (
    ("1", "New", "OPEN"),
    ("2", "Waiting on contact", "OPEN"),
    ("3", "Waiting on us", "OPEN"),
    ("4", "Closed", "CLOSED"),
)
"""[doc] tickets guide examples: `hs_pipeline_stage` "1" is New; [seen] stages 2-4 and their
labels in a new portal (public clients' fixtures). guess: ticketState of each as its label says."""

LEAD_PIPELINE = ("lead-pipeline-id", "Lead pipeline")
"""[seen] the lead pipeline every portal with leads holds: its id in public clients' code (one
names its label "Lead pipeline"; others show it renamed). guess: that this is its fresh label."""

LEAD_STAGES = (
    ("new-stage-id", "New"),
    ("attempting-stage-id", "Attempting"),
    ("connected-stage-id", "Connected"),
    ("qualified-stage-id", "Qualified"),
    ("unqualified-stage-id", "Disqualified"),
)
"""[seen] the lead pipeline's stage ids and labels in order, as public clients' code lists them
for real portals. guess: their metadata is empty (no source shows a lead stage's metadata)."""

FIRST_GENERATED_ID = 1_000_000
"""[seen] ids HubSpot generates for new pipelines and stages are large numbers (seven digits and
more); starting here, no generated id can equal a seeded one ("0".."4") or another sequence's
first ids. guess: the exact range, which only a real portal's answers would show."""

SEEDED_STAGE_IDS = (
    frozenset(s[0] for s in DEAL_STAGES)
    | frozenset(s[0] for s in TICKET_STAGES)
    | frozenset(s[0] for s in LEAD_STAGES)
)
"""Every stage id a fresh portal holds."""

SEEDED_PIPELINE_IDS = frozenset({DEAL_PIPELINE[0], TICKET_PIPELINE[0], LEAD_PIPELINE[0]})
"""Every pipeline id a fresh portal holds (the lead one only where leads are set up)."""
