from dvclive.live import Live

__all__ = ["Live"]
