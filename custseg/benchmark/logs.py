"""Progress output: the CLI's handler on the package logger, which writes
``[bench HH:MM:SS] message`` lines (UTC) to stderr, as the single-module benchmark printed."""

from __future__ import annotations

import logging
import sys
import time

PACKAGE_LOGGER = "custseg.benchmark"
HANDLER_NAME = "custseg.benchmark.stderr"
FORMAT = "[bench %(asctime)s] %(message)s"
DATE_FORMAT = "%H:%M:%S"


def setup_logging(level: int = logging.INFO) -> logging.Logger:
    """Send the package's progress messages to stderr as ``[bench HH:MM:SS] ...`` (UTC).

    Idempotent: calling it again does not add a second handler. The package logger does not
    propagate, so the lines look the same whatever the root logger is configured to do.
    """
    logger = logging.getLogger(PACKAGE_LOGGER)
    logger.setLevel(level)
    logger.propagate = False
    if not any(handler.get_name() == HANDLER_NAME for handler in logger.handlers):
        handler = logging.StreamHandler(sys.stderr)
        handler.set_name(HANDLER_NAME)
        formatter = logging.Formatter(FORMAT, datefmt=DATE_FORMAT)
        formatter.converter = time.gmtime
        handler.setFormatter(formatter)
        logger.addHandler(handler)
    return logger


def _log(message: str) -> None:
    """A progress message on the package logger (the old module's helper, kept importable)."""
    logging.getLogger(PACKAGE_LOGGER).info(message)
