"""A source whose function sleeps past its expose(timeout=...): no callback is sent."""

import time

import ogpu.service
from pydantic import BaseModel


class Delay(BaseModel):
    seconds: float


@ogpu.service.expose(timeout=1)
def sleepy(data: Delay) -> Delay:
    time.sleep(data.seconds)
    return data


if __name__ == "__main__":
    ogpu.service.start()
