"""Settings read from the environment once, at process start-up, and passed down explicitly."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from profile_store.privacy import suppression_key
from rapport.origins import parse_origins

ROOT = Path(__file__).resolve().parent.parent
VAR = ROOT / "var"


def _default_database_url() -> str:
    return f"sqlite:///{VAR / 'rapport.db'}"


def _default_tracker_db_url() -> str:
    # The file endpoints.yml names for Rasa's SQL tracker store (var/tracker.db).
    return f"sqlite:///{VAR / 'tracker.db'}"


def _secret_from_file(path: Path) -> str:
    """Read the gateway's signing secret, creating it (untracked, under var/) on first use."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def _rest_token_from_file(env: dict[str, str]) -> str:
    """The REST token kept in RAPPORT_REST_TOKEN_FILE (created on first use, as `make run`
    does with var/rest_token); "" when no file is named: the endpoint is off."""
    path = env.get("RAPPORT_REST_TOKEN_FILE")
    return _secret_from_file(Path(path)) if path else ""


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
    # Other sites allowed to embed the web chat (the shop's own site), e.g.
    # ("https://shop.example.com",); the gateway's own pages are always allowed.
    webchat_origins: tuple[str, ...] = ()
    # REST: the bearer token callers send (empty: the endpoint is off). Token-less requests from
    # loopback peers are accepted only when allowed, for load tests on one machine.
    rest_token: str = ""
    rest_allow_loopback_without_token: bool = False
    # Web chat and REST: at most this many messages per sender in any window (0: no limit).
    burst_max_messages: int = 20
    burst_window_s: float = 10.0
    # Staff console: failed logins per account and per client address in a window, then 429.
    login_max_failures: int = 5
    login_max_failures_per_address: int = 20
    login_window_s: float = 900.0
    catalogue_path: Path = ROOT / "catalogue" / "demo.yml"
    rasa_timeout_s: float = 30.0
    shop_name: str = "The Gourmet Butcher"
    # How customers reach the gateway from outside (links in mails: one-click unsubscribe);
    # empty: http://<host>:<port>.
    public_url: str = ""
    # WhatsApp Cloud API (the channel is on when all four secrets are set).
    whatsapp_phone_number_id: str = ""
    whatsapp_access_token: str = ""
    whatsapp_app_secret: str = ""
    whatsapp_verify_token: str = ""
    whatsapp_api_base: str = "https://graph.facebook.com/v21.0"
    # The approved authentication template that carries a linking code outside the 24 hours.
    whatsapp_code_template: str = "link_code"
    # Email: inbound by SMTP listener and/or IMAP polling; outbound through a smarthost.
    email_address: str = ""  # the shop's address customers write to, e.g. shop@example.com
    smtp_listen_host: str = "127.0.0.1"
    smtp_listen_port: int = 0  # 0 = no SMTP listener
    imap_host: str = ""
    imap_port: int = 993
    imap_user: str = ""
    imap_password: str = ""
    imap_mailbox: str = "INBOX"
    imap_ssl: bool = True
    imap_poll_s: float = 30.0
    smtp_relay_host: str = ""
    smtp_relay_port: int = 587
    smtp_relay_user: str = ""
    smtp_relay_password: str = ""
    smtp_relay_starttls: bool = True
    email_max_bytes: int = 10_000_000  # larger mails are refused at SMTP level (552)
    email_max_per_sender_per_hour: int = 20  # beyond it a sender's mails get no answer
    # The relay's authserv-id: only its Authentication-Results are trusted ("" = the topmost).
    email_authserv_id: str = ""
    # Human handoff: when staff answer, in the shop's time zone.
    opening_hours: str = "Mon-Fri 09:00-18:00; Sat 09:00-13:00"
    timezone: str = "Europe/Paris"
    # Rasa's tracker database (the same as endpoints.yml's tracker_store): erasure and retention.
    tracker_db_url: str = field(default_factory=_default_tracker_db_url)
    # Transcripts (tracker events, message logs) older than this are pruned; 0: never.
    transcript_retention_days: int = 180
    # HMAC key of the hashes that outlive an erased customer (suppressed addresses, audit).
    suppression_key: str = ""
    # Production profile (rapport.cluster): this many Rasa processes behind HAProxy, sharing
    # the PostgreSQL tracker store and locking conversations in Redis at redis_url.
    rasa_replicas: int = 1
    redis_url: str = ""
    # ... and this many gateways behind it, sharing their state in Redis (channels/shared.py).
    gateway_replicas: int = 1
    # Rasa's event broker (RabbitMQ): every tracker event, kept for the figures (rapport.events).
    rabbitmq_url: str = ""

    @property
    def whatsapp_enabled(self) -> bool:
        return all(
            (
                self.whatsapp_phone_number_id,
                self.whatsapp_access_token,
                self.whatsapp_app_secret,
                self.whatsapp_verify_token,
            )
        )

    @property
    def email_enabled(self) -> bool:
        return bool(self.email_address and (self.smtp_listen_port or self.imap_host))

    @property
    def gateway_public_url(self) -> str:
        return self.public_url or f"http://{self.gateway_host}:{self.gateway_port}"

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
            webchat_origins=parse_origins(env.get("RAPPORT_WEBCHAT_ORIGINS", "")),
            rest_token=env.get("RAPPORT_REST_TOKEN") or _rest_token_from_file(env),
            rest_allow_loopback_without_token=env.get(
                "RAPPORT_REST_ALLOW_LOOPBACK_WITHOUT_TOKEN", "false"
            ).lower()
            in ("1", "true", "yes"),
            burst_max_messages=int(
                env.get("RAPPORT_BURST_MAX_MESSAGES", str(cls.burst_max_messages))
            ),
            burst_window_s=float(env.get("RAPPORT_BURST_WINDOW_S", str(cls.burst_window_s))),
            login_max_failures=int(
                env.get("RAPPORT_LOGIN_MAX_FAILURES", str(cls.login_max_failures))
            ),
            login_max_failures_per_address=int(
                env.get(
                    "RAPPORT_LOGIN_MAX_FAILURES_PER_ADDRESS",
                    str(cls.login_max_failures_per_address),
                )
            ),
            login_window_s=float(env.get("RAPPORT_LOGIN_WINDOW_S", str(cls.login_window_s))),
            catalogue_path=Path(env.get("RAPPORT_CATALOGUE", str(ROOT / "catalogue" / "demo.yml"))),
            rasa_timeout_s=float(env.get("RAPPORT_RASA_TIMEOUT", str(cls.rasa_timeout_s))),
            shop_name=env.get("RAPPORT_SHOP_NAME", cls.shop_name),
            public_url=env.get("RAPPORT_PUBLIC_URL", "").rstrip("/"),
            whatsapp_phone_number_id=env.get("WHATSAPP_PHONE_NUMBER_ID", ""),
            whatsapp_access_token=env.get("WHATSAPP_ACCESS_TOKEN", ""),
            whatsapp_app_secret=env.get("WHATSAPP_APP_SECRET", ""),
            whatsapp_verify_token=env.get("WHATSAPP_VERIFY_TOKEN", ""),
            whatsapp_api_base=env.get("WHATSAPP_API_BASE", cls.whatsapp_api_base).rstrip("/"),
            whatsapp_code_template=env.get("WHATSAPP_CODE_TEMPLATE", cls.whatsapp_code_template),
            email_address=env.get("RAPPORT_EMAIL_ADDRESS", ""),
            smtp_listen_host=env.get("RAPPORT_SMTP_LISTEN_HOST", cls.smtp_listen_host),
            smtp_listen_port=int(env.get("RAPPORT_SMTP_LISTEN_PORT", "0")),
            imap_host=env.get("RAPPORT_IMAP_HOST", ""),
            imap_port=int(env.get("RAPPORT_IMAP_PORT", str(cls.imap_port))),
            imap_user=env.get("RAPPORT_IMAP_USER", ""),
            imap_password=env.get("RAPPORT_IMAP_PASSWORD", ""),
            imap_mailbox=env.get("RAPPORT_IMAP_MAILBOX", cls.imap_mailbox),
            imap_ssl=env.get("RAPPORT_IMAP_SSL", "true").lower() in ("1", "true", "yes"),
            imap_poll_s=float(env.get("RAPPORT_IMAP_POLL_S", str(cls.imap_poll_s))),
            smtp_relay_host=env.get("RAPPORT_SMTP_RELAY_HOST", ""),
            smtp_relay_port=int(env.get("RAPPORT_SMTP_RELAY_PORT", str(cls.smtp_relay_port))),
            smtp_relay_user=env.get("RAPPORT_SMTP_RELAY_USER", ""),
            smtp_relay_password=env.get("RAPPORT_SMTP_RELAY_PASSWORD", ""),
            smtp_relay_starttls=env.get("RAPPORT_SMTP_RELAY_STARTTLS", "true").lower()
            in ("1", "true", "yes"),
            email_max_bytes=int(env.get("RAPPORT_EMAIL_MAX_BYTES", str(cls.email_max_bytes))),
            email_max_per_sender_per_hour=int(
                env.get(
                    "RAPPORT_EMAIL_MAX_PER_SENDER_PER_HOUR", str(cls.email_max_per_sender_per_hour)
                )
            ),
            email_authserv_id=env.get("RAPPORT_EMAIL_AUTHSERV_ID", ""),
            opening_hours=env.get("RAPPORT_OPENING_HOURS", cls.opening_hours),
            timezone=env.get("RAPPORT_TIMEZONE", cls.timezone),
            tracker_db_url=env.get("RAPPORT_TRACKER_DB_URL") or _default_tracker_db_url(),
            transcript_retention_days=int(
                env.get("RAPPORT_TRANSCRIPT_RETENTION_DAYS", str(cls.transcript_retention_days))
            ),
            suppression_key=suppression_key(env),
            rasa_replicas=int(env.get("RAPPORT_RASA_REPLICAS", str(cls.rasa_replicas))),
            redis_url=env.get("RAPPORT_REDIS_URL", ""),
            gateway_replicas=int(env.get("RAPPORT_GATEWAY_REPLICAS", str(cls.gateway_replicas))),
            rabbitmq_url=env.get("RAPPORT_RABBITMQ_URL", ""),
        )
