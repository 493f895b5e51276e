"""Every doctor rule, and the parsers under them, is linear (or n log n) in its input:
the adversarial shapes of ``harness.shapes`` (many equal headers, events without
``at``, one huge event, thousands of relations, deep plans...) are checked in a number
of steps that grows like the input. Steps are Python trace events (calls and lines
run), a deterministic count, not a time: timings are ``bench/shapes.py``'s job.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.shapes import GROWTH_LIMIT, SHAPES, doctor_steps, linear_steps, write_shape

EVENTS = 20_000
STEPS_PER_EVENT = 400  # about 150 to 250 are taken; a pairwise comparison takes thousands


def steps(tmp_path: Path, shape: str, size: int, limit: int | None = None) -> int:
    workspace = write_shape(tmp_path / f"{shape}-{size}".replace(" ", "-"), SHAPES[shape](size))
    return doctor_steps(workspace, limit)


@pytest.fixture(scope="module", autouse=True)
def warm(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One run first, so that no count includes importing the rules."""
    steps(tmp_path_factory.mktemp("warm"), "equal headers", 3)


@pytest.mark.parametrize("shape", ["equal headers", "events without at"])
def test_a_20000_event_thread_is_checked_in_a_bounded_number_of_steps(
    tmp_path: Path, shape: str
) -> None:
    large = steps(tmp_path, shape, EVENTS, limit=STEPS_PER_EVENT * EVENTS)  # or TooManySteps
    small = steps(tmp_path, shape, EVENTS // 10)
    # Ten times the events, about ten times the steps (a quadratic rule: a hundred times).
    assert large <= 11 * small, (small, large)


@pytest.mark.parametrize("shape", sorted(set(SHAPES) - {"equal headers", "events without at"}))
def test_every_adversarial_shape_is_checked_in_linear_steps(tmp_path: Path, shape: str) -> None:
    small, large = linear_steps(tmp_path, shape)  # past GROWTH_LIMIT times: TooManySteps
    assert small < large <= GROWTH_LIMIT * small
