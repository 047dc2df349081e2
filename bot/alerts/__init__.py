"""Alerts: DM subscriptions turned into reminders, each delivered once and on time.

- ``rules``: who gets which alert for which milestone, and when (pure; start reading here)
- ``planner``: reconcile from rows to outbox rows and fire times
- ``jobs``: the APScheduler jobs, one per fire time
- ``dispatcher``: paced delivery of the outbox, notices and superseded edits
- ``transport``: the only module that touches discord.py
- ``engine``: ties them together; owned by the bot
"""
