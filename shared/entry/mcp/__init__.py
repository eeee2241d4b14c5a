"""``bridge mcp``: Bridge as a Model Context Protocol server (official ``mcp`` SDK, stdio transport).

The server is a client of Bridge's own HTTP API, called with the user's bearer token, so an
assistant (Claude Desktop, an IDE agent ...) sees exactly what that user sees: the same tokens,
the same team scoping, another team's ids answer "not found".
"""
