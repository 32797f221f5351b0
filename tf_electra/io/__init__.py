"""Weights formats and the rule table that names our variables in each (Hugging Face, Google)."""
