"""Golden files: load and validate them, run their cases, check the answers, score the run.

Shared by `quotebot eval` and the pytest plugin (bot/testing), so the CLI never imports the plugin.
"""
