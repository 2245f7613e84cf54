"""Providers: sources Pitboard pulls from on its own (Jolpica, calendar URLs, watched timing files). Each
fetches, turns what it got into records and hands them to the one import path; each records its runs in
the provider status (storage/providers.py) that `pitboard status` and /stats show."""
