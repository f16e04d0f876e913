"""Human handoff: the conversation state machine (machine.py), the opening schedule, live
updates for the console and the Rasa tracker calls they need."""

from channels.handoff.hub import ConsoleHub
from channels.handoff.machine import (
    CUSTOMER,
    HANDOFF_REQUEST,
    THE_BOT,
    TRANSITIONS,
    Actor,
    Handoff,
    HandoffRefused,
    staff_text,
)
from channels.handoff.rasa_tracker import RasaTracker, transcript
from channels.handoff.schedule import OpeningSchedule, ScheduleError, parse_schedule

__all__ = [
    "CUSTOMER",
    "HANDOFF_REQUEST",
    "THE_BOT",
    "TRANSITIONS",
    "Actor",
    "ConsoleHub",
    "Handoff",
    "HandoffRefused",
    "OpeningSchedule",
    "RasaTracker",
    "ScheduleError",
    "parse_schedule",
    "staff_text",
    "transcript",
]
