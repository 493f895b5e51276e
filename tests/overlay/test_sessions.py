"""Role sessions (SPEC 5.2, 7.1, 7.2): records, links, and concurrent real writers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from yoi_ticket.errors import RefusedError, UsageError
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.records import RecordError
from yoi_ticket.overlay.sessions import (
    default_role,
    get_session,
    link_tickets,
    list_sessions,
    record_session,
)

FIRST = "00001KSKBPDVG"
SECOND = "00001KSKBPHRG"
WRITERS = 8
PER_WRITER = 15

# One writer process: records its own sessions and links tickets to one shared session.
WRITER = """
import sys
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.sessions import link_tickets, record_session
workspace, writer, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
overlay = Overlay.for_workspace(workspace)
for index in range(count):
    record_session(overlay, f"pod-{writer}-{index}", "coder", tickets=[f"T-{writer}-{index}"])
    link_tickets(overlay, "shared", [f"S-{writer}-{index}"])
"""


def test_intake_session_without_a_ticket_is_later_linked_to_two_tickets(
    overlay: Overlay,
) -> None:
    created = record_session(overlay, "intake-1", "intake", session_id="sess-42")
    assert created.origin == "pre_ticket_intake"
    assert created.related_tickets == []

    link_tickets(overlay, "intake-1", [FIRST])
    linked = link_tickets(overlay, "intake-1", [SECOND, FIRST, SECOND])

    assert [ref.id for ref in linked.related_tickets] == [FIRST, SECOND]
    stored = get_session(overlay, "intake-1")
    assert stored is not None
    assert [ref.id for ref in stored.related_tickets] == [FIRST, SECOND]
    assert (stored.origin, stored.session_id, stored.created_at) == (
        "pre_ticket_intake",
        "sess-42",
        created.created_at,
    )
    data = json.loads(overlay.sessions_path.read_text())
    assert data["version"] == 1
    assert data["workspace_root"] == overlay.identity.canonical_path
    assert list(data["sessions"]) == ["intake-1"]


def test_origins_default_and_can_be_given(overlay: Overlay) -> None:
    assert record_session(overlay, "coder-1", "coder").origin == "role_launch"
    assert record_session(overlay, "intake-2", "intake", tickets=[FIRST]).origin == "role_launch"
    given = record_session(overlay, "coder-1", "reviewer", origin="ticket_claim")
    assert (given.role, given.origin) == ("reviewer", "ticket_claim")
    with pytest.raises(UsageError, match="unknown origin"):
        record_session(overlay, "coder-1", "coder", origin="whim")


def test_slugs_come_from_frontmatter_or_the_dated_slug_id(
    overlay: Overlay, workspace: Path
) -> None:
    item = workspace / ".yoi" / "tickets" / FIRST / "item.md"
    item.write_text(item.read_text().replace("---\n", "---\nslug: allow-all-policy\n", 1))
    session = record_session(
        overlay, "intake-1", "intake", tickets=[FIRST, "20260101-120000-new-idea", SECOND]
    )
    slugs = [(ref.id, ref.slug) for ref in session.related_tickets]
    assert slugs == [
        (FIRST, "allow-all-policy"),
        ("20260101-120000-new-idea", "new-idea"),
        (SECOND, None),
    ]


def test_linking_needs_a_recorded_session(overlay: Overlay) -> None:
    with pytest.raises(UsageError, match="has no role session"):
        link_tickets(overlay, "ghost", [FIRST])
    with pytest.raises(UsageError, match="--role is needed"):
        default_role(overlay, "ghost")
    record_session(overlay, "ghost", "reviewer")
    assert default_role(overlay, "ghost") == "reviewer"


def test_role_companion_and_unknown_roles_are_refused(overlay: Overlay) -> None:
    with pytest.raises(RefusedError):
        record_session(overlay, "helper", "companion")
    with pytest.raises(UsageError, match="unknown role"):
        record_session(overlay, "helper", "astronaut")
    assert list_sessions(overlay).sessions == []


def test_a_corrupt_sessions_file_is_reported_and_never_overwritten(overlay: Overlay) -> None:
    record_session(overlay, "coder-1", "coder")
    overlay.sessions_path.write_text('{"version": 1, "sessions": ')
    listing = list_sessions(overlay)
    assert listing.sessions == []
    assert listing.error is not None and "not a valid RoleSessionsFile" in listing.error
    with pytest.raises(RecordError):
        record_session(overlay, "coder-2", "coder")
    assert overlay.sessions_path.read_text() == '{"version": 1, "sessions": '


def test_concurrent_writers_lose_no_update(overlay: Overlay) -> None:
    record_session(overlay, "shared", "intake")
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", WRITER, str(overlay.workspace), str(w), str(PER_WRITER)],
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in range(WRITERS)
    ]
    for writer in writers:
        _out, err = writer.communicate(timeout=120)
        assert writer.returncode == 0, err

    sessions = {s.pod_name: s for s in list_sessions(overlay).sessions}
    expected = {f"pod-{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER)}
    assert set(sessions) == expected | {"shared"}
    for name in expected:
        assert [ref.id for ref in sessions[name].related_tickets] == [f"T{name[3:]}"]
    shared = [ref.id for ref in sessions["shared"].related_tickets]
    assert sorted(shared) == sorted(f"S-{w}-{i}" for w in range(WRITERS) for i in range(PER_WRITER))
    assert not [p for p in overlay.root.iterdir() if p.name.startswith(".tmp-")]
