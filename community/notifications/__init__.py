"""Notifications: who hears about what (the notice texts), delivery inside the use case's
transaction, the notification centre, watching and muting, and announcements."""
