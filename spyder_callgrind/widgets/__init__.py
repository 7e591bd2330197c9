"""Qt models and views of profiles (qtpy only; no Spyder import)."""
