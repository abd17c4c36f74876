"""Structured logs: one JSON object per line (the fields passed as ``extra=`` included)."""
import json
import logging

_STD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record):
        d = {"ts": round(record.created, 6), "level": record.levelname.lower(), "logger": record.name,
             "msg": record.getMessage()}
        d.update({k: v for k, v in vars(record).items() if k not in _STD})
        if record.exc_info:
            d["exc"] = self.formatException(record.exc_info)
        return json.dumps(d, default=str)


def setup(level="info", stream=None):
    h = logging.StreamHandler(stream)
    h.setFormatter(JsonFormatter())
    lg = logging.getLogger("fpgaops.serve")
    lg.handlers[:] = [h]
    lg.setLevel(level.upper())
    lg.propagate = False
    return lg


__all__ = ["JsonFormatter", "setup"]
