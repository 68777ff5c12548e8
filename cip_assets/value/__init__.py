"""Customer value: how much each customer is worth next (clv) and which kinds of customer there are (segments)."""
