"""The event catalogue (`catalogue`), its base class (`base`) and the one dispatcher (`dispatcher`)."""

from vssd.events.base import CATALOGUE, Event
from vssd.events.catalogue import (
    GROUP_PERMISSION,
    CallAnswered,
    CallEnded,
    CallStarted,
    CallUpdate,
    CampaignCallConnected,
    CampaignCallEnded,
    CampaignCallStarted,
    CampaignUpdate,
    Notification,
    OperatorLoggedIn,
    OperatorStatusChanged,
    PipelineUpdate,
    RtmpStreamStart,
    RtmpStreamStop,
    SlotUpdate,
    SystemAlert,
    SystemAlertAcknowledged,
)
from vssd.events.dispatcher import Emitted, EventDispatcher, Subscription, matches

__all__ = [
    "CATALOGUE", "GROUP_PERMISSION", "CallAnswered", "CallEnded", "CallStarted", "CallUpdate",
    "CampaignCallConnected", "CampaignCallEnded", "CampaignCallStarted", "CampaignUpdate", "Emitted", "Event",
    "EventDispatcher", "Notification", "OperatorLoggedIn", "OperatorStatusChanged", "PipelineUpdate",
    "RtmpStreamStart", "RtmpStreamStop", "SlotUpdate", "Subscription", "SystemAlert", "SystemAlertAcknowledged",
    "matches",
]
