"""Providers: sources Pitboard pulls from on its own (Jolpica-F1, calendar URLs, watched timing files). Each
fetches, turns what it got into the same `ImportBatch` records the file importers produce and hands them to the
one import path (bot/ingest/importing.py), so a provider's results alert exactly like a file import's; each
records its runs in the provider status (storage/providers.py) that `pitboard status` and /stats show."""
