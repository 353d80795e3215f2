"""How a simulated client reviews a response before it confirms one (MANUAL_CONFIRMATION).

A real client checks that what a provider sent is what the source promises: the output model
of the task's function. The reviewer imports the source's handler module once (the way the
inline runtime does, with the handler service's ``environment:``) and validates each
response's data against the function's pydantic output model; for a source without a handler
folder (canned answers) it accepts only ogpu-sim's canned echo. A ``wrong`` provider's payload
fails either check, so it is rejected instead of paid.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ValidationError

from ogpu_sim.runtime.environ import provider_variables, service_environment
from ogpu_sim.runtime.inline import import_handler_module
from ogpu_sim.simulate.spec import SourceSpec
from ogpu_sim.sources import load_source_folder

CANNED_MARK = "ogpu_sim"
"""The key of ogpu-sim's canned echo (``{"ogpu_sim": "canned", ...}``)."""


@dataclass
class Reviewer:
    """Validates responses against each source's output model; one import per source.

    Attributes:
        unavailable: sources whose output model could not be loaded, and why (their
            responses are accepted unreviewed, and the report says so).
    """

    unavailable: dict[str, str] = field(default_factory=dict)
    _models: dict[tuple[str, str], type[BaseModel] | None] = field(default_factory=dict)

    def review(self, source: SourceSpec, data: Any) -> str | None:
        """Why the client rejects ``data`` as an answer of ``source``, or None to accept it."""
        if source.handler is None:
            if isinstance(data, dict) and data.get(CANNED_MARK) == "canned":
                return None
            return "not the source's canned answer"
        model = self._model(source)
        if model is None:
            return None
        try:
            model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ())) or "the output"
            return f"does not match {model.__name__}: {where}: {first.get('msg', '')}"
        return None

    def _model(self, source: SourceSpec) -> type[BaseModel] | None:
        key = (source.name, source.function)
        if key not in self._models:
            self._models[key] = self._load(source)
        return self._models[key]

    def _load(self, source: SourceSpec) -> type[BaseModel] | None:
        try:
            folder = load_source_folder(source.handler)  # type: ignore[arg-type]
            service = folder.service(source.environments[0])
            if service.entry is None:
                raise LookupError(service.entry_problem or "no handler module to import")
            variables = provider_variables(
                port=5555, callback_url="", source_address="", provider_address=""
            )
            module = import_handler_module(service.entry, service_environment(service, variables))
            return module.functions[source.function].output_model
        except Exception as exc:  # the client cannot read the promise: it trusts, and says so
            self.unavailable[source.name] = f"{type(exc).__name__}: {exc}"
            return None
