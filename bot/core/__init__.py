"""The domain's plain building blocks: no Telegram, no SQL. `storage/` may import from here."""
