"""Everything that produces text or changes files (prompts, summaries, coordination docs)."""
