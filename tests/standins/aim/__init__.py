from aim.sdk.run import Run

__all__ = ["Run"]
