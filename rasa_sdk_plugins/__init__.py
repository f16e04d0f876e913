"""rasa-sdk's plugin hook (rasa_sdk/plugin.py imports this package by name when it exists).

It only hands the action server's Sanic app to Rapport's readiness (bot/actions/readiness.py):
heavy models load at start-up and /health says "loading" until they have.
"""

from __future__ import annotations

import pluggy
from sanic import Sanic

hookimpl = pluggy.HookimplMarker("rasa_sdk")


class _Rapport:
    @hookimpl
    def attach_sanic_app_extensions(self, app: Sanic) -> None:
        from bot.actions.readiness import attach

        attach(app)


def init_hooks(manager: pluggy.PluginManager) -> None:
    manager.register(_Rapport())
