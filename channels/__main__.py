"""`python -m channels [--port N] [--replica K]`: run the gateway on settings.gateway_host and
gateway_port (or --port). A replica after the first (--replica 2, 3 ...) leaves the SMTP
listener to the first: one machine's port can be bound once (rapport.cluster)."""

from __future__ import annotations

import argparse
import dataclasses
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
    parser = argparse.ArgumentParser(prog="python -m channels", description=__doc__)
    parser.add_argument("--port", type=int, help="listen here instead of RAPPORT_PORT")
    parser.add_argument("--replica", type=int, default=1, help="which replica this is (1, 2 ...)")
    args = parser.parse_args()
    try:
        settings = Settings.from_env()
    except BadOrigin as exc:
        raise SystemExit(f"RAPPORT_WEBCHAT_ORIGINS: {exc}") from exc
    if args.port:
        settings = dataclasses.replace(settings, gateway_port=args.port)
    if args.replica > 1:
        settings = dataclasses.replace(settings, smtp_listen_port=0)
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
