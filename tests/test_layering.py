"""Layering, measured in fresh interpreters: what each import or command pulls into sys.modules.

- Importing every domain module (everything but pypicreds.cli) imports no CLI framework
  (typer, rich, click, pydantic).
- keyring, cryptography, configupdater and twine are imported only by the commands that need
  them; twine only by upload, once pypicreds' own part is done (twine then runs in the same
  process, or replaces it); yaml only by audit, when there are CI files to read.
"""

from __future__ import annotations

import json
import pkgutil
import subprocess
import sys

import pytest

import pypicreds
from macaroon_mint import mint
from realparts import run_cli

FRAMEWORKS = {"typer", "rich", "click", "pydantic"}
HEAVY = {"keyring", "cryptography", "configupdater", "twine", "yaml"}
TOKEN = mint([], location="127.0.0.1", identifier="layering-0001")

# Runs `pypicreds ARGS` through the real entry point (fast path included), then writes which
# top-level packages were imported to the file named by argv[1] (apart from the command's output),
# also when the command ends by handing the process to another program (exec, or upload's
# TakeOver: twine), which is not run.
WRAPPER = """
import os, sys
report = sys.argv.pop(1)

def write_report():
    with open(report, "w") as f:
        f.write(" ".join(sorted({name.split(".")[0] for name in sys.modules})))

def instead_of_exec(path, argv, env):
    write_report()
    os._exit(0)

os.execve = instead_of_exec
from pypicreds.__main__ import main
from pypicreds.errors import TakeOver
try:
    code = main(sys.argv[1:])
except SystemExit as e:
    code = e.code
except TakeOver:  # where twine would take the process over (upload)
    code = 0
write_report()
sys.exit(code or 0)
"""


def domain_modules() -> list[str]:
    names = []
    for info in pkgutil.walk_packages(pypicreds.__path__, "pypicreds."):
        if not info.name.startswith("pypicreds.cli") and info.name != "pypicreds.__main__":
            names.append(info.name)
    return names


def imported_by(code: str, env: dict | None = None) -> set[str]:
    out = subprocess.run([sys.executable, "-c", code + "\nimport sys, json; print(json.dumps(sorted(sys.modules)))"],
                         capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    return {name.split(".")[0] for name in json.loads(out.stdout.splitlines()[-1])}


def test_there_are_domain_modules_to_check():
    assert {"pypicreds.credentials", "pypicreds.pypirc", "pypicreds.store.file", "pypicreds.recovery",
            "pypicreds.checks.audit", "pypicreds.session.upload"} <= set(
        domain_modules()
    )


def test_domain_modules_import_no_cli_framework(cli_env):
    modules = domain_modules()
    tops = imported_by("\n".join(f"import {m}" for m in modules), cli_env)
    assert not tops & FRAMEWORKS, f"a domain module imports {tops & FRAMEWORKS}"


@pytest.mark.parametrize("module", ["pypicreds.credentials", "pypicreds.session.execute", "pypicreds.store.index",
                                    "pypicreds.recovery", "pypicreds.store.file", "pypicreds.store.keyring",
                                    "pypicreds.pypirc", "pypicreds.session.upload",
                                    "pypicreds.checks.audit", "pypicreds.checks.ci_audit"])
def test_importing_a_domain_module_loads_nothing_heavy(module, cli_env):
    tops = imported_by(f"import {module}", cli_env)
    assert not tops & (HEAVY | FRAMEWORKS), f"import {module} pulls in {tops & (HEAVY | FRAMEWORKS)}"


def command_imports(args: list[str], env: dict, stdin: str | None = None, check: bool = True) -> set[str]:
    import tempfile

    with tempfile.NamedTemporaryFile("r", suffix=".modules") as report:
        proc = subprocess.run([sys.executable, "-c", WRAPPER, report.name, *args], env=env, input=stdin or "",
                              capture_output=True, text=True, timeout=60)
        tops = set(report.read().split())
    if check:
        assert proc.returncode == 0, proc.stderr
    assert tops, f"the wrapper reported nothing: {proc.stderr}"
    return tops


@pytest.fixture
def file_env(cli_env):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    assert run_cli(["add", "local", "--url", "http://127.0.0.1:9/t/", "--token-stdin"], env,
                   input=TOKEN).returncode == 0
    return env


def test_list_with_the_file_store_loads_nothing_heavy(file_env):
    tops = command_imports(["list"], file_env)
    assert not tops & (HEAVY | FRAMEWORKS), tops & (HEAVY | FRAMEWORKS)


@pytest.mark.parametrize("extra", [[], ["--for", "all"], ["--for", "poetry", "--shell", "json"]])
def test_env_with_a_key_file_vault_loads_cryptography_only(file_env, extra):
    tops = command_imports(["env", "local", *extra], file_env)
    assert "cryptography" in tops  # it decrypts: proves the measurement sees imports
    assert not tops & {"keyring", "configupdater", "twine", *FRAMEWORKS}, tops & {"keyring", "configupdater", "twine", *FRAMEWORKS}


def test_env_with_the_keyring_store_loads_keyring_only(cli_env, keyring_service):
    env = {**cli_env, **keyring_service.env, "PYPICREDS_STORE": "keyring"}
    assert run_cli(["add", "local", "--url", "http://127.0.0.1:9/t/", "--token-stdin"], env,
                   input=TOKEN).returncode == 0
    tops = command_imports(["env", "local"], env)
    assert "keyring" in tops
    # secretstorage itself needs cryptography (its D-Bus transport encryption): allow exactly
    # what a bare keyring.get_password with this backend imports
    bare = imported_by("import keyring; keyring.get_password('http://127.0.0.1:9/t/', '__token__')", env)
    extra = (tops - bare) & (HEAVY | FRAMEWORKS)
    assert not extra, extra
    assert not tops & {"configupdater", "twine", *FRAMEWORKS}, tops & {"configupdater", "twine", *FRAMEWORKS}


def test_add_loads_configupdater_only_to_edit_sections_in_place(cli_env, tmp_home):
    env = {**cli_env, "PYPICREDS_STORE": "file"}
    tops = command_imports(["add", "other", "--url", "http://127.0.0.1:9/o/", "--token-stdin"], env, TOKEN)
    assert "cryptography" in tops
    assert not tops & {"configupdater", "twine", "keyring"}, tops  # a new file: nothing to map
    (tmp_home / ".pypirc").write_text("[distutils]\nindex-servers =\n    mine\n\n[mine]\nusername = me\n")
    tops = command_imports(["add", "more", "--url", "http://127.0.0.1:9/m/", "--token-stdin"], env, TOKEN)
    assert "configupdater" in tops  # it maps [distutils] to add `more` to index-servers
    assert not tops & {"twine", "keyring"}, tops


@pytest.mark.parametrize("args", [["show", "local"], ["inspect", "local"], ["audit"], ["doctor"],
                                  ["remove", "local"], ["upload", "local", "--skip-check", "{wheel}"]])
def test_no_command_imports_twine_before_it_runs(file_env, args, tmp_path):
    """upload imports twine only to run it (its check, or its upload taking the process over):
    none of pypicreds' own work, which can still fail, pays for it."""
    from realparts import make_wheel

    wheel = make_wheel(tmp_path, "layering-demo", "1.0")
    # upload must get as far as the hand-over (exit 0 there); audit and doctor may exit 1 with findings
    tops = command_imports([a.format(wheel=wheel) for a in args], file_env, check=args[0] == "upload")
    assert "twine" not in tops, args


def test_yaml_is_loaded_only_by_audit_of_ci_files(file_env, tmp_path):
    """The YAML parser is the CI check's alone: audit loads it when there is a workflow to read,
    and no other command (nor audit of a project without CI files) pays for it."""
    project = tmp_path / "project"
    workflows = project / ".github" / "workflows"
    workflows.mkdir(parents=True)
    (workflows / "ci.yml").write_text("on: push\njobs: {}\n")
    assert "yaml" in command_imports(["audit", "--project-dir", str(project)], file_env, check=False)
    assert "yaml" not in command_imports(["audit", "--project-dir", str(tmp_path)], file_env, check=False)
    for args in (["env", "local"], ["list"], ["exec", "local", "--mask", "--", "true"], ["show", "local"]):
        assert "yaml" not in command_imports(args, file_env), args
