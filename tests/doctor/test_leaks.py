"""YT3xx: local assignment leaked into tracked files, on copies of real tickets."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import git, init_repo
from harness.doctor import edit, found, line_of, ticket_dir, ticket_workspace
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions
from yoi_ticket.doctor.diagnostics import Diagnostic
from yoi_ticket.doctor.machine_paths import HOME, RUN_USER, SOCKET, TEMP, TILDE, MachinePaths
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.sessions import record_session

READY = "00001KVZSGT14"  # state ready, relations.json, three events
CLOSED = "00001KSKBPHRG"  # closed, with resolution.md
PLANNED = "00001KTK22AN0"  # has orchestration-plan.jsonl
CREATED_AT = "created_at: '2026-06-25T16:23:58Z'\n"
CREATE_HEADER = '<!-- event: create author: "yoi ticket" at: 2026-06-25T16:23:58Z -->'


def local_run(workspace: Path, *select: str, no_local: bool = False) -> list[Diagnostic]:
    options = DoctorOptions(select=select or ("YT3",), no_local=no_local)
    return run_doctor(workspace, options).diagnostics


def triples(diagnostics: list[Diagnostic]) -> set[tuple[str, str, str, int | None]]:
    return {(d.code, d.severity.value, d.path, d.line) for d in diagnostics}


@pytest.fixture
def ready(tmp_path: Path) -> Path:
    return ticket_workspace(tmp_path, READY)


def item_of(workspace: Path) -> Path:
    return ticket_dir(workspace, READY) / "item.md"


def rel(workspace: Path, path: Path) -> str:
    return path.relative_to(workspace).as_posix()


# --- YT301 local-state fields ---------------------------------------------------------


def test_claimed_by_in_frontmatter_is_an_error_on_its_line(ready: Path) -> None:
    item = item_of(ready)
    edit(item, CREATED_AT, CREATED_AT + "claimed_by: ticket-intake-7f3a\n")
    assert found(ready, "YT3") == {
        ("YT301", "error", rel(ready, item), line_of(item, "claimed_by:"))
    }
    (diagnostic,) = local_run(ready, no_local=True)
    assert "'claimed_by'" in diagnostic.message and "ticket-intake-7f3a" in diagnostic.message
    assert diagnostic.hint is not None
    assert f"yoi ticket claim {READY} --pod ticket-intake-7f3a" in diagnostic.hint


def test_nested_and_differently_spelled_keys_are_found_at_their_own_lines(ready: Path) -> None:
    item = item_of(ready)
    block = "runtime:\n  owner:\n    podName: coder-1\n  Session-Id: abc\n"
    edit(item, CREATED_AT, CREATED_AT + block)
    path = rel(ready, item)
    assert found(ready, "YT3") == {
        ("YT301", "error", path, line_of(item, "    podName:")),
        ("YT301", "error", path, line_of(item, "  Session-Id:")),
    }


def test_an_empty_local_state_key_is_a_warning(ready: Path) -> None:
    item = item_of(ready)
    edit(item, CREATED_AT, CREATED_AT + "pod: null\n")
    assert found(ready, "YT3") == {("YT301", "warning", rel(ready, item), line_of(item, "pod:"))}


def test_pod_name_in_an_event_header_is_an_error_on_the_header_line(ready: Path) -> None:
    thread = ticket_dir(ready, READY) / "thread.md"
    edit(thread, CREATE_HEADER, CREATE_HEADER.replace(" -->", " pod_name: coder-1 pid: 4242 -->"))
    line = line_of(thread, CREATE_HEADER[:20])
    diagnostics = local_run(ready, no_local=True)
    assert [(d.code, d.severity.value, d.path, d.line) for d in diagnostics] == [
        ("YT301", "error", rel(ready, thread), line),
        ("YT301", "error", rel(ready, thread), line),
    ]
    messages = sorted(d.message for d in diagnostics)
    assert "'pid'" in messages[0] and "'pod_name'" in messages[1]


def test_local_state_key_in_a_plan_record_is_a_warning(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNED)
    plan = ticket_dir(workspace, PLANNED) / "artifacts" / "orchestration-plan.jsonl"
    edit(plan, '"author":"orchestrator"', '"author":"orchestrator","claimed_by":"coder-1"')
    assert found(workspace, "YT3") == {("YT301", "warning", rel(workspace, plan), 1)}


def test_assignee_author_and_queued_by_are_not_local_state(ready: Path) -> None:
    item = item_of(ready)
    edit(item, "assignee: null", "assignee: ticket-intake-7f3a\nqueued_by: coder-1")
    assert found(ready, "YT3") == set()


# --- YT302 values naming a known Pod -----------------------------------------------------


def test_values_naming_pods_of_yois_panel_registry_are_errors(
    tmp_path: Path, yoi_home: Path
) -> None:
    from harness.panel import write_panel_claim, write_panel_sessions
    from yoi_ticket.overlay.panel import panel_folder_name

    workspace = init_repo(ticket_workspace(tmp_path, READY))
    item = item_of(workspace)
    edit(item, "assignee: null", "assignee: panel-coder\nreviewer_pod: panel-intake")
    overlay = Overlay.for_workspace(workspace)
    folder = yoi_home / "panel" / "workspaces" / panel_folder_name(overlay.identity.canonical_path)
    write_panel_claim(folder, {"ticket_id": READY, "worker_name": "panel-coder", "role": "coder"})
    nanos = "1764600000000000000"
    session = {"role": "intake", "pod_name": "panel-intake", "origin": "pre_ticket_intake"}
    session |= {"created_at": nanos, "updated_at": nanos, "related_tickets": []}
    write_panel_sessions(folder, overlay.identity.canonical_path, {"panel-intake": session})
    diagnostics = local_run(workspace, "YT302")
    assert triples(diagnostics) == {
        ("YT302", "error", rel(workspace, item), line_of(item, "assignee:")),
        ("YT302", "error", rel(workspace, item), line_of(item, "reviewer_pod:")),
    }
    messages = sorted(d.message for d in diagnostics)
    assert any("holds yoi's panel claim on " + READY in m for m in messages)
    assert any("has a role session (intake) in yoi's panel" in m for m in messages)


def test_assignee_naming_a_pod_that_holds_a_local_claim_is_an_error(
    tmp_path: Path, yoi_home: Path
) -> None:
    workspace = init_repo(ticket_workspace(tmp_path, READY))
    item = item_of(workspace)
    edit(item, "assignee: null", "assignee: ticket-intake-7f3a")
    claim(Overlay.for_workspace(workspace), READY, "ticket-intake-7f3a", "intake")
    diagnostics = local_run(workspace)
    assert triples(diagnostics) == {
        ("YT302", "error", rel(workspace, item), line_of(item, "assignee:"))
    }
    (diagnostic,) = diagnostics
    assert "holds the local claim on " + READY in diagnostic.message
    assert diagnostic.hint is not None and "already records it" in diagnostic.hint
    assert local_run(workspace, no_local=True) == []


def test_a_value_naming_an_unknown_pod_or_in_author_is_not_reported(
    tmp_path: Path, yoi_home: Path
) -> None:
    workspace = ticket_workspace(tmp_path, READY)
    thread = ticket_dir(workspace, READY) / "thread.md"
    edit(
        thread,
        'author: "yoi ticket" at: 2026-06-25T16:23:58Z',
        "author: coder-1 at: 2026-06-25T16:23:58Z",
    )
    edit(item_of(workspace), "assignee: null", "assignee: somebody-else")
    claim(Overlay.for_workspace(workspace), READY, "coder-1", "coder")
    assert local_run(workspace) == []


def test_pods_known_from_the_runtime_registry_metadata_and_sessions_count(
    tmp_path: Path, yoi_home: Path
) -> None:
    workspace = ticket_workspace(tmp_path, READY)
    item = item_of(workspace)
    edit(
        item,
        "assignee: null",
        "assignee: runner-1\nreviewers_pod_hint:\n  - saved-2\nowner: intake-3",
    )
    thread = ticket_dir(workspace, READY) / "thread.md"
    edit(thread, CREATE_HEADER, CREATE_HEADER.replace(" -->", " handled_for: runner-1 -->"))
    (yoi_home / "run").mkdir(parents=True)
    (yoi_home / "run" / "pods.json").write_text(
        json.dumps({"allocations": [{"pod_name": "runner-1", "pid": 1, "socket": "/x.sock"}]})
    )
    (yoi_home / "pods" / "saved-2").mkdir(parents=True)
    (yoi_home / "pods" / "saved-2" / "metadata.json").write_text("{}")
    record_session(Overlay.for_workspace(workspace), "intake-3", "intake")
    path = rel(workspace, item)
    assert triples(local_run(workspace)) == {
        ("YT302", "error", path, line_of(item, "assignee:")),
        ("YT302", "error", path, line_of(item, "  - saved-2")),
        ("YT302", "error", path, line_of(item, "owner:")),
        ("YT302", "error", rel(workspace, thread), line_of(thread, CREATE_HEADER[:20])),
    }


def test_the_companion_and_orchestrator_names_do_not_count(tmp_path: Path, yoi_home: Path) -> None:
    workspace = ticket_workspace(tmp_path, READY, name="yoi")
    edit(item_of(workspace), "assignee: null", "assignee: yoi-orchestrator\nproject: yoi")
    (yoi_home / "run").mkdir(parents=True)
    pods = [{"pod_name": "yoi", "pid": 1}, {"pod_name": "yoi-orchestrator", "pid": 1}]
    (yoi_home / "run" / "pods.json").write_text(json.dumps({"allocations": pods}))
    assert local_run(workspace) == []


# --- YT303/YT304 machine-local paths -----------------------------------------------------


def test_plan_worktree_in_someone_elses_home_is_an_error(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, PLANNED)
    plan = ticket_dir(workspace, PLANNED) / "artifacts" / "orchestration-plan.jsonl"
    edit(
        plan,
        '"author":"orchestrator"',
        '"author":"orchestrator","worktree":"/home/alice/src/repo/.worktree/x"',
    )
    diagnostics = local_run(workspace, no_local=True)
    assert triples(diagnostics) == {("YT303", "error", rel(workspace, plan), 1)}
    (diagnostic,) = diagnostics
    assert "'/home/alice/src/repo/.worktree/x'" in diagnostic.message
    assert "'worktree'" in diagnostic.message
    assert diagnostic.hint == "write the workspace-relative path '.worktree/x' instead"


def test_paths_in_relations_point_at_their_own_line(ready: Path) -> None:
    """A relation's ``note`` is free text: a path quoted there is YT304 (info), a path in a
    path field of the record is YT303; both on the line that holds it."""
    relations = ticket_dir(ready, READY) / "artifacts" / "relations.json"
    old = '"note": "Remote Runtime routing needs the REST command API.",'
    new = '"note": "see C:\\\\Users\\\\bob\\\\repo\\\\notes.txt",\n      "cwd": "/home/bob/repo",'
    edit(relations, old, new)
    path = rel(ready, relations)
    assert found(ready, "YT3") == {
        ("YT304", "info", path, line_of(relations, '      "note": "see C:')),
        ("YT303", "error", path, line_of(relations, '      "cwd": ')),
    }


@pytest.mark.parametrize(
    "note",
    [
        "\\/home\\/alice\\/src\\/repo",  # JSON's escaped slashes
        "\\u002fhome\\u002falice\\u002fsrc",  # unicode escapes
        "/home/alice/src/repo",
    ],
)
def test_paths_in_relations_are_found_however_the_json_spells_them(ready: Path, note: str) -> None:
    """``note`` is free text, so even a note that is only a path is YT304."""
    relations = ticket_dir(ready, READY) / "artifacts" / "relations.json"
    old = '"note": "Remote Runtime routing needs the REST command API.",'
    edit(relations, old, f'"note": "{note}",')
    line = line_of(relations, f'      "note": "{note[:6]}')
    if "\\" in note:  # spelled otherwise in the file: the line of the relation's "target"
        assert line_of(relations, '      "target": "00001KVZKSTE2"') == line - 1
        line -= 1
    assert found(ready, "YT3") == {("YT304", "info", rel(ready, relations), line)}


@pytest.mark.parametrize(
    ("value", "severity"),
    [
        ("/Users/bob/work/repo", "error"),
        ("/root/.config/yoi", "error"),
        ('"/run/user/1000/yoi/coder-1.sock"', "error"),
        ("/var/lib/yoi/pods/coder-1.sock", "error"),
        ("file:///home/carol/x.log", "error"),
        ("/tmp/yoi-build-17", "warning"),
        ("~/src/repo/.worktree/x", "warning"),
    ],
)
def test_machine_local_values_in_frontmatter(ready: Path, value: str, severity: str) -> None:
    item = item_of(ready)
    edit(item, CREATED_AT, CREATED_AT + f"log: {value}\n")
    assert found(ready, "YT3") == {("YT303", severity, rel(ready, item), line_of(item, "log:"))}


def test_free_text_plan_fields_are_prose_and_path_fields_are_errors(tmp_path: Path) -> None:
    """Regression (issue 14): a path quoted in ``note``, ``summary`` or ``role_plan`` is
    prose (YT304, info, certain paths only); ``worktree``, ``cwd``, ``*_dir``... are YT303."""
    workspace = ticket_workspace(tmp_path, PLANNED)
    plan = ticket_dir(workspace, PLANNED) / "artifacts" / "orchestration-plan.jsonl"
    edit(plan, '"note":"Route typed', '"note":"Built in /home/hare/Projects/yoi. Route typed')
    record = (
        '{"id":"p2","ticket_id":"%s","kind":"accepted_plan","accepted_plan":{"summary":'
        '"Work in /home/hare/Projects/yoi/.worktree/x, logs in /tmp/x.","role_plan":"Use '
        '`/run/user/1000/yoi/coder.sock`.","worktree":"/home/hare/Projects/yoi/.worktree/x",'
        '"log_dir":"/tmp/yoi-logs"},"author":"orchestrator","at":"2026-06-09T05:43:00Z"}\n'
    )
    with open(plan, "a", encoding="utf-8") as handle:
        handle.write(record % PLANNED)
    path = rel(workspace, plan)
    diagnostics = local_run(workspace, no_local=True)
    assert sorted((d.code, d.severity.value, d.path, d.line) for d in diagnostics) == [
        ("YT303", "error", path, 2),
        ("YT303", "warning", path, 2),
        ("YT304", "info", path, 1),
        ("YT304", "info", path, 2),
        ("YT304", "info", path, 2),
    ]
    fields = sorted(d.message.rsplit(" field ", 1)[1] for d in diagnostics)
    assert fields == [
        "'accepted_plan.log_dir'",
        "'accepted_plan.role_plan'",
        "'accepted_plan.summary'",
        "'accepted_plan.worktree'",
        "'note'",
    ]
    prose = [d for d in diagnostics if d.code == "YT304"]
    assert all("in the free text of plan record field" in d.message for d in prose)


def test_real_plans_report_only_their_worktree_field_as_an_error(tmp_path: Path) -> None:
    """Regression (issue 14): the real v2-sample plan of 00001KXK9507N quotes the worktree
    folder in ``role_plan`` prose; only its ``worktree`` field is a YT303 error."""
    ticket = "00001KXK9507N"
    workspace = ticket_workspace(tmp_path, ticket, layout="v2-sample")
    plan = ticket_dir(workspace, ticket) / "artifacts" / "orchestration-plan.jsonl"
    in_plan = [d for d in local_run(workspace, no_local=True) if d.path == rel(workspace, plan)]
    assert [(d.code, d.severity.value, d.line) for d in in_plan] == [
        ("YT303", "error", 1),
        ("YT304", "info", 1),
    ]
    assert in_plan[0].message.endswith("in plan record field 'accepted_plan.worktree'")
    assert in_plan[1].message.endswith("field 'accepted_plan.role_plan'")


def test_a_path_after_a_closing_bracket_does_not_start_there(ready: Path) -> None:
    """Regression (issue 14): ``working-directories/<id>/root/<repo>`` is not ``/root``."""
    item = item_of(ready)
    body = (
        "\nPods run in `working-directories/<id>/root/<repo>` and $(pwd)/root/x,"
        " ids[0]/home/alice/x and {ws}/Users/bob/x.\n"
        "Unlike (/root/.config) here.\n"
    )
    item.write_text(item.read_text(encoding="utf-8") + body, encoding="utf-8")
    edit(item, CREATED_AT, CREATED_AT + "workdir: working-directories/<id>/root/<repo>\n")
    assert found(ready, "YT3") == {
        ("YT304", "info", rel(ready, item), line_of(item, "Unlike (/root")),
    }


def test_this_machines_data_dir_and_workspace_paths_are_certain(
    ready: Path, yoi_home: Path
) -> None:
    item = item_of(ready)
    extra = f"cache: {yoi_home}/workspaces/x\nsource: {ready}/src/main.py\n"
    edit(item, CREATED_AT, CREATED_AT + extra)
    path = rel(ready, item)
    diagnostics = local_run(ready, no_local=True)
    assert triples(diagnostics) == {
        ("YT303", "error", path, line_of(item, "cache:")),
        ("YT303", "error", path, line_of(item, "source:")),
    }
    by_line = {d.line: d for d in diagnostics}
    assert "the yoi data dir" in by_line[line_of(item, "cache:")].message
    workspace_hit = by_line[line_of(item, "source:")]
    assert workspace_hit.hint == "write the workspace-relative path 'src/main.py' instead"


def test_urls_and_relative_paths_are_not_flagged(ready: Path) -> None:
    item = item_of(ready)
    extra = (
        "link: https://example.com/home/x\n"
        "mirror: http://localhost:8080/Users/bob/repo\n"
        "path: src/root/home/alice\n"
    )
    edit(item, CREATED_AT, CREATED_AT + extra)
    body = "\nSee https://example.com/home/x and [docs](https://host/Users/bob/).\n"
    item.write_text(item.read_text(encoding="utf-8") + body, encoding="utf-8")
    assert found(ready, "YT3") == set()


def test_paths_in_prose_are_info_and_temp_or_tilde_paths_there_are_ignored(
    tmp_path: Path,
) -> None:
    workspace = ticket_workspace(tmp_path, CLOSED)
    folder = ticket_dir(workspace, CLOSED)
    item = folder / "item.md"
    item.write_text(
        item.read_text(encoding="utf-8") + "\nBuilt in /Users/bob/src/repo, log in /tmp/x.\n",
        encoding="utf-8",
    )
    thread = folder / "thread.md"
    thread.write_text(
        thread.read_text(encoding="utf-8")
        + "\n<!-- event: comment author: hare at: 2030-01-01T00:00:00Z -->\n\n"
        "Socket at `/run/user/1000/yoi/pod.sock`; edit ~/.bashrc.\n",
        encoding="utf-8",
    )
    resolution = folder / "resolution.md"
    resolution.write_text(
        resolution.read_text(encoding="utf-8") + "\nC:\\Users\\dave\\repo was used.\n",
        encoding="utf-8",
    )
    assert found(workspace, "YT3") == {
        ("YT304", "info", rel(workspace, item), line_of(item, "Built in")),
        ("YT304", "info", rel(workspace, thread), line_of(thread, "Socket at")),
        ("YT304", "info", rel(workspace, resolution), line_of(resolution, "C:\\Users")),
    }


def test_the_real_corpus_has_no_leaks(v2_workspace: Path, v1_workspace: Path) -> None:
    assert local_run(v2_workspace) == []
    assert local_run(v1_workspace) == []


# --- YT305 overlay files in the repository ------------------------------------------------


def test_committed_and_untracked_overlay_files_are_errors(v2_workspace: Path) -> None:
    claim_file = v2_workspace / "docs" / "samples" / "ticket-claims" / f"{READY}.json"
    claim_file.parent.mkdir(parents=True)
    claim_file.write_text(
        json.dumps({"version": 1, "ticket_id": READY, "pod_name": "coder-1", "role": "coder"})
    )
    git(v2_workspace, "add", "-A")
    git(v2_workspace, "commit", "-q", "-m", "oops")
    sessions = v2_workspace / ".yoi" / "role-sessions.json"
    sessions.write_text(json.dumps({"version": 1, "workspace_root": "/x", "sessions": {}}))
    copied = v2_workspace / "workspaces" / "ws-0123456789abcdef" / "pending" / f"{READY}.json"
    copied.parent.mkdir(parents=True)
    copied.write_text(json.dumps({"ticket_id": READY, "pod_name": "p", "pid": 1, "role": "x"}))
    unrelated = v2_workspace / "workspace.json"  # an editor's file, not an overlay record
    unrelated.write_text(json.dumps({"folders": []}))
    ignored = v2_workspace / "pending" / f"{READY}.json"
    ignored.parent.mkdir(parents=True)
    ignored.write_text(json.dumps({"ticket_id": READY, "pod_name": "p", "pid": 1}))
    (v2_workspace / ".gitignore").write_text("/pending/\n")
    diagnostics = local_run(v2_workspace, no_local=True)
    assert triples(diagnostics) == {
        ("YT305", "error", f"docs/samples/ticket-claims/{READY}.json", None),
        ("YT305", "error", ".yoi/role-sessions.json", None),
        ("YT305", "error", f"workspaces/ws-0123456789abcdef/pending/{READY}.json", None),
    }
    assert all(d.hint and d.hint.startswith(f"git rm --cached {d.path}") for d in diagnostics)


def test_overlay_files_are_found_outside_git_too(tmp_path: Path) -> None:
    workspace = ticket_workspace(tmp_path, READY)
    pending = workspace / "pending" / f"{READY}.json"
    pending.parent.mkdir()
    pending.write_text(json.dumps({"ticket_id": READY, "pod_name": "p", "pid": 1, "role": "x"}))
    assert found(workspace, "YT3") == {("YT305", "error", f"pending/{READY}.json", None)}


# --- YT306 data dir inside the workspace ---------------------------------------------------


def test_a_data_dir_inside_the_workspace_must_be_ignored(
    v2_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOI_HOME", str(v2_workspace / ".yoi-home"))
    monkeypatch.setenv("YOI_RUNTIME_DIR", str(v2_workspace.parent / "run"))
    diagnostics = local_run(v2_workspace)
    assert triples(diagnostics) == {("YT306", "error", ".yoi-home", None)}
    assert local_run(v2_workspace, no_local=True) == []
    (v2_workspace / ".gitignore").write_text(".yoi-home/\n")
    assert local_run(v2_workspace) == []


def test_a_runtime_dir_inside_the_workspace_is_reported_too(
    v2_workspace: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("YOI_RUNTIME_DIR", str(v2_workspace / "var" / "run"))
    assert triples(local_run(v2_workspace)) == {("YT306", "error", "var/run", None)}


def test_a_data_dir_in_a_plain_folder_workspace_is_not_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace = ticket_workspace(tmp_path, READY)
    monkeypatch.setenv("YOI_DATA_DIR", str(workspace / "data"))
    assert local_run(workspace) == []


# --- the detector itself --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/home/alice/src/repo", [("/home/alice/src/repo", HOME, True)]),
        ("at /Users/bob.", [("/Users/bob", HOME, True)]),
        ("`/var/home/eve/x`", [("/var/home/eve/x", HOME, True)]),
        ("/mnt/c/Users/bob/x", [("/mnt/c/Users/bob/x", HOME, True)]),
        ("c:/users/Bob/x", [("c:/users/Bob/x", HOME, True)]),
        ("(/root)", [("/root", HOME, True)]),
        ("working-directories/<id>/root/<repo>", []),
        ("a>/home/x a)/home/x a]/Users/x a}/run/user/1 <x>~/y", []),
        ("/run/user/1000/", [("/run/user/1000/", RUN_USER, True)]),
        ("/var/run/docker.sock", [("/var/run/docker.sock", SOCKET, True)]),
        ("/home/a/x.sock", [("/home/a/x.sock", HOME, True)]),
        ("/tmp/x y ~/z", [("/tmp/x", TEMP, False), ("~/z", TILDE, False)]),
        ("https://example.com/home/x", []),
        ("http://[::1]/Users/bob", []),
        ("src/root/home/x /rooted /home/ a~/b $HOME/x", []),
        ("the users of /api/users/1", []),
    ],
)
def test_machine_local_path_patterns(text: str, expected: list[tuple[str, str, bool]]) -> None:
    hits = MachinePaths().find(text)
    assert [(hit.path, hit.kind, hit.certain) for hit in hits] == expected


def test_local_dirs_match_whole_components_only(tmp_path: Path) -> None:
    data = tmp_path / "data"
    paths = MachinePaths([(str(data), "the data dir")])
    hits = paths.find(f"x {data}/workspaces/k y")
    assert [(h.path, h.kind) for h in hits] == [(f"{data}/workspaces/k", "the data dir")]
    assert [h.kind for h in paths.find(f"{data}-other/x")] == [TEMP]  # tmp_path is in /tmp
    assert not paths.may_contain("nothing here")


def test_the_prefilter_keeps_plain_text_cheap() -> None:
    paths = MachinePaths()
    assert not paths.may_contain("Plain prose about users, homes and roots. " * 100)
    assert paths.may_contain("C:\\Users\\x")


def test_staged_reports_a_leak_in_the_index_even_when_the_work_tree_is_clean(
    v2_workspace: Path,
) -> None:
    item = v2_workspace / ".yoi" / "tickets" / READY / "item.md"
    clean = item.read_text(encoding="utf-8")
    edit(item, CREATED_AT, CREATED_AT + "pod_name: coder-1\nlog: /home/alice/x.log\n")
    git(v2_workspace, "add", "-A")
    leaked = item.read_text(encoding="utf-8").split("\n")
    item.write_text(clean, encoding="utf-8")
    options = DoctorOptions(select=("YT3",), staged=True)
    diagnostics = run_doctor(v2_workspace, options).diagnostics
    path = f".yoi/tickets/{READY}/item.md"
    assert triples(diagnostics) == {
        ("YT301", "error", path, leaked.index("pod_name: coder-1") + 1),
        ("YT303", "error", path, leaked.index("log: /home/alice/x.log") + 1),
    }
    assert run_doctor(v2_workspace, DoctorOptions(select=("YT3",))).diagnostics == []


def test_tracked_overlay_names_are_exactly_what_the_glob_pathspecs_match(tmp_path: Path) -> None:
    """YT305 asks git with plain pathspecs and narrows the answer; the result must be what
    the ``:(glob)`` patterns it stands for select, tricky near-misses included."""
    from yoi_ticket.doctor.overlay_files import OVERLAY_GLOBS, overlay_candidates

    names = [
        "ticket-claims/a.json",
        "deep/er/ticket-claims/b.json",
        "xticket-claims/c.json",
        "ticket-claims/sub/d.json",
        "ticket-claims/e.json.bak",
        "pending/f.json",
        "src/pending/g.json",
        "pending.json",
        "src/mypending/h.json",
        "workspace.json",
        "pkg/workspace.json",
        "pkg/my-workspace.json",
        "role-sessions.json",
        "x/role-sessions.json.orig",
        "logs/history.jsonl",
        "history.jsonl.1",
    ]
    repo = tmp_path / "repo"
    for name in names:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("{}\n", encoding="utf-8")
    init_repo(repo)
    specs = [f":(glob){pattern}" for pattern in OVERLAY_GLOBS]
    expected = sorted(git(repo, "ls-files", "-z", "--", *specs).stdout.split("\0"))[1:]
    assert len(expected) == 8
    assert overlay_candidates(repo) == expected
