"""The conversation's pure logic: no I/O, no Telegram. Channels drive it."""
