"""Choosing and ordering runs: the ``--where`` language and the ``--sort`` keys."""
