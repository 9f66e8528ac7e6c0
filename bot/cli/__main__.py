"""`python -m bot.cli`: the `quotebot` command."""

from bot.cli import main

raise SystemExit(main())
