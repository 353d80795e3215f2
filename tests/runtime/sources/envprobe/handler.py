"""A source that reports the environment variables a runtime gave it."""

import os

import ogpu.service
from pydantic import BaseModel

NAMES = ("OGPU_SIM_ENVIRONMENT", "SOURCE_ADDRESS", "PROVIDER_ADDRESS", "PROBE_FROM_COMPOSE")


class Query(BaseModel):
    pass


class Environment(BaseModel):
    values: dict[str, str]


@ogpu.service.expose()
def probe(data: Query) -> Environment:
    return Environment(values={name: os.environ.get(name, "") for name in NAMES})


if __name__ == "__main__":
    ogpu.service.start()
