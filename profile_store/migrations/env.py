"""Alembic environment: runs migrations against the URL the caller configured."""

from __future__ import annotations

from alembic import context

import profile_store.analytics  # noqa: F401  (events from Rasa's broker)
import profile_store.audit  # noqa: F401  (the access audit)
import profile_store.email  # noqa: F401  (the email channel's tables)
import profile_store.handoff  # noqa: F401  (human handoff's tables)
import profile_store.linking  # noqa: F401  (link requests and the link/unlink log)
import profile_store.messages  # noqa: F401  (registers its tables on Base.metadata)
import profile_store.privacy  # noqa: F401  (former senders, suppression, erasure audit)
from profile_store.db import make_engine
from profile_store.models import Base

config = context.config
target_metadata = Base.metadata


def run_migrations_offline() -> None:
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    url = config.get_main_option("sqlalchemy.url")
    assert url, "sqlalchemy.url must be set by profile_store.db.alembic_config"
    engine = make_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            # SQLite cannot ALTER most things; batch mode rebuilds tables instead.
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
