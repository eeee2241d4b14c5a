"""Dashboards as code: the YAML schema, validation with YAML line numbers, parameters, compilation.

Modules (import the one you need; this package imports nothing heavy):

- ``model``: the typed dashboard (pydantic) — the only shape the rest of the code reads
- ``schema``: the JSON Schema generated from the model (committed as schemas/dashboard.schema.json)
- ``yaml_source``: strict YAML loading with a (line, column) for every path
- ``validate``: the one loader, ``validate_dashboard(text, ...) -> ValidationReport`` (``.model``,
  ``.source``, ``.errors``), and ``raise_for_report``
- ``params``: ``bind_parameters(dashboard, raw) -> tuple[QueryParam, ...]``
- ``compile``: ``compile_dashboard(dashboard) -> CompiledDashboard`` (SQL + Vega-Lite per view)
- ``theme``: Vega-Lite configs for the monotone, accent and dark themes
"""
