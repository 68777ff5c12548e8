"""Churn risk: point-in-time features, the model beside its baselines, scores with reasons."""
