"""A source whose init hook fails: the runtime must report a start-up error with this log."""

import ogpu.service
from pydantic import BaseModel


class Empty(BaseModel):
    pass


@ogpu.service.init()
def load_weights() -> None:
    raise FileNotFoundError("weights.bin is missing")


@ogpu.service.expose()
def noop(data: Empty) -> Empty:
    return data


if __name__ == "__main__":
    ogpu.service.start()
