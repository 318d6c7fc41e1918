"""A `hubspot:` section is checked before any API call: each problem one line naming the file, the
line and the field (a deal stage's probability, a ticket state, names used twice)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pulumi_stages.stageset import StageSetError, load_file

GOOD = """\
hubspot:
  deals:
    - name: Sales
      stages:
        - name: Lead
          probability: 0.1
        - name: Won
          probability: 1.0
  tickets:
    - name: Support
      stages:
        - name: New
        - name: Done
          ticket_state: CLOSED
"""


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "stages.yaml"
    path.write_text(text)
    with pytest.raises(StageSetError) as caught:
        load_file(path)
    return caught.value.problems


def test_a_good_hubspot_section_loads_in_declared_order(tmp_path: Path) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(GOOD)
    spec = load_file(path).sections()["hubspot"]
    assert spec.stage_count() == 4
    assert [s.probability for s in spec.deals[0].stages] == [0.1, 1.0]  # type: ignore[attr-defined]
    assert spec.tickets[0].stages[1].ticket_state == "CLOSED"  # type: ignore[attr-defined]


def test_a_deal_stage_needs_a_probability_from_0_to_1(tmp_path: Path) -> None:
    text = GOOD.replace("          probability: 0.1\n", "").replace("1.0", "1.5")
    assert problems(tmp_path, text) == [
        "stages.yaml:5: hubspot.deals[Sales].stages[0].probability: required, but missing",
        "stages.yaml:7: hubspot.deals[Sales].stages[1].probability: must be from 0.0 to 1.0, "
        "got 1.5",
    ]


def test_a_ticket_state_is_open_or_closed(tmp_path: Path) -> None:
    assert problems(tmp_path, GOOD.replace("CLOSED", "PAUSED")) == [
        "stages.yaml:14: hubspot.tickets[Support].stages[1].ticket_state: must be OPEN or "
        "CLOSED, got 'PAUSED'",
    ]


def test_names_used_twice_and_retirements_to_nowhere_are_refused(tmp_path: Path) -> None:
    text = (
        GOOD.replace("- name: Won", "- name: Lead")
        + "    - name: Support\n      retired:\n        - name: Old\n          moved_to: Gone\n"
    )
    assert problems(tmp_path, text) == [
        "stages.yaml:7: hubspot.deals[Sales].stages[1].name: duplicate stage name 'Lead' "
        "(first at stages[0])",
        "stages.yaml:15: hubspot.tickets[1].name: duplicate pipeline name 'Support' "
        "(first at tickets[0])",
        "stages.yaml:15: hubspot.tickets[1].stages: needs at least one stage: HubSpot keeps one "
        "in every pipeline (adopt it to list none)",
        "stages.yaml:18: hubspot.tickets[1].retired[Old].moved_to: no stage named 'Gone' here",
    ]


EMPTY = """\
hubspot:
  deals:
    - name: Sales
      stages: []
  leads:
    - name: Inbound
"""


def test_a_pipeline_the_set_makes_needs_a_stage(tmp_path: Path) -> None:
    """HubSpot creates no pipeline without stages and keeps a pipeline's last stage: a preview
    says so, rather than an `up` failing at its first write (or its last delete)."""
    found = problems(tmp_path, EMPTY)
    assert [line.split(": needs")[0] for line in found] == [
        "stages.yaml:4: hubspot.deals[Sales].stages",
        "stages.yaml:6: hubspot.leads[Inbound].stages",
    ]
    assert "needs at least one stage" in found[0]


@pytest.mark.parametrize(
    "adopted",
    [
        EMPTY.replace("hubspot:\n", "hubspot:\n  adopt: true\n"),
        EMPTY.replace("      stages: []\n", "      adopt: true\n").replace(
            "    - name: Inbound\n", "    - name: Inbound\n      id: '17'\n"
        ),
        EMPTY.replace(
            "      stages: []\n", "      retired:\n        - name: Old\n          keep: true\n"
        ).replace("  leads:\n    - name: Inbound\n", ""),
    ],
    ids=["section", "pipeline", "kept"],
)
def test_an_adopted_pipeline_or_one_keeping_its_stages_may_list_none(
    tmp_path: Path, adopted: str
) -> None:
    path = tmp_path / "stages.yaml"
    path.write_text(adopted)
    assert load_file(path).sections()["hubspot"].stage_count() == 0
