"""`python -m channels`: run the gateway on settings.gateway_host:gateway_port."""

from __future__ import annotations

import logging

from aiohttp import web

from channels.app import create_app
from rapport.origins import BadOrigin
from rapport.settings import Settings

log = logging.getLogger("channels")
# On SIGTERM (a deploy, a restart) requests in flight get this long to finish before sockets are
# closed: a web chat customer sees the reconnect, WhatsApp and email messages are taken again
# from the provider's retry or the mailbox, each once (aiohttp's default waits a minute).
SHUTDOWN_GRACE_S = 5.0


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    try:
        settings = Settings.from_env()
    except BadOrigin as exc:
        raise SystemExit(f"RAPPORT_WEBCHAT_ORIGINS: {exc}") from exc
    app = create_app(settings)
    log.info(
        "Web chat: http://%s:%d/  (Rasa at %s)",
        settings.gateway_host,
        settings.gateway_port,
        settings.rasa_url,
    )
    web.run_app(
        app,
        host=settings.gateway_host,
        port=settings.gateway_port,
        print=None,
        shutdown_timeout=SHUTDOWN_GRACE_S,
    )


if __name__ == "__main__":
    main()
