"""Talking to a model: the OpenAI-compatible client (the only code that calls one), the bundled local model, and opening a session from options."""
