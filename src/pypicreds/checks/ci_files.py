"""A project's CI configuration, read for `audit`: GitHub Actions workflows
(`.github/workflows/*.yml|yaml`) and `.gitlab-ci.yml` with its local includes.

Invariants:
- YAML is only composed, with PyYAML's safe loader (libyaml's when built in), never
  constructed into objects: no tag can run code, GitLab's `!reference` tags and GitHub's `on:`
  key stay as written, and every node keeps its line. yaml is imported here only, and only
  when there is a file to read.
- Nothing outside the project directory is read: a local include that leads out of it (`..`, a
  symlink) is reported, not followed; so is one that matches no file. At most MAX_FILES files of
  at most MAX_BYTES each.
- A file that cannot be read or parsed comes back with `error` set, never as an exception.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UsageError

MAX_BYTES = 1_000_000
MAX_FILES = 200
GITHUB, GITLAB = "github", "gitlab"


@dataclass
class CiFile:
    path: Path
    kind: str  # GITHUB or GITLAB
    data: bytes = b""  # the raw bytes (searched for tokens even when the YAML is broken)
    documents: list = field(default_factory=list)  # composed yaml nodes, one per document
    error: str | None = None  # why it could not be read (unreadable) or parsed
    error_line: int | None = None
    unreadable: bool = False


@dataclass
class MissingInclude:
    path: Path  # the file whose `include:` names it
    line: int
    target: str
    reason: str


def project_dir(given: Path | None) -> Path | None:
    """`--project-dir`, else the top of the git work tree the current directory is in, else None."""
    if given is not None:
        try:
            is_dir = given.is_dir()
        except OSError as e:  # (no permission to look: is_dir says False only for a missing path)
            raise UsageError(f"{given}: cannot be read: {e.strerror or e}",
                             hint="give --project-dir a directory you can read") from None
        if not is_dir:
            raise UsageError(f"{given}: no such directory", hint="give the project's top directory to --project-dir")
        return Path(os.path.abspath(given))
    try:
        here = Path.cwd()
    except OSError:  # the current directory was removed
        return None
    for directory in (here, *here.parents):
        try:
            if (directory / ".git").exists():  # a directory, or a file in a worktree or submodule
                return directory
        except OSError:  # a directory we may not search: the search stops there
            return None
    return None


def find(root: Path) -> tuple[list[CiFile], list[MissingInclude]]:
    """Every CI file of the project at `root`, parsed, and the local includes that were not found."""
    files: list[CiFile] = []
    inside = _real(root) or root
    workflows = root / ".github" / "workflows"
    if _looked_at(workflows, GITHUB, files, Path.is_dir):
        try:
            names = sorted(p for p in workflows.iterdir() if p.suffix in (".yml", ".yaml") and p.is_file())
        except OSError as e:
            names = []
            files.append(CiFile(workflows, GITHUB, error=f"cannot be listed: {e.strerror or e}", unreadable=True))
        files += [load(p, GITHUB, inside) for p in names[:MAX_FILES]]
    missing: list[MissingInclude] = []
    gitlab = root / ".gitlab-ci.yml"
    if _looked_at(gitlab, GITLAB, files, Path.is_file):
        files += _gitlab_with_includes(root, gitlab, missing)
    return files, missing


def _looked_at(path: Path, kind: str, files: list[CiFile], test) -> bool:
    """`test(path)` (Path.is_dir or is_file); a path a directory on the way keeps us from looking
    at (no permission) is an unreadable CI file, not an exception."""
    try:
        return test(path)
    except OSError as e:
        files.append(CiFile(path, kind, error=f"cannot be read: {e.strerror or e}", unreadable=True))
        return False


def load(path: Path, kind: str, inside: Path) -> CiFile:
    ci = CiFile(path, kind, unreadable=True)
    real = _real(path)
    if real is None or not real.is_relative_to(inside):
        ci.error = "is a link to a file outside the project directory: not read"
        return ci
    try:
        with open(path, "rb") as f:
            ci.data = f.read(MAX_BYTES + 1)
    except OSError as e:
        ci.error = f"cannot be read: {e.strerror or e}"
        return ci
    if len(ci.data) > MAX_BYTES:
        ci.error = f"is larger than {MAX_BYTES:,} bytes: not read"
        ci.data = b""
        return ci
    ci.unreadable = False
    import yaml

    try:
        ci.documents = [d for d in yaml.compose_all(ci.data, Loader=_loader(yaml)) if d is not None]
    except yaml.MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        ci.error = f"is not valid YAML: {e.problem or e.context}"
        ci.error_line = mark.line + 1 if mark is not None else None
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as e:
        ci.error = f"is not valid YAML: {str(e).splitlines()[0] if str(e) else type(e).__name__}"
    if ci.error is None and not any(isinstance(d, yaml.MappingNode) for d in ci.documents):
        ci.error = "is not valid CI configuration: its top level is not a mapping"
        ci.error_line = 1
    return ci


def _loader(yaml):
    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _gitlab_with_includes(root: Path, top: Path, missing: list[MissingInclude]) -> list[CiFile]:
    """.gitlab-ci.yml and, breadth first, every local file it includes (once each)."""
    inside = _real(root) or root
    queue = [top]
    seen = {_real(top)}
    files = []
    while queue and len(files) < MAX_FILES:
        ci = load(queue.pop(0), GITLAB, inside)
        files.append(ci)
        for target, line in local_includes(ci):
            matches, reason = _resolve(root, inside, target)
            if not matches:
                missing.append(MissingInclude(ci.path, line, target, reason))
            for path in matches:
                if _real(path) not in seen:
                    seen.add(_real(path))
                    queue.append(path)
    return files


def local_includes(ci: CiFile) -> list[tuple[str, int]]:
    """(path, line) of each `include:` of this file that is local (not remote, project,
    template or component)."""
    from .yamlnodes import items, mapping, scalar

    found = []
    for document in ci.documents:
        include = mapping(document).get("include")
        if include is None:
            continue
        for entry in items(include):
            text = scalar(entry)
            if text is not None:  # a bare string: local unless it is a URL
                if not text.startswith(("http://", "https://")):
                    found.append((text, entry.start_mark.line + 1))
                continue
            local = mapping(entry).get("local")
            if scalar(local) is not None:
                found.append((scalar(local), local.start_mark.line + 1))
    return found


def _resolve(root: Path, inside: Path, target: str) -> tuple[list[Path], str]:
    """The files a local include names (GitLab: relative to the project root, `*` and `**`
    wildcards), and why there are none."""
    if "$" in target:
        return [], "it uses a variable, which only the pipeline can expand"
    pattern = target.lstrip("/")
    candidates = _wildcard_matches(root, pattern) if "*" in pattern else [root / pattern]
    found, outside = [], False
    for path in candidates:
        real = _real(path)
        if real is None:
            continue
        if not real.is_relative_to(inside):
            outside = True
        elif real.suffix in (".yml", ".yaml") and _maybe_file(real):
            found.append(path)
    if found:
        return found, ""
    return [], ("it leads outside the project directory" if outside else "no such file in the project")


def _maybe_file(path: Path) -> bool:
    try:
        return path.is_file()
    except OSError:  # no permission to look: load() reports it as an unreadable file
        return True


def _real(path: Path) -> Path | None:
    """Where `path` really is (links followed), or None for a loop of links."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return None


def _wildcard_matches(root: Path, pattern: str) -> list[Path]:
    """Files under `root` whose relative path matches a GitLab wildcard: `**` any characters,
    `*` any but `/` (`ci/**.yml` is every .yml below ci/)."""
    import re

    rule = re.compile("".join(".*" if part == "**" else "[^/]*" if part == "*" else re.escape(part)
                              for part in re.split(r"(\*\*|\*)", pattern)))
    base = root / pattern[: pattern.find("*")].rpartition("/")[0]
    found: list[Path] = []
    for directory, dirs, names in os.walk(base):
        dirs[:] = sorted(d for d in dirs if d != ".git")
        for name in sorted(names):
            path = Path(directory, name)
            if rule.fullmatch(path.relative_to(root).as_posix()):
                found.append(path)
        if len(found) >= MAX_FILES:
            break
    return found
