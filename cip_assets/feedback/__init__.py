"""Feedback decoder: sentiment, aspects, topics and summaries of reviews and support messages (no generative model)."""
