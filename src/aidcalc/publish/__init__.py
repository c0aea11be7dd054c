"""Publish: tables for people, CSV exports, charts and the HTML pages of the reports."""
