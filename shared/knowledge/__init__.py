"""Team knowledge: metric definitions, dimension names, join paths, instructions, verified answers.

``model`` is the typed file, ``schema`` its generated JSON Schema, ``validate`` the loader (YAML
text → model, located errors, the probe SELECT of every SQL fragment) and ``retrieve`` the slice
of the file relevant to one question (what the agent and the models see).
"""
