"""Watchlists: saved queries that every run checks, hits stored once, alerts delivered.

``lists`` (definitions: settings and command line), ``evaluate`` (what a list catches),
``deliver`` (webhooks, Prefect notification blocks), ``run`` (a run's watch step),
``digest`` (Markdown and HTML for a morning e-mail), ``render`` and ``cli`` (the
`mediawatch watch` commands). SQL lives in storage/watch.py.
"""
