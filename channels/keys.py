"""Typed keys for what the gateway keeps on its aiohttp application."""

from __future__ import annotations

import aiohttp
import socketio
from aiohttp import web
from redis.asyncio import Redis
from sqlalchemy.orm import Session, sessionmaker

from channels.conversation import ConversationContext
from channels.rasa_client import RasaClient
from rapport.settings import Settings

settings_key = web.AppKey("settings", Settings)
sessionmaker_key = web.AppKey("sessionmaker", sessionmaker[Session])
http_client_key = web.AppKey("http_client", aiohttp.ClientSession)
rasa_key = web.AppKey("rasa", RasaClient)
conversation_key = web.AppKey("conversation", ConversationContext)
sio_key = web.AppKey("sio", socketio.AsyncServer)
# The Redis that gateway replicas share (RAPPORT_REDIS_URL); absent for one gateway on its own.
redis_key = web.AppKey("redis", Redis)
