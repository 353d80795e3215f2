"""A source whose function raises for negative input (no callback) and echoes otherwise."""

import ogpu.service
from pydantic import BaseModel


class Number(BaseModel):
    value: int


@ogpu.service.expose()
def checked(data: Number) -> Number:
    if data.value < 0:
        raise ValueError(f"negative value {data.value}")
    return Number(value=data.value)


if __name__ == "__main__":
    ogpu.service.start()
