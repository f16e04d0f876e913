"""Settings read from the environment once, at process start-up, and passed down explicitly."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite:///{VAR / 'rapport.db'}"


def _secret_from_file(path: Path) -> str:
    """Read the gateway's signing secret, creating it (untracked, under var/) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


@dataclass(frozen=True)
class Settings:
    database_url: str = field(default_factory=_default_database_url)
    rasa_url: str = "http://127.0.0.1:5005"
    action_url: str = "http://127.0.0.1:5055"
    gateway_host: str = "127.0.0.1"
    gateway_port: int = 8080
    # HMAC key signing web chat session ids: a session id nobody was issued is refused.
    session_secret: str = ""
    max_message_chars: int = 2000
    catalogue_path: Path = ROOT / "catalogue" / "demo.yml"
    rasa_timeout_s: float = 30.0
    shop_name: str = "The Gourmet Butcher"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        env = dict(os.environ if env is None else env)
        secret = env.get("RAPPORT_SESSION_SECRET") or _secret_from_file(VAR / "session_secret")
        return cls(
            database_url=env.get("RAPPORT_DATABASE_URL") or _default_database_url(),
            rasa_url=env.get("RAPPORT_RASA_URL", cls.rasa_url).rstrip("/"),
            action_url=env.get("RAPPORT_ACTION_URL", cls.action_url).rstrip("/"),
            gateway_host=env.get("RAPPORT_HOST", cls.gateway_host),
            gateway_port=int(env.get("RAPPORT_PORT", str(cls.gateway_port))),
            session_secret=secret,
            max_message_chars=int(env.get("RAPPORT_MAX_MESSAGE_CHARS", str(cls.max_message_chars))),
            catalogue_path=Path(env.get("RAPPORT_CATALOGUE", str(ROOT / "catalogue" / "demo.yml"))),
            rasa_timeout_s=float(env.get("RAPPORT_RASA_TIMEOUT", str(cls.rasa_timeout_s))),
            shop_name=env.get("RAPPORT_SHOP_NAME", cls.shop_name),
        )
