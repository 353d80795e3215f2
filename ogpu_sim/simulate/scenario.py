"""Scenario files for ``ogpu-sim simulate``: parse a TOML file and validate every key.

A scenario describes a small marketplace: clients (with a Vault deposit and a think time before
they confirm MANUAL tasks), sources (environments, delivery method, minimum payment, maximum
expiry, an optional handler folder, a payload generator), provider groups (count, environment,
behaviour mix, stake) and a workload (task count, arrival rate, payment and expiry
distributions, cancellation rate), plus a seed and a time compression factor. Every mistake is
reported as a :class:`ScenarioError` naming the offending key (``sources[0].delivery``) and the
problem, before anything starts.

Amounts are in OGPU (``0.05``, ``"0.05"``, ``"0.05 OGPU"``) or carry a unit (``"5 gwei"``,
``"1000 wei"``); times are in simulated seconds. Every number is held to a bound from
:mod:`ogpu_sim.simulate.limits`, and the error names the key and the bound.

About 500 lines: one validator per key, each raising with the key's dotted path and
bound; the dataclasses they build live in :mod:`ogpu_sim.simulate.spec`.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ogpu_sim.errors import OgpuSimError, ScenarioError
from ogpu_sim.simulate.limits import (
    MAX_CHAIN_FAULT_RATE,
    MAX_LOCKED,
    MAX_PROVIDERS,
    MAX_SIMULATED_SECONDS,
    MAX_TASKS,
    MAX_WEIGHT,
    MIN_EXPIRY,
    NATIVE_BALANCE,
    UNITS,
    amount_in_wei,
    check_scale,
    in_ogpu,
)
from ogpu_sim.simulate.spec import (
    DEFAULT_SCENARIO,
    DELIVERY_METHODS,
    DISTRIBUTIONS,
    PAYLOAD_GENERATORS,
    ClientSpec,
    Distribution,
    PayloadSpec,
    ProviderGroup,
    Scenario,
    SourceSpec,
    WorkloadSpec,
)
from ogpu_sim.sources import load_source_folder
from ogpu_sim.vocabulary import BEHAVIOURS, ENVIRONMENTS

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on 3.10 only
    import tomli as tomllib


def load_scenario(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    Args:
        path: the file; relative handler folders inside it resolve against its directory.

    Raises:
        ScenarioError: the file is missing, is not TOML, or a key is invalid.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError("scenario", f"cannot read the file: {exc.strerror}", path) from exc
    except UnicodeDecodeError as exc:
        where = f"byte {exc.object[exc.start]:#04x} at offset {exc.start}"
        raise ScenarioError("scenario", f"not UTF-8 text ({where})", path) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError("scenario", f"not valid TOML: {exc}", path) from exc
    return parse_scenario(data, base_dir=path.resolve().parent, path=path)


def parse_scenario(
    data: Mapping[str, Any], *, base_dir: Path | None = None, path: Path | None = None
) -> Scenario:
    """Validate a scenario given as a mapping (what ``tomllib`` returns).

    Args:
        data: the scenario's keys.
        base_dir: where relative handler folders resolve (default: the working directory).
        path: the file it came from, named in errors.

    Raises:
        ScenarioError: naming the first invalid key and the problem.
    """
    return _Parser(base_dir or Path.cwd(), path).scenario(data)


class _Parser:
    """Walks a scenario mapping, raising :class:`ScenarioError` with the dotted key on a mistake."""

    def __init__(self, base_dir: Path, path: Path | None) -> None:
        self.base_dir = base_dir
        self.path = path

    def fail(self, key: str, problem: str) -> ScenarioError:
        return ScenarioError(key, problem, self.path)

    def table(self, value: Any, key: str, known: tuple[str, ...]) -> Mapping[str, Any]:
        if not isinstance(value, Mapping):
            raise self.fail(key, f"must be a table, got {type(value).__name__}")
        for name in value:
            if name not in known:
                where = f"{key}.{name}" if key else name
                raise self.fail(where, f"unknown key; known keys: {', '.join(known)}")
        return value

    def required(self, table: Mapping[str, Any], key: str, prefix: str) -> Any:
        if key not in table:
            raise self.fail(_join(prefix, key), "is required")
        return table[key]

    def string(self, value: Any, key: str, choices: tuple[str, ...] = ()) -> str:
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"must be a non-empty string, got {value!r}")
        if choices and value not in choices:
            raise self.fail(key, f"must be one of {', '.join(choices)}; got {value!r}")
        return value

    def number(
        self,
        value: Any,
        key: str,
        *,
        low: float = 0.0,
        strict: bool = False,
        high: float = 1e300,
        unit: str = "",
    ) -> float:
        """A finite number in ``[low, high]`` (``(low, high]`` when ``strict``); ``unit``
        (``OGPU``, ``s``) is named in every message about it.

        Every number of a scenario is read here, so this is where ``inf`` and ``nan`` (TOML
        literals; ``1e400`` parses as ``inf``) are refused, before any bound is compared.
        """
        sfx = f" {unit}" if unit else ""
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            if unit and isinstance(value, str):
                name = "seconds" if unit == "s" else unit
                raise self.fail(
                    key, f"must be a plain number of {name} (no unit here), got {value!r}"
                )
            raise self.fail(key, f"must be a number, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):  # an int always is
            raise self.fail(key, f"must be a finite number, got {value!r}")
        got = f"{value!r}{sfx}"
        if value < low or (strict and value == low):
            bound = f"greater than {low:g}" if strict else f"at least {low:g}"
            raise self.fail(key, f"must be {bound}{sfx}, got {got}")
        if value > high:
            raise self.fail(key, f"must be at most {high:g}{sfx}, got {got}")
        return float(value)

    def integer(self, value: Any, key: str, *, low: int = 0, high: int | None = None) -> int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if value < low:
            raise self.fail(key, f"must be at least {low}, got {value}")
        if high is not None and value > high:
            raise self.fail(key, f"must be at most {high}, got {value}")
        return value

    def amount(self, value: Any, key: str, limit: int = NATIVE_BALANCE) -> int:
        """An amount in OGPU or with a unit, in wei, at most ``limit`` (:func:`amount_in_wei`)."""
        try:
            return amount_in_wei(value, limit)
        except ValueError as exc:
            raise self.fail(key, str(exc)) from None

    def distribution(
        self, value: Any, key: str, high: float, unit: str, low: float = 0.0
    ) -> Distribution:
        """``5`` (fixed) or a table ``{distribution = "uniform", min = 1, max = 9}``.

        Every value and bound must be from ``low`` to ``high``, a mean from 0 (excluded) to
        ``high``; messages name ``unit``.
        """
        sfx = f" {unit}"
        if not isinstance(value, Mapping):
            return Distribution(
                "fixed", value=self.number(value, key, low=low, high=high, unit=unit)
            )
        table = self.table(value, key, ("distribution", "value", "min", "max", "mean"))
        kind = self.string(
            self.required(table, "distribution", key), f"{key}.distribution", DISTRIBUTIONS
        )
        needed = {"fixed": ("value",), "uniform": ("min", "max"), "exponential": ("mean",)}[kind]
        for name in needed:
            self.required(table, name, key)
        nums = {
            n: self.number(
                table[n], f"{key}.{n}", low=0.0 if n == "mean" else low, high=high, unit=unit
            )
            for n in ("value", "min", "max", "mean")
            if n in table
        }
        if kind == "uniform" and nums["max"] < nums["min"]:
            raise self.fail(
                f"{key}.max",
                f"must be at least min ({nums['min']:g}{sfx}), got {nums['max']:g}{sfx}",
            )
        if kind == "exponential" and nums["mean"] <= 0:
            raise self.fail(
                f"{key}.mean", f"must be greater than 0{sfx}, got {nums['mean']:g}{sfx}"
            )
        return Distribution(
            kind,
            nums.get("value", 0.0),
            nums.get("min", 0.0),
            nums.get("max", 0.0),
            nums.get("mean", 0.0),
        )

    def scenario(self, data: Mapping[str, Any]) -> Scenario:
        top = self.table(
            data,
            "",
            (
                "name",
                "description",
                "seed",
                "time_compression",
                "chain_fault_rate",
                "clients",
                "sources",
                "providers",
                "workload",
            ),
        )
        name = self.string(top.get("name", self.path.stem if self.path else "scenario"), "name")
        description = top.get("description", "")
        if not isinstance(description, str):
            raise self.fail("description", f"must be a string, got {description!r}")
        seed = self.integer(top.get("seed", 0), "seed")
        compression = self.number(top.get("time_compression", 0), "time_compression")
        fault_rate = self.number(top.get("chain_fault_rate", 0), "chain_fault_rate")
        if not 0 <= fault_rate <= MAX_CHAIN_FAULT_RATE:
            raise self.fail(
                "chain_fault_rate",
                f"must be between 0 and {MAX_CHAIN_FAULT_RATE}, got {fault_rate}",
            )
        clients = tuple(
            self.client(item, f"clients[{i}]")
            for i, item in enumerate(self.array(self.required(top, "clients", ""), "clients"))
        )
        self.unique([c.name for c in clients], "clients")
        client_names = tuple(c.name for c in clients)
        sources = tuple(
            self.source(item, f"sources[{i}]", client_names)
            for i, item in enumerate(self.array(self.required(top, "sources", ""), "sources"))
        )
        self.unique([s.name for s in sources], "sources")
        providers = tuple(
            self.provider_group(item, f"providers[{i}]", sources)
            for i, item in enumerate(self.array(self.required(top, "providers", ""), "providers"))
        )
        workload = self.workload(self.required(top, "workload", ""), sources)
        scenario = Scenario(
            name,
            description,
            seed,
            compression,
            clients,
            sources,
            providers,
            workload,
            self.path,
            chain_fault_rate=fault_rate,
        )
        check_scale(scenario)
        return scenario

    def array(self, value: Any, key: str) -> list[Any]:
        if not isinstance(value, list) or not value:
            raise self.fail(key, f"must be a non-empty array of tables ([[{key}]]), got {value!r}")
        return value

    def unique(self, names: list[str], key: str) -> None:
        for i, name in enumerate(names):
            if name in names[:i]:
                raise self.fail(f"{key}[{i}].name", f"duplicate name {name!r}")

    def client(self, value: Any, key: str) -> ClientSpec:
        table = self.table(value, key, ("name", "deposit", "think_time", "review"))
        review = table.get("review", True)
        if not isinstance(review, bool):
            raise self.fail(f"{key}.review", f"must be true or false, got {review!r}")
        return ClientSpec(
            name=self.string(self.required(table, "name", key), f"{key}.name"),
            deposit=self.amount(table.get("deposit", 100), f"{key}.deposit", MAX_LOCKED),
            think_time=self.distribution(
                table.get("think_time", 0), f"{key}.think_time", MAX_SIMULATED_SECONDS, "s"
            ),
            review=review,
        )

    def source(self, value: Any, key: str, clients: tuple[str, ...]) -> SourceSpec:
        table = self.table(
            value,
            key,
            (
                "name",
                "client",
                "environments",
                "delivery",
                "min_payment",
                "max_expiry",
                "min_lockup",
                "function",
                "payload",
                "handler",
                "share",
            ),
        )
        envs = table.get("environments", ["cpu"])
        if not isinstance(envs, list) or not envs:
            raise self.fail(f"{key}.environments", f"must be a non-empty array, got {envs!r}")
        environments = tuple(
            self.string(e, f"{key}.environments[{i}]", ENVIRONMENTS) for i, e in enumerate(envs)
        )
        delivery = self.string(
            table.get("delivery", "first_response"), f"{key}.delivery", tuple(DELIVERY_METHODS)
        )
        handler = None
        if "handler" in table:
            handler = self.handler(table["handler"], f"{key}.handler", environments)
        return SourceSpec(
            name=self.string(self.required(table, "name", key), f"{key}.name"),
            client=self.string(table.get("client", clients[0]), f"{key}.client", clients),
            environments=environments,
            delivery=DELIVERY_METHODS[delivery],
            min_payment=self.amount(table.get("min_payment", 0), f"{key}.min_payment"),
            max_expiry=self.integer(
                table.get("max_expiry", 86_400),
                f"{key}.max_expiry",
                low=1,
                high=MAX_SIMULATED_SECONDS,
            ),
            min_lockup=self.amount(table.get("min_lockup", 0), f"{key}.min_lockup"),
            function=self.string(table.get("function", "run"), f"{key}.function"),
            payload=self.payload(table.get("payload", {}), f"{key}.payload"),
            handler=handler,
            share=self.number(table.get("share", 1), f"{key}.share", strict=True, high=MAX_WEIGHT),
        )

    def handler(self, value: Any, key: str, environments: tuple[str, ...]) -> Path:
        """A source folder (relative to the scenario file) that describes every environment
        the source lists, read as a provider's runtime reads it."""
        folder = self.base_dir / self.string(value, key)
        if not folder.exists():
            raise self.fail(key, f"no such folder: {folder}")
        if not folder.is_dir():
            raise self.fail(key, f"not a folder: {folder}")
        try:
            source = load_source_folder(folder)
        except OgpuSimError as exc:
            raise self.fail(key, str(exc)) from None
        missing = [env for env in environments if env not in source.environments]
        if missing:
            raise self.fail(
                key,
                f"{folder} describes {', '.join(source.environments)} but the source lists "
                f"{', '.join(missing)} too; add its compose file or drop it from environments",
            )
        return folder

    def payload(self, value: Any, key: str) -> PayloadSpec:
        table = self.table(value, key, ("generator", "data", "fields", "choices"))
        generator = self.string(
            table.get("generator", "constant"), f"{key}.generator", PAYLOAD_GENERATORS
        )
        if generator == "constant":
            data = table.get("data", {})
            if not isinstance(data, Mapping):
                raise self.fail(f"{key}.data", f"must be a table, got {data!r}")
            return PayloadSpec(generator, data=dict(data))
        if generator == "random_ints":
            fields = self.required(table, "fields", key)
            if not isinstance(fields, Mapping) or not fields:
                raise self.fail(f"{key}.fields", f"must be a non-empty table, got {fields!r}")
            ranges: dict[str, tuple[int, int]] = {}
            for name, bounds in fields.items():
                where = f"{key}.fields.{name}"
                if (
                    not isinstance(bounds, list)
                    or len(bounds) != 2
                    or not all(isinstance(b, int) and not isinstance(b, bool) for b in bounds)
                    or bounds[0] > bounds[1]
                ):
                    raise self.fail(
                        where, f"must be [low, high] integers with low <= high, got {bounds!r}"
                    )
                ranges[name] = (bounds[0], bounds[1])
            return PayloadSpec(generator, fields=ranges)
        choices = self.required(table, "choices", key)
        if (
            not isinstance(choices, list)
            or not choices
            or not all(isinstance(c, Mapping) for c in choices)
        ):
            raise self.fail(
                f"{key}.choices", f"must be a non-empty array of tables, got {choices!r}"
            )
        return PayloadSpec(generator, choices=tuple(dict(c) for c in choices))

    def provider_group(
        self, value: Any, key: str, sources: tuple[SourceSpec, ...]
    ) -> ProviderGroup:
        table = self.table(value, key, ("source", "count", "environment", "behaviours", "stake"))
        names = tuple(s.name for s in sources)
        source_name = self.string(table.get("source", names[0]), f"{key}.source", names)
        source = next(s for s in sources if s.name == source_name)
        environment = self.string(
            table.get("environment", source.environments[0]), f"{key}.environment", ENVIRONMENTS
        )
        if environment not in source.environments:
            raise self.fail(
                f"{key}.environment",
                f"source {source_name!r} does not support {environment!r} "
                f"(it supports {', '.join(source.environments)})",
            )
        mix = table.get("behaviours", {"honest": 1})
        if not isinstance(mix, Mapping) or not mix:
            raise self.fail(
                f"{key}.behaviours", f"must be a non-empty table of weights, got {mix!r}"
            )
        behaviours: dict[str, float] = {}
        for name, weight in mix.items():
            if name not in BEHAVIOURS:
                raise self.fail(
                    f"{key}.behaviours.{name}",
                    f"unknown behaviour; known behaviours: {', '.join(BEHAVIOURS)}",
                )
            behaviours[name] = self.number(weight, f"{key}.behaviours.{name}", high=MAX_WEIGHT)
        if sum(behaviours.values()) <= 0:
            raise self.fail(f"{key}.behaviours", "weights must add up to more than 0")
        stake = self.amount(table.get("stake", 1), f"{key}.stake", MAX_LOCKED)
        if stake < source.min_lockup:
            raise self.fail(
                f"{key}.stake",
                f"is below source {source_name!r}'s min_lockup "
                f"({in_ogpu(stake)} < {in_ogpu(source.min_lockup)})",
            )
        count = self.integer(
            self.required(table, "count", key), f"{key}.count", low=1, high=MAX_PROVIDERS
        )
        return ProviderGroup(source_name, count, environment, behaviours, stake)

    def workload(self, value: Any, sources: tuple[SourceSpec, ...]) -> WorkloadSpec:
        key = "workload"
        table = self.table(
            value, key, ("tasks", "arrival_rate", "payment", "expiry", "cancellation_rate")
        )
        tasks = self.integer(
            self.required(table, "tasks", key), f"{key}.tasks", low=1, high=MAX_TASKS
        )
        rate = self.number(
            self.required(table, "arrival_rate", key), f"{key}.arrival_rate", strict=True
        )
        payment = self.distribution(
            table.get("payment", 0.01), f"{key}.payment", MAX_LOCKED / 10**18, "OGPU"
        )
        floor = max(s.min_payment for s in sources)
        if payment.minimum * 10**18 < floor:
            raise self.fail(
                f"{key}.payment",
                f"can go below a source's min_payment "
                f"({payment.minimum:g} OGPU < {floor / 10**18:g} OGPU)",
            )
        expiry = self.distribution(
            self.required(table, "expiry", key),
            f"{key}.expiry",
            MAX_SIMULATED_SECONDS,
            "s",
            low=MIN_EXPIRY,
        )
        if expiry.minimum < MIN_EXPIRY:  # an exponential one without min: min is 0
            raise self.fail(
                f"{key}.expiry",
                f"can draw values below {MIN_EXPIRY} second (minimum {expiry.minimum:g}); "
                f"set min >= {MIN_EXPIRY}",
            )
        if expiry.kind != "exponential":
            top = expiry.value if expiry.kind == "fixed" else expiry.high
            shortest = min(s.max_expiry for s in sources)
            if top > shortest:
                raise self.fail(
                    f"{key}.expiry", f"can exceed a source's max_expiry ({top:g} s > {shortest} s)"
                )
        cancel = self.number(table.get("cancellation_rate", 0), f"{key}.cancellation_rate")
        if cancel > 1:
            raise self.fail(f"{key}.cancellation_rate", f"must be between 0 and 1, got {cancel:g}")
        return WorkloadSpec(tasks, rate, payment, expiry, cancel)


def _join(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


__all__ = [
    "BEHAVIOURS",
    "DEFAULT_SCENARIO",
    "DELIVERY_METHODS",
    "DISTRIBUTIONS",
    "ENVIRONMENTS",
    "PAYLOAD_GENERATORS",
    "UNITS",
    "ClientSpec",
    "Distribution",
    "PayloadSpec",
    "ProviderGroup",
    "Scenario",
    "ScenarioError",
    "SourceSpec",
    "WorkloadSpec",
    "load_scenario",
    "parse_scenario",
    "tomllib",
]
