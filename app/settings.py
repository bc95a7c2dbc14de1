"""Settings from environment variables, then the settings file, then defaults."""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs

APP_NAME = "vip-desktop"


@dataclass(frozen=True)
class Settings:
    data_dir: Path
    log_dir: Path
    config_file: Path
    mongo_uri: str | None  # None: start/share the embedded FerretDB
    db_name: str
    redis_url: str | None  # None: SqliteHuey in the data dir
    workers: int
    ferretdb: str | None  # explicit path to the ferretdb binary
    heartbeat_s: float
    stale_after_s: float
    stage_lanes: int = 2  # independent stages of one job that run side by side (speech beside the visual stages)
    openai_base_url: str = "https://api.openai.com/v1"  # any OpenAI-compatible endpoint (Ollama, vLLM, …)
    gemini_base_url: str = "https://generativelanguage.googleapis.com/v1beta"

    @property
    def media_dir(self) -> Path:
        return self.data_dir / "media"

    @property
    def queue_dir(self) -> Path:
        return self.data_dir / "queue"

    @classmethod
    def load(cls, env: Mapping[str, str] | None = None) -> Settings:
        env = os.environ if env is None else env
        if env.get("VIP_DATA_DIR"):
            data_dir = Path(env["VIP_DATA_DIR"]).expanduser().absolute()
            log_dir = data_dir / "logs"
            config_file = data_dir / "settings.toml"
        else:
            data_dir = Path(platformdirs.user_data_dir(APP_NAME))
            log_dir = Path(platformdirs.user_log_dir(APP_NAME))
            config_file = Path(platformdirs.user_config_dir(APP_NAME)) / "settings.toml"
        file_values = _read_file(config_file)

        def pick(key: str, default: Any = None) -> Any:
            env_key = "VIP_" + key.upper()
            if env.get(env_key):
                return env[env_key]
            return file_values.get(key, default)

        return cls(
            data_dir=data_dir,
            log_dir=Path(env["VIP_LOG_DIR"]) if env.get("VIP_LOG_DIR") else log_dir,
            config_file=config_file,
            mongo_uri=pick("mongo_uri"),
            db_name=pick("db_name", "vip"),
            redis_url=pick("redis_url"),
            workers=max(1, int(pick("workers", os.cpu_count() or 1))),
            ferretdb=pick("ferretdb"),
            heartbeat_s=float(pick("heartbeat_s", 2.0)),
            stale_after_s=float(pick("stale_after_s", 30.0)),
            stage_lanes=max(1, int(pick("stage_lanes", 2))),
            openai_base_url=str(pick("openai_base_url", "https://api.openai.com/v1")),
            gemini_base_url=str(pick("gemini_base_url", "https://generativelanguage.googleapis.com/v1beta")),
        )


def _read_file(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        return {}
    except tomllib.TOMLDecodeError as exc:
        raise SystemExit(f"Settings file {path} is not valid TOML: {exc}. Fix or delete it.") from exc
