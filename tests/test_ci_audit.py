"""`audit` of a project's CI configuration: GitHub workflows and .gitlab-ci.yml with its local
includes, read with a real YAML parser (composed, never constructed).

tests/data/ci/ holds one small project per style people publish with (the gh-action with a
password, twine with env, uv publish with a token, poetry, hatch/pdm/flit, a GitLab pipeline
with includes, Trusted Publishing already, a malformed file, ...). Each has an expected.json:
the findings as [id, file, a piece of the line they must name]; the CI findings audit reports
must be exactly those.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from macaroon_mint import mint
from realparts import VENV_BIN, assert_no_secret, run_cli

DATA = Path(__file__).parent / "data" / "ci"
CASES = sorted(p.name for p in DATA.iterdir() if p.is_dir())
TOKEN = mint([], location="pypi.org", identifier="ci-audit-canary-0001")
ADD_PUBLISHER = "https://docs.pypi.org/trusted-publishers/adding-a-publisher/"


def make_project(tmp_path: Path, case: str) -> Path:
    """A copy of the case with @@PYPI_TOKEN@@ made a real token (none is kept in the repository),
    and beside it a file that only a way out of the project could reach."""
    project = tmp_path / "project"
    shutil.copytree(DATA / case, project, ignore=shutil.ignore_patterns("expected.json"))
    for path in project.rglob("*"):
        if path.is_file() and b"@@PYPI_TOKEN@@" in path.read_bytes():
            path.write_bytes(path.read_bytes().replace(b"@@PYPI_TOKEN@@", TOKEN.encode()))
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "outside.yml").write_text("leak:\n  script:\n    - twine upload -p $OUTSIDE_TOKEN dist/*\n")
    return project


def ci_findings(env: dict, project: Path, *extra: str) -> tuple[list[dict], subprocess.CompletedProcess]:
    done = run_cli(["audit", "--json", "--project-dir", str(project), *extra], env)
    assert done.returncode in (0, 1), done.stderr
    assert "Traceback" not in done.stderr
    return [f for f in json.loads(done.stdout) if f["id"].startswith("ci-")], done


def line_of(path: Path, piece: str) -> int:
    numbers = [i for i, text in enumerate(path.read_text().splitlines(), start=1) if piece in text]
    assert len(numbers) == 1, f"{piece!r} must name one line of {path}"
    return numbers[0]


@pytest.mark.parametrize("case", CASES)
def test_each_workflow_style_gives_exactly_the_expected_findings(case, cli_env, tmp_path):
    project = make_project(tmp_path, case)
    found, done = ci_findings(cli_env, project)
    expected = sorted((fid, rel, line_of(DATA / case / rel, piece))
                      for fid, rel, piece in json.loads((DATA / case / "expected.json").read_text()))
    got = sorted((f["id"], os.path.relpath(f["path"], project), f["line"]) for f in found)
    assert got == expected, json.dumps(found, indent=1)
    for finding in found:
        assert finding["fix"] and finding["message"]
        if finding["id"] == "ci-long-lived-token":
            assert finding["severity"] == "warning" and "Trusted Publishing" in finding["fix"]
            assert ADD_PUBLISHER in finding["fix"]
            assert ("GitLab" in finding["fix"]) == (".github" not in finding["path"])
    assert_no_secret(TOKEN, done.stdout, done.stderr)
    assert "OUTSIDE_TOKEN" not in done.stdout  # the include that leads out of the project was not read


def test_the_issue_example_names_the_line_and_how_to_switch(cli_env, tmp_path):
    """In a git work tree whose workflow uploads with `password: ${{ secrets.PYPI_API_TOKEN }}`,
    plain `pypicreds audit` (from a subdirectory, even) names the file and line and says how to
    move to Trusted Publishing; it exits 1."""
    project = make_project(tmp_path, "01-gh-action-password")
    subprocess.run(["git", "init", "-q", str(project)], check=True)
    (project / "src").mkdir()
    done = subprocess.run([str(VENV_BIN / "pypicreds"), "audit"], cwd=project / "src", env=cli_env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 1, done.stderr
    workflow = project / ".github" / "workflows" / "release.yml"
    line = line_of(workflow, "secrets.PYPI_API_TOKEN")
    assert f"{workflow}\n  line {line}  warning ci-long-lived-token: job 'publish'" in done.stdout
    assert "secrets.PYPI_API_TOKEN" in done.stdout
    assert "switch to Trusted Publishing" in done.stdout and ADD_PUBLISHER in done.stdout
    assert "`permissions: id-token: write`" in done.stdout


def test_outside_a_git_work_tree_no_ci_file_is_read(cli_env, tmp_path):
    """Without --project-dir, audit reads CI files only in the git work tree it runs in."""
    project = make_project(tmp_path, "03-twine-env")
    done = subprocess.run([str(VENV_BIN / "pypicreds"), "audit", "--json"], cwd=project, env=cli_env,
                          capture_output=True, text=True, timeout=60)
    assert not [f for f in json.loads(done.stdout) if f["id"].startswith("ci-")]
    (project / ".git").write_text("gitdir: /elsewhere/worktrees/x\n")  # a linked worktree's .git is a file
    done = subprocess.run([str(VENV_BIN / "pypicreds"), "audit", "--json"], cwd=project, env=cli_env,
                          capture_output=True, text=True, timeout=60)
    assert [f["id"] for f in json.loads(done.stdout) if f["id"].startswith("ci-")] == ["ci-long-lived-token"]


def test_a_missing_project_dir_is_a_usage_error(cli_env, tmp_path):
    done = run_cli(["audit", "--project-dir", str(tmp_path / "nope")], cli_env)
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.startswith("pypicreds: error: ") and done.stderr.count("\n") == 1


def write_workflow(project: Path, name: str, data: bytes) -> Path:
    path = project / ".github" / "workflows" / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path


def test_hostile_ci_files_are_findings_never_crashes(cli_env, tmp_path):
    """Binary junk, a huge file, an alias bomb, a link out of the project, Python tags,
    deep nesting: each is a finding or nothing, quickly, and nothing outside is read."""
    project = tmp_path / "project"
    outside = tmp_path / "secret.yml"
    outside.write_text(f"jobs:\n  x:\n    env:\n      TWINE_PASSWORD: ${{{{ secrets.OUTSIDE }}}}\n# {TOKEN}\n")
    write_workflow(project, "binary.yml", b"\x00\xff\xfe" * 100)
    write_workflow(project, "huge.yml", b"# padding\n" * 150_000)
    bomb = "a: &a [x, x, x, x, x, x, x, x, x]\n" + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join([f'*{chr(97 + i)}'] * 9)}]\n" for i in range(9))
    write_workflow(project, "bomb.yml", (bomb + "jobs:\n  j:\n    steps: *j\n").encode())
    write_workflow(project, "python.yml", b"x: !!python/object/apply:os.system ['touch pwned']\njobs: {}\n")
    write_workflow(project, "deep.yml", b"jobs: " + b"[" * 5000 + b"]" * 5000 + b"\n")
    (project / ".github" / "workflows" / "link.yml").symlink_to(outside)
    (project / ".gitlab-ci.yml").write_text("include:\n  - local: '**/*.yml'\n  - local: /secret.yml\n")
    began = time.monotonic()
    found, done = ci_findings(cli_env, project)
    assert time.monotonic() - began < 30
    by_file = {os.path.basename(f["path"]): f["id"] for f in found if f["id"] != "ci-include-not-found"}
    assert by_file == {"binary.yml": "ci-invalid-yaml", "huge.yml": "ci-unreadable-file",
                       "deep.yml": "ci-invalid-yaml", "link.yml": "ci-unreadable-file"}, found
    assert not (project / "pwned").exists() and not Path("pwned").exists()
    assert "OUTSIDE" not in done.stdout
    assert_no_secret(TOKEN, done.stdout, done.stderr)


# root reads any directory; setpriv drops the capabilities that let it (the files stay root's own)
UNPRIVILEGED = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", "--"]


def unprivileged_audit(env: dict, project: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*UNPRIVILEGED, str(VENV_BIN / "pypicreds"), "audit", "--json", "--project-dir",
                           str(project)], env=env, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL)


@pytest.mark.parametrize("closed", [".github", ".", "ci"])
def test_a_directory_audit_may_not_look_into_is_a_finding(cli_env, tmp_path, closed):
    """A directory on the way to a CI file that cannot be searched (.github, the project itself,
    the directory of a local include) makes `ci-unreadable-file` findings, not an unexpected error."""
    project = tmp_path / "project"
    write_workflow(project, "release.yml", b"jobs: {}\n")
    (project / ".gitlab-ci.yml").write_text("include:\n  - local: ci/jobs.yml\n")
    (project / "ci").mkdir()
    (project / "ci" / "jobs.yml").write_text("jobs: {}\n")
    target = project / closed
    os.chmod(target, 0o600 if closed == "." else 0)
    try:
        done = unprivileged_audit(cli_env, project)
    finally:
        os.chmod(target, 0o755)
    assert done.returncode in (0, 1) and "Traceback" not in done.stderr and "unexpected" not in done.stderr, done.stderr
    found = json.loads(done.stdout)
    unreadable = {os.path.relpath(f["path"], project) for f in found if f["id"] == "ci-unreadable-file"}
    expected = {".github": {".github/workflows"}, ".": {".github/workflows", ".gitlab-ci.yml"},
                "ci": {"ci/jobs.yml"}}[closed]
    assert unreadable == expected, done.stdout


def test_a_project_dir_audit_may_not_look_at_is_one_line(cli_env, tmp_path):
    """--project-dir inside a directory that cannot be searched: one line, exit 2. Run inside it
    without --project-dir, the search for the git work tree stops there and audit goes on."""
    closed = tmp_path / "closed"
    (closed / "project").mkdir(parents=True)
    os.chmod(closed, 0)
    try:
        done = unprivileged_audit(cli_env, closed / "project")
        here = subprocess.run([*UNPRIVILEGED, str(VENV_BIN / "pypicreds"), "audit", "--json"], env=cli_env,
                              cwd=closed / "project", capture_output=True, text=True, timeout=60)
    finally:
        os.chmod(closed, 0o755)
    assert done.returncode == 2 and "Traceback" not in done.stderr, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("pypicreds: error: ") and "Permission denied" in lines[0], lines
    assert here.returncode == 0 and "unexpected" not in here.stderr and json.loads(here.stdout) == [], here.stderr


def test_json_documents_every_ci_finding_id():
    """Scripts match on ids: each one the CI check can report is listed in docs/json.md."""
    import re

    source = (Path(__file__).parents[1] / "src" / "pypicreds" / "checks" / "ci_audit.py").read_text()
    ids = set(re.findall(r'"(ci-[a-z-]+)"', source))
    assert {"ci-long-lived-token", "ci-token-in-file", "ci-trusted-publishing-ready", "ci-invalid-yaml"} <= ids
    documented = (Path(__file__).parents[1] / "docs" / "json.md").read_text()
    assert all(f"`{i}`" in documented for i in ids), ids
