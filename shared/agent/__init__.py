"""The agent: tool registry (``tools``), per-turn limits (``limits``) and system prompt blocks
(``prompts``). The agent loop and the concrete Bridge tools build on these modules.

Nothing is imported here so that importing one agent module stays cheap.
"""
