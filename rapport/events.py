"""`python -m rapport.events`: keep Rasa's events, read from RabbitMQ, in the profile store.

Rasa publishes every tracker event to a fanout exchange bound to a durable queue
(endpoints.yml `event_broker`, see rapport.processes.broker_endpoint); this consumer takes
them a few at a time and acknowledges each only once its line is committed
(profile_store.analytics): a consumer that dies leaves what it had not committed in the queue
for its next start, and an event delivered twice is kept once. An event that cannot be read is
logged and dropped, not retried for ever; a database that fails puts the event back and waits
before trying again.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections import Counter

import aio_pika
from aio_pika.abc import AbstractIncomingMessage
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from profile_store.analytics import Recorded, record_rasa_event
from profile_store.db import make_engine, make_sessionmaker
from rapport.processes import EVENTS_QUEUE as QUEUE
from rapport.settings import Settings

log = logging.getLogger("rapport.events")

PREFETCH = 32
RETRY_PAUSE_S = 2.0
REPORT_EVERY = 500  # events between two progress lines in the log


def _record(sessions: sessionmaker[Session], body: bytes) -> Recorded:
    with sessions.begin() as session:
        return record_rasa_event(session, body)


async def consume(url: str, sessions: sessionmaker[Session], stop: asyncio.Event) -> Counter[str]:
    """Take events until `stop` is set; how many of each outcome."""
    counts: Counter[str] = Counter()
    connection = await aio_pika.connect_robust(url)
    async with connection:
        channel = await connection.channel()
        await channel.set_qos(prefetch_count=PREFETCH)
        queue = await channel.declare_queue(QUEUE, durable=True)

        async def handle(message: AbstractIncomingMessage) -> None:
            try:
                outcome = await asyncio.to_thread(_record, sessions, message.body)
            except SQLAlchemyError as exc:
                log.warning("the profile store failed (%s); the event goes back to the queue", exc)
                await asyncio.sleep(RETRY_PAUSE_S)
                await message.nack(requeue=True)
                return
            if outcome is Recorded.MALFORMED:
                log.warning("dropped an event that could not be read: %r", message.body[:200])
            await message.ack()
            counts[outcome.value] += 1
            if sum(counts.values()) % REPORT_EVERY == 0:
                log.info("events so far: %s", dict(counts))

        tag = await queue.consume(handle)
        log.info("taking Rasa's events from the queue %r", QUEUE)
        await stop.wait()
        await queue.cancel(tag)
    return counts


def main() -> None:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = Settings.from_env()
    if not settings.rabbitmq_url:
        raise SystemExit("set RAPPORT_RABBITMQ_URL (amqp://user:pass@host:5672/) to take events")
    engine = make_engine(settings.database_url)

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        counts = await consume(settings.rabbitmq_url, make_sessionmaker(engine), stop)
        log.info("stopped; events taken: %s", dict(counts))

    try:
        asyncio.run(run())
    finally:
        engine.dispose()


if __name__ == "__main__":
    main()
