"""audit's checks of a project's CI configuration: uploads that take a long-lived PyPI token from
a stored secret, tokens written into CI files, jobs that could use Trusted Publishing today.

Finding ids (docs/json.md): `ci-long-lived-token` (warning), `ci-token-in-file` (error),
`ci-trusted-publishing-ready` (info), `ci-invalid-yaml`, `ci-unreadable-file` and
`ci-include-not-found` (warnings). Messages name files, lines, jobs and secret names, never a
token (a token in a file is named by its id and fingerprint, as `scan` does).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from .ci_files import GITHUB, CiFile, find
from .findings import ERROR, INFO, WARNING, Finding
from .scan import scan_bytes
from .yamlnodes import items, line, mapping, scalar, strings, text_lines

ADD_PUBLISHER = "https://docs.pypi.org/trusted-publishers/adding-a-publisher/"
REVOKE = "https://pypi.org/manage/account/token/"

# Variables through which publishers take a PyPI password or token (notes/publishers.md).
PASSWORD_VARIABLE = re.compile(
    r"TWINE_PASSWORD|UV_PUBLISH_TOKEN|UV_PUBLISH_PASSWORD|POETRY_PYPI_TOKEN_\w+|POETRY_HTTP_BASIC_\w+_PASSWORD"
    r"|FLIT_PASSWORD|PDM_PUBLISH_PASSWORD|HATCH_INDEX_AUTH"
)
# Where the upload goes, when it is set next to the password: a private index has no Trusted Publishing.
URL_VARIABLES = ("TWINE_REPOSITORY_URL", "UV_PUBLISH_URL", "FLIT_INDEX_URL", "HATCH_INDEX_REPO")
# Actions that take a PyPI token as an input.
PUBLISH_ACTIONS = {"pypa/gh-action-pypi-publish": ("password",), "jrubics/poetry-publish": ("pypi_token",)}
# How a value names another: ${{ secrets.X }} (GitHub expressions), $X or ${X} (a shell, GitLab).
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
STORED = re.compile(r"\b(secrets|vars)\.([A-Za-z0-9_-]+)")
ENV_REF = re.compile(r"\benv\.([A-Za-z0-9_]+)")
SHELL_REF = re.compile(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)")
ASSIGNED = re.compile(r"(?:^|[\s;&|(])(?:export\s+|local\s+|readonly\s+)?([A-Za-z_][A-Za-z0-9_]*)=")
PUBLISH_COMMAND = re.compile(r"\b(twine\s+upload|uv\s+publish|poetry\s+publish|hatch\s+publish|pdm\s+publish)\b")
PASSWORD_OPTION = re.compile(r"(?:^|\s)(-p|--password|--token|-t|-a|--auth|-P)(?:=|\s|$)")
SECRET_INTO = re.compile(
    rf"\b({PASSWORD_VARIABLE.pattern})=|poetry\s+config\s+(pypi-token\.|http-basic\.)|(?<![-\w])password\s*[=:]",
    re.I,
)


class Sources:
    """Tells whether a value comes from a stored secret, and names it (`secrets.PYPI_TOKEN`,
    `$PYPI_TOKEN`); None for literals, values made in the job itself (a token minted by Trusted
    Publishing, an OIDC ID token) and the CI system's own short-lived tokens.

    GitHub: a `secrets.` or `vars.` expression, directly or through `env.X` / `$X` of the env
    in effect. GitLab: a `$X` the file does not define (a CI/CD variable from the settings),
    or one it defines from such a variable."""

    def __init__(self, github: bool, env: dict, made_here: set[str] = frozenset()) -> None:
        self.github, self.env, self.made_here = github, env, made_here

    def of(self, node) -> str | None:
        return self.text(scalar(mapping(node).get("value", node)) or "")

    def text(self, text: str, depth: int = 0) -> str | None:
        if depth > 4:
            return None
        names = []
        for expression in EXPRESSION.findall(text):
            stored = STORED.search(expression)
            if stored and stored.group(2) != "GITHUB_TOKEN":
                return f"{stored.group(1)}.{stored.group(2)}"
            names += ENV_REF.findall(expression)
        for name in names + SHELL_REF.findall(EXPRESSION.sub("", text)):
            if name in self.env:
                found = self.of_name(name, depth)
                if found:
                    return found
            elif not self.github and name not in self.made_here and not name.startswith(("CI_", "GITLAB_")):
                return f"${name}"
        return None

    def of_name(self, name: str, depth: int) -> str | None:
        value = self.env[name]
        return self.text(scalar(mapping(value).get("value", value)) or "", depth + 1)


def ci_findings(root: Path) -> list[Finding]:
    files, missing = find(root)
    out: list[Finding] = []
    for ci in files:
        out += _token_findings(ci)
        if ci.unreadable:
            out.append(Finding(
                "ci-unreadable-file", WARNING, str(ci.path), None, f"this CI file {ci.error}",
                "make it a readable file of the project; until then audit cannot check how it uploads",
            ))
        elif ci.error is not None:
            out.append(Finding(
                "ci-invalid-yaml", WARNING, str(ci.path), ci.error_line, f"this CI file {ci.error}",
                "fix it (the CI system rejects it too); until then audit cannot check how it uploads",
            ))
    for gap in missing:
        out.append(Finding(
            "ci-include-not-found", WARNING, str(gap.path), gap.line,
            f"the local include {gap.target!r} was not read: {gap.reason}",
            "point it at a file inside the project (audit checks what the pipeline would include)",
        ))
    out += _github_findings([f for f in files if f.kind == GITHUB and f.error is None])
    out += _gitlab_findings([f for f in files if f.kind != GITHUB and f.error is None])
    return out


def _token_findings(ci: CiFile) -> list[Finding]:
    return [Finding(
        "ci-token-in-file", ERROR, str(ci.path), hit.line,
        f"a PyPI token for {hit.host} (id {hit.token_id}, fingerprint {hit.fingerprint}) is written in this CI file",
        f"revoke it now ({REVOKE}): it is in the repository's history for good; then publish with Trusted "
        f"Publishing ({ADD_PUBLISHER}), or keep a token in the CI system's secret store",
    ) for hit in scan_bytes(ci.data, str(ci.path))]


@dataclass
class _Use:
    """One place where a job takes a long-lived token."""

    line: int
    what: str  # "sets TWINE_PASSWORD from secrets.PYPI_TOKEN"
    source: str  # the secret: "secrets.PYPI_TOKEN", "$PYPI_TOKEN"


# --------------------------------------------------------------------------- GitHub Actions


def _github_findings(files: list[CiFile]) -> list[Finding]:
    out = []
    for ci in files:
        for document in ci.documents:
            workflow = mapping(document)
            top_env = mapping(workflow.get("env"))
            top_ready = _id_token_write(workflow.get("permissions"))
            uses = [] if _private_index(top_env) else _env_uses(top_env, Sources(True, top_env))
            out += _report(ci, uses, "the workflow's env", top_ready, _github_fix(ci.path, None, top_ready is not None))
            for name, node in mapping(workflow.get("jobs")).items():
                job = mapping(node)
                ready = _id_token_write(job["permissions"]) if "permissions" in job else top_ready
                uses = _github_job_uses(job, top_env)
                out += _report(ci, uses, f"job {name!r}", ready, _github_fix(ci.path, name, ready is not None))
    return out


def _github_job_uses(job: dict, top_env: dict) -> list[_Use]:
    job_env = {**top_env, **mapping(job.get("env"))}
    uses = [] if _private_index(job_env) else _env_uses(mapping(job.get("env")), Sources(True, job_env))
    for name, value in mapping(job.get("secrets")).items():  # passed on to a reusable workflow
        source = Sources(True, job_env).of(value)
        if source and "PYPI" in name.upper():
            uses.append(_Use(line(value), f"passes {source} to the reusable workflow as {name}", source))
    for step_node in items(job.get("steps")):
        step = mapping(step_node)
        own_env = mapping(step.get("env"))
        env = {**job_env, **own_env}
        if _private_index(env):
            continue
        sources = Sources(True, env)
        uses += _env_uses(own_env, sources)
        action = (scalar(step.get("uses")) or "").split("@")[0].lower()
        inputs = mapping(step.get("with"))
        url = inputs.get("repository-url") or inputs.get("repository_url")
        if action in PUBLISH_ACTIONS and not _private_index({"url": url}):
            for key in PUBLISH_ACTIONS[action]:
                source = sources.of(inputs.get(key))
                if source:
                    uses.append(_Use(line(inputs[key]), f"gives {source} to {action} as `{key}:`", source))
        uses += _script_uses(text_lines(step.get("run")), sources)
    return uses


def _id_token_write(permissions) -> int | None:
    """The line that grants `id-token: write` (or write-all), else None."""
    if scalar(permissions) == "write-all":
        return line(permissions)
    grant = mapping(permissions).get("id-token")
    return line(grant) if scalar(grant) == "write" else None


def _github_fix(path: Path, job: str | None, ready: bool) -> str:
    where = f"job {job!r}" if job else "the publishing job"
    return (f"switch to Trusted Publishing: on PyPI, add a GitHub Actions trusted publisher for this repository "
            f"and workflow {path.name} ({ADD_PUBLISHER}), "
            + ("" if ready else f"give {where} `permissions: id-token: write`, ")
            + "then remove the token from the workflow and delete the secret (pypa/gh-action-pypi-publish, twine, "
            "uv and pdm publish with Trusted Publishing when given no token)")


# --------------------------------------------------------------------------- GitLab CI


GITLAB_KEYWORDS = {"default", "include", "stages", "variables", "workflow", "image", "services", "before_script",
                   "after_script", "cache", "spec"}


def _gitlab_findings(files: list[CiFile]) -> list[Finding]:
    """The files of one pipeline (.gitlab-ci.yml and its includes) read as one configuration."""
    top_env: dict = {}
    default: dict = {}
    jobs: dict[str, tuple[CiFile, dict]] = {}
    pipeline: list[tuple[CiFile, dict]] = []
    for ci in files:
        for document in ci.documents:
            config = mapping(document)
            top_env.update(mapping(config.get("variables")))
            default.update(mapping(config.get("default")))
            pipeline.append((ci, config))
            for name, node in config.items():
                if name not in GITLAB_KEYWORDS and getattr(node, "id", None) == "mapping":
                    jobs[name] = (ci, mapping(node))
    default_ready = _aud_pypi(default.get("id_tokens"))
    fix = _gitlab_fix(None, default_ready is not None)
    out = []
    for ci, config in pipeline:
        sources = Sources(False, top_env)
        uses = _env_uses(mapping(config.get("variables")), sources)
        for key in ("before_script", "after_script"):
            uses += _script_uses(_script_lines(config.get(key)), sources)
        out += _report(ci, uses, "the pipeline", default_ready, fix)
    for name, (ci, job) in jobs.items():
        env = {**top_env, **mapping(job.get("variables"))}
        lines = [pair for key in ("before_script", "script", "after_script") for pair in _script_lines(job.get(key))]
        made_here = {m for text, _ in lines for m in ASSIGNED.findall(text)}
        made_here |= set(mapping(job.get("id_tokens"))) | set(mapping(default.get("id_tokens")))
        sources = Sources(False, env, made_here)
        uses = _env_uses(mapping(job.get("variables")), sources) + _script_uses(lines, sources)
        ready = _inherited(name, jobs, lambda j: _aud_pypi(j.get("id_tokens"))) or default_ready
        out += _report(ci, uses, f"job {name!r}", ready, _gitlab_fix(name, ready is not None))
    return out


def _inherited(name: str, jobs: dict, look, depth: int = 0):
    """What `look` finds in a job or, through `extends:`, in the jobs it extends."""
    job = jobs[name][1]
    found = look(job)
    if found is None and depth < 8:
        for parent in items(job.get("extends")):
            if scalar(parent) in jobs:
                found = _inherited(scalar(parent), jobs, look, depth + 1)
                if found is not None:
                    break
    return found


def _aud_pypi(id_tokens) -> int | None:
    """The line of an `id_tokens:` entry whose audience is PyPI's (`pypi`, `testpypi`)."""
    for token in mapping(id_tokens).values():
        for aud in items(mapping(token).get("aud")):
            if (scalar(aud) or "").lower() in ("pypi", "testpypi"):
                return line(aud)
    return None


def _script_lines(node) -> list[tuple[str, int]]:
    return [pair for item in strings(node) for pair in text_lines(item)]


def _gitlab_fix(job: str | None, ready: bool) -> str:
    where = f"job {job!r}" if job else "the publishing job"
    return ("switch to Trusted Publishing: on PyPI, add a GitLab CI/CD trusted publisher for this project and its "
            f".gitlab-ci.yml ({ADD_PUBLISHER}), "
            + ("" if ready else f"give {where} `id_tokens: {{PYPI_ID_TOKEN: {{aud: pypi}}}}`, ")
            + "then drop the password (twine and uv find the ID token) and delete the CI/CD variable")


# --------------------------------------------------------------------------- shared


def _env_uses(env: dict, sources: Sources) -> list[_Use]:
    uses = []
    for name, value in env.items():
        source = sources.of(value) if PASSWORD_VARIABLE.fullmatch(name) else None
        if source:
            uses.append(_Use(line(value), f"sets {name} from {source}", source))
    return uses


def _script_uses(lines: list[tuple[str, int]], sources: Sources) -> list[_Use]:
    """Script lines that pass a stored secret to a publisher: as its password option, in one of
    its variables, into `poetry config pypi-token`, or into a `password =` (a .pypirc)."""
    uses = []
    pending, first = "", 0
    for text, number in lines:
        if not pending:
            first = number
        text = pending + text
        if text.rstrip().endswith("\\"):  # a command continued on the next line
            pending = text.rstrip()[:-1] + " "
            continue
        pending = ""
        if _elsewhere(text):
            continue
        if SECRET_INTO.search(text) or (PUBLISH_COMMAND.search(text) and PASSWORD_OPTION.search(text)):
            source = sources.text(text)
            if source:
                uses.append(_Use(first, f"passes {source} to the upload in its script", source))
    return uses


def _elsewhere(command: str) -> bool:
    """A command line that uploads to an index other than PyPI's: a literal URL of another host,
    or GitLab's own package registry."""
    if "CI_API_V4_URL" in command:
        return True
    hosts = re.findall(r"https?://([^/\s'\"]+)", command)
    return bool(hosts) and not any("pypi.org" in host for host in hosts)


def _private_index(env: dict) -> bool:
    """An upload URL set to an index other than PyPI's (no Trusted Publishing there)."""
    for name in (*URL_VARIABLES, "url"):
        url = scalar(env.get(name)) or ""
        if url.startswith(("http://", "https://")) and "pypi.org" not in url.split("/")[2]:
            return True
    return False


def _report(ci: CiFile, uses: list[_Use], who: str, ready: int | None, fix: str) -> list[Finding]:
    out = [Finding("ci-long-lived-token", WARNING, str(ci.path), use.line,
                   f"{who} uploads with a long-lived token: it {use.what}", fix) for use in uses]
    if uses and ready is not None:
        secrets = " and ".join(dict.fromkeys(u.source for u in uses))
        out.append(Finding(
            "ci-trusted-publishing-ready", INFO, str(ci.path), ready,
            f"{who} can already get an OIDC token for PyPI: once PyPI trusts it, {secrets} can go",
            f"add the trusted publisher on PyPI ({ADD_PUBLISHER}), then delete the secret",
        ))
    return out
