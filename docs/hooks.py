"""MkDocs hooks: generate the command reference from the CLI on every build.

`on_config` fills the "Command reference" nav section, `on_files` adds the pages. Nothing is
written into docs/, so there is nothing to go stale.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from mkdocs.structure.files import File

NAV_TITLE = "Command reference"


def _generator():
    path = Path(__file__).with_name("gen_reference.py")
    spec = importlib.util.spec_from_file_location("pypicreds_docs_gen_reference", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_pages: dict[str, str] = {}


def on_config(config):
    _pages.clear()
    _pages.update(_generator().reference_pages())
    commands = [
        {path.removeprefix("commands/").removesuffix(".md").replace("-", " "): path}
        for path in _pages
        if path != "commands/index.md"
    ]
    for item in config.nav or []:
        if isinstance(item, dict) and NAV_TITLE in item:
            item[NAV_TITLE] = ["commands/index.md", *commands]
    return config


def on_files(files, config):
    for path, text in _pages.items():
        files.append(File.generated(config, path, content=text))
    return files
