"""``action.yml``, the composite GitHub Action, and the workflow of docs/integrations.md.

The action's shell steps are run here as the runner runs them (``bash -e``, the inputs
and ``github.action_path`` given through ``env``, ``GITHUB_PATH`` and ``GITHUB_OUTPUT``
files), on a copy of a real store in a real git repository; the steps that use other
actions (setup-python, upload-sarif) are checked by what they are given.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, copy_corpus, init_repo
from yoi_ticket import __version__
from yoi_ticket.doctor.api import run_doctor
from yoi_ticket.doctor.context import DoctorOptions

ACTION = yaml.safe_load((REPO_ROOT / "action.yml").read_text(encoding="utf-8"))
INTEGRATIONS = (REPO_ROOT / "docs" / "integrations.md").read_text(encoding="utf-8")
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")


def steps() -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = ACTION["runs"]["steps"]
    return result


def inputs_with(**given: str) -> dict[str, str]:
    values = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()}
    unknown = set(given) - set(values)
    assert not unknown, f"not inputs of action.yml: {unknown}"
    return {**values, **given}


def substitute(text: str, inputs: dict[str, str], outputs: dict[str, str]) -> str:
    """``${{ ... }}`` as the runner expands it, for the expressions the action uses."""

    def value(match: re.Match[str]) -> str:
        expression = match.group(1)
        if expression.startswith("inputs."):
            return inputs[expression.removeprefix("inputs.")]
        if expression == "github.action_path":
            return str(REPO_ROOT)
        step, _, name = expression.removeprefix("steps.").partition(".outputs.")
        if expression.startswith("steps.") and name:
            return outputs.get(f"{step}.{name}", "")
        raise AssertionError(f"an expression the test does not know: {expression}")

    return EXPRESSION.sub(value, text)


def condition(step: dict[str, Any], inputs: dict[str, str]) -> bool:
    """A step's ``if:`` for the forms the action uses (``inputs.x == 'v'``, ``!= ''``,
    ``!cancelled()``, ``&&``); no ``if`` means ``success()``, which the caller checks (no
    step failed before)."""
    return all(_term(term.strip(), inputs) for term in str(step.get("if", "")).split("&&"))


def _term(term: str, inputs: dict[str, str]) -> bool:
    if term in ("", "success()", "!cancelled()"):
        return True
    match = re.fullmatch(r"inputs\.([\w-]+) (==|!=) '([^']*)'", term)
    assert match is not None, f"an if: the test does not know: {term}"
    equal = inputs[match.group(1)] == match.group(3)
    return equal if match.group(2) == "==" else not equal


INSTALL = "Install yoi-ticket"


def run_action(
    workspace: Path, runner_temp: Path, inputs: dict[str, str], *, only: str | None = None
) -> dict[str, Any]:
    """Run the action's shell steps in ``workspace`` (the repository root, as on a runner)
    and note what its ``uses`` steps would be given. The install step runs once per module
    (``installed``): every other run finds its ``GITHUB_PATH`` line in ``runner_temp``."""
    path_file, output_file = runner_temp / "path", runner_temp / "output"
    path_file.touch()
    outputs: dict[str, str] = {}
    done: dict[str, Any] = {"runs": {}, "uses": {}}
    failed = False
    for step in steps():
        if (only is not None and step.get("name") != only) or (
            only is None and step.get("name") == INSTALL
        ):
            continue
        if failed and "cancelled()" not in str(step.get("if", "")):
            continue
        if not condition(step, inputs):
            continue
        if "uses" in step:
            done["uses"][step["uses"]] = {
                key: substitute(str(value), inputs, outputs)
                for key, value in step.get("with", {}).items()
            }
            continue
        assert step["shell"] == "bash"
        assert "${{" not in step["run"], "inputs reach scripts through env only"
        extra_path = [line for line in path_file.read_text().splitlines() if line]
        output_file.write_text("")
        env = {
            **os.environ,
            "PATH": os.pathsep.join([*extra_path, os.environ["PATH"]]),
            "RUNNER_TEMP": str(runner_temp),
            "GITHUB_PATH": str(path_file),
            "GITHUB_OUTPUT": str(output_file),
            "GITHUB_WORKSPACE": str(workspace),
            **{k: substitute(str(v), inputs, outputs) for k, v in step.get("env", {}).items()},
        }
        result = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]],
            cwd=workspace,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        done["runs"][step["name"]] = result
        for line in output_file.read_text().splitlines():
            key, _, value = line.partition("=")
            outputs[f"{step.get('id')}.{key}"] = value
        failed = failed or result.returncode != 0
    done["outputs"] = outputs
    return done


def test_the_action_uses_current_majors_and_names_no_checkout_path() -> None:
    uses = [step["uses"] for step in steps() if "uses" in step]
    assert uses == ["actions/setup-python@v6", "github/codeql-action/upload-sarif@v4"]
    assert "checkout_path" not in (REPO_ROOT / "action.yml").read_text(encoding="utf-8")
    assert ACTION["runs"]["using"] == "composite"


def test_every_input_is_documented_and_every_documented_input_exists() -> None:
    section = INTEGRATIONS.split("### The action's inputs", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `([\w-]+)` \|", section, flags=re.M)
    assert documented == list(ACTION["inputs"])
    for name, spec in ACTION["inputs"].items():
        default = str(spec.get("default", ""))
        assert f"| `{name}` | `{default}` |" in section or (
            default == "" and f"| `{name}` | (none) |" in section
        ), name


def docs_workflow() -> dict[str, Any]:
    block = INTEGRATIONS.split("# .github/workflows/tickets.yml\n", 1)[1].split("```", 1)[0]
    workflow: dict[str, Any] = yaml.safe_load(block)
    return workflow


def test_the_docs_workflow_uses_the_action_with_what_upload_sarif_needs() -> None:
    workflow = docs_workflow()
    assert workflow["permissions"] == {
        "contents": "read",
        "actions": "read",
        "security-events": "write",
    }
    [job] = workflow["jobs"].values()
    uses = [step["uses"] for step in job["steps"] if "uses" in step]
    assert uses[0] == "actions/checkout@v6"
    [ours] = [step for step in job["steps"] if step.get("uses", "").startswith("OWNER/yoi-ticket@")]
    assert set(ours["with"]) <= set(ACTION["inputs"])
    assert ours["with"]["sarif"] == "true"
    blocks = re.findall(r"```yaml\n(.*?)```", INTEGRATIONS, flags=re.S)
    assert len(blocks) >= 3 and not any("checkout_path" in block for block in blocks)
    for line in re.findall(r"@v\d+(?:\.\d+)*", INTEGRATIONS):
        assert line in ("@v6", "@v4"), line  # majors of actions, never a tag of ours


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The runner's temp folder after the install step (pip, from this checkout)."""
    runner_temp = tmp_path_factory.mktemp("runner-temp")
    done = run_action(runner_temp, runner_temp, inputs_with(), only=INSTALL)
    install = done["runs"][INSTALL]
    assert install.returncode == 0, install.stderr
    assert install.stdout == f"yoi-ticket {__version__}\n"
    [bin_dir] = (runner_temp / "path").read_text().splitlines()
    assert Path(bin_dir) == runner_temp / "yoi-ticket-venv" / "bin"
    return runner_temp


@pytest.mark.network
@pytest.mark.slow
def test_the_actions_shell_steps_on_a_real_store(tmp_path: Path, installed: Path) -> None:
    """The SARIF report, the annotations and the exit, with the tool the action installed."""
    workspace = init_repo(copy_corpus("v2-sample", tmp_path / "repo"))
    expected = run_doctor(workspace, DoctorOptions(no_local=True))
    errors = [d for d in expected.diagnostics if d.severity.value == "error"]
    assert errors

    done = run_action(workspace, installed, inputs_with(sarif="true", args="--ignore YT3"))

    sarif_step = done["runs"]["Write the SARIF report"]
    assert sarif_step.returncode == 0, sarif_step.stderr
    assert done["outputs"] == {"sarif.file": "yoi-ticket.sarif"}
    sarif = json.loads((workspace / "yoi-ticket.sarif").read_text(encoding="utf-8"))
    assert sarif["version"] == "2.1.0"
    results = sarif["runs"][0]["results"]
    assert results and not any(r["ruleId"].startswith("YT3") for r in results)

    check = done["runs"]["Check tickets"]
    kept = [d for d in expected.diagnostics if not d.code.startswith("YT3")]
    assert check.returncode == (1 if any(d.severity.value == "error" for d in kept) else 0)
    annotations = [line for line in check.stdout.splitlines() if line.startswith("::")]
    assert len(annotations) == len(kept)
    assert all(f"file={d.path}," in check.stdout for d in kept)

    upload = done["uses"]["github/codeql-action/upload-sarif@v4"]
    assert upload == {"sarif_file": "yoi-ticket.sarif", "category": "yoi-ticket"}
    assert "actions/setup-python@v6" in done["uses"]


@pytest.mark.network
@pytest.mark.slow
def test_without_sarif_the_action_only_checks(tmp_path: Path, installed: Path) -> None:
    workspace = init_repo(copy_corpus("v2-flat", tmp_path / "repo"))
    done = run_action(workspace, installed, inputs_with(**{"python-version": ""}))
    assert set(done["runs"]) == {"Check tickets"}
    assert done["uses"] == {}
    assert done["runs"]["Check tickets"].returncode == 0  # v2-flat: warnings only
    assert not (workspace / "yoi-ticket.sarif").exists()
