from d3rlpy.logging.file_adapter import FileAdapterFactory
from d3rlpy.logging.logger import D3RLPyLogger

__all__ = ["D3RLPyLogger", "FileAdapterFactory"]
