"""Question answering over the published copy, with no generative model.

gazetteer (named values), dates (periods), intents (rules + nearest example), templates (allow-listed,
parameterised SQL), search (BM25 + embeddings over feedback and profiles), engine (answer cards and
sessions), index (the saved index), cli (`cip ask`), assets (the `qa/index` asset).
"""
