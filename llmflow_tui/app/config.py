"""User and workspace settings: ``~/.config/llmflow/config.toml`` then
``<workspace>/.llmflow/config.toml`` (the workspace wins)."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Config:
    theme: str = "ansi-dark"
    keys: dict[str, str] = field(default_factory=dict)
    stale_days: float = 7.0
    problems: list[str] = field(default_factory=list)  # messages about the config itself


def user_config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
    return Path(base) / "llmflow" / "config.toml"


def load_config(workspace: Path) -> Config:
    cfg = Config()
    for path in (user_config_path(), workspace / ".llmflow" / "config.toml"):
        if not path.is_file():
            continue
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            cfg.problems.append(f"{path}: {exc}")
            continue
        if isinstance(data.get("theme"), str):
            cfg.theme = data["theme"]
        if isinstance(data.get("keys"), dict):
            cfg.keys.update({str(k): str(v) for k, v in data["keys"].items()})
        if isinstance(data.get("stale_days"), int | float):
            cfg.stale_days = float(data["stale_days"])
    return cfg
