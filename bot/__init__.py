"""Approdo: a multilingual Telegram helpdesk for migrants in Lombardy."""
