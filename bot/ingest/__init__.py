"""Data in: importers (files and URLs), providers (sources Pitboard pulls on its own), the shipped series
definitions (series/*.json, package data) and the circuit table. Everything ends in one import path:
records → Store.apply, one transaction, the shared refusal rule for suspicious new versions."""
