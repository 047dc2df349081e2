"""Launch Library 2 (The Space Devs) sync: client, budget, mapping to the domain model, background service."""

from bot.ll2.budget import RequestBudget
from bot.ll2.client import LL2Client, LL2Error
from bot.ll2.sync import LL2Options, LL2Sync, SyncReport

__all__ = ["LL2Client", "LL2Error", "LL2Options", "LL2Sync", "RequestBudget", "SyncReport"]
