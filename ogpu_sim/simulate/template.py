"""The commented starting scenario ``ogpu-sim simulate --init FILE`` writes.

Every section and key is there with a comment saying what it does, its unit and default, so a
user edits a file that runs as is rather than starting from a blank page. Every commented-out
``key = value`` line is an example that is valid when uncommented (in place of the key's live
line, if any): the handler example names the sample source inside the installed package, so it
holds in a wheel install too. docs/scenarios.md is the full reference; the tests load this text,
run it, and uncomment each example.
"""

from __future__ import annotations

import json
from pathlib import Path

from ogpu_sim.errors import ConfigError
from ogpu_sim.simulate.limits import check_overrides
from ogpu_sim.simulate.spec import SAMPLE_SOURCES

_TEXT = """\
# A starting scenario for `ogpu-sim simulate`, written by `ogpu-sim simulate --init`.
# Run it:  ogpu-sim simulate THIS_FILE  (add --tasks 5 for a quick look, --seed N for another draw)
# docs/scenarios.md in the ogpu-sim repository is the reference: every key, its bounds.
#
# Amounts are in OGPU (0.05, "0.05", "0.05 OGPU") or carry a unit ("5 gwei", "1000 wei").
# Times are simulated seconds: the run jumps from event to event instead of waiting.
# A key marked (optional) may be left out; its default is given.

# (optional, default: the file name) names the run in the report
name = "my-scenario"
# (optional, default "") free text for the report
description = "Two clients, a raced FIRST_RESPONSE source and a MANUAL one"
# (optional, default 0) draws the whole workload: the same seed gives the same figures
seed = 1
# (optional, default 0) simulated seconds per wall-clock second; 0 runs as fast as the chain
# allows, anything else is at least 0.001
time_compression = 0
# (optional, default 0) share of transaction sends that fail transiently (0..0.5); the SDK
# retries them, as on a flaky live node
chain_fault_rate = 0

# -- clients: the accounts that publish sources and tasks, one [[clients]] table each --------
[[clients]]
# sources name their owner by it; unique
name = "alice"
# (optional, default 100) OGPU put in the client's Vault first; every task is paid from it
deposit = 20
# (optional, default 0) seconds before the client confirms a MANUAL task's first response:
# a number, or a distribution table like bob's
think_time = 0
# (optional, default true) check each response against the source's output model before
# confirming one; rejected ones are counted in the report. false confirms whatever arrives
review = true

[[clients]]
name = "bob"
deposit = "20 OGPU"
think_time = { distribution = "uniform", min = 5, max = 60 }
# the other distributions (an exponential's min is a floor):
# think_time = { distribution = "fixed", value = 10 }
# think_time = { distribution = "exponential", mean = 30, min = 5 }

# -- sources: what clients publish, one [[sources]] table each ----------------------------------
[[sources]]
# tasks and provider groups refer to it; unique
name = "multiply"
# (optional, default: the first client) who publishes the source and its tasks
client = "alice"
# (optional, default ["cpu"]) any of "cpu", "nvidia", "amd"
environments = ["cpu"]
# (optional, default "first_response") first_response: the first response wins and is paid at
# once; manual (or manual_confirmation): the client confirms one after its think time
delivery = "first_response"
# (optional, default 0) the least a task may pay
min_payment = 0.01
# (optional, default 86400) the longest a task may live, whole seconds
max_expiry = 3600
# (optional, default 0) the stake a provider must have available to serve the source
min_lockup = 0
# (optional, default "run") the function_name in each task's input
function = "multiply"
# (optional, default: constant {}) each task's input data; random_ints draws every field from
# its [low, high] (inclusive)
payload = { generator = "random_ints", fields = { a = [1, 1000], b = [1, 1000] } }
# (optional, default 1) relative weight when a task picks its source
share = 3
# (optional) a source folder (handler.py, docker-compose.yml), absolute or relative to this
# file; without one, providers answer with a canned echo of the input. ogpu-sim's own sample:
# handler = @SAMPLE_MULTIPLY@

[[sources]]
name = "review"
client = "bob"
environments = ["cpu", "nvidia"]
delivery = "manual"
min_payment = "0.02"
max_expiry = 3600
function = "classify"
# choice: one of the tables, picked at random
payload = { generator = "choice", choices = [{ text = "works well" }, { text = "no answer" }] }
# the third generator, constant:
# payload = { generator = "constant", data = { text = "always this" } }
share = 1

# -- providers: groups of simulated providers, each serving one source ----------------------
[[providers]]
# (optional, default: the first source)
source = "multiply"
# how many providers in the group (at most 1000 over all groups)
count = 3
# (optional, default: the source's first) one of the source's environments
environment = "cpu"
# (optional, default { honest = 1 }) weights, split over count in key order:
#   honest   attempts and answers at once
#   racer    races the other racers: exactly one wins a FIRST_RESPONSE task
#   wrong    answers with output that is not the handler's
#   silent   attempts and never answers (the task expires)
#   failing  its handler fails, so it never answers
#   late     answers after the task expired (the answer reverts)
#   slow     answers after a wall-clock delay (figures then vary from run to run)
behaviours = { racer = 2, silent = 1 }
# (optional, default 1) OGPU each provider stakes; at least the source's min_lockup
stake = 1

[[providers]]
source = "review"
count = 2
environment = "nvidia"
behaviours = { honest = 1, wrong = 1 }
stake = "1.5"

# -- workload: the stream of tasks ----------------------------------------------------------
[workload]
# how many tasks (1 to 100000); --tasks overrides it
tasks = 20
# tasks per simulated second on average (the gaps between them are exponential)
arrival_rate = 0.1
# (optional, default 0.01) OGPU per task, a number or a distribution; never below a source's
# min_payment
payment = { distribution = "uniform", min = 0.02, max = 0.05 }
# seconds from publication to expiry, a number or a distribution; at least 1, at most every
# source's max_expiry (an exponential one is cut at the task's source's)
expiry = { distribution = "uniform", min = 120, max = 900 }
# (optional, default 0) the chance, 0 to 1, that the client cancels a task right after
# publishing it
cancellation_rate = 0.1
"""

TEMPLATE = _TEXT.replace("@SAMPLE_MULTIPLY@", json.dumps(str(SAMPLE_SOURCES / "multiply")))
"""The scenario ``--init`` writes: valid as is, every section and key commented."""

_LIVE = {"seed": "\nseed = 1\n", "tasks": "\ntasks = 20\n"}
"""The template's live lines that ``--seed`` and ``--tasks`` replace (each once in it)."""


def template_text(*, seed: int | None = None, tasks: int | None = None) -> str:
    """:data:`TEMPLATE` with its live ``seed`` and ``[workload] tasks`` set (``--init`` with
    ``--seed``/``--tasks``), held to the bounds a run holds them to.

    Raises:
        ScenarioError: naming ``--seed`` or ``--tasks``, out of bounds.
    """
    check_overrides(seed, tasks, None)
    text = TEMPLATE
    for key, value in (("seed", seed), ("tasks", tasks)):
        if value is not None:
            text = text.replace(_LIVE[key], f"\n{key} = {value}\n", 1)
    return text


def write_template(
    path: Path, *, force: bool = False, seed: int | None = None, tasks: int | None = None
) -> Path:
    """Write :func:`template_text` to ``path``.

    Args:
        path: the new scenario file.
        force: replace a file that is already there.
        seed: the scenario's seed instead of the template's.
        tasks: the workload's task count instead of the template's.

    Returns:
        The path written.

    Raises:
        ConfigError: (option ``--init``) the file exists and ``force`` is not set, or it cannot
            be written (no such folder, a directory in the way, no permission).
        ScenarioError: naming ``--seed`` or ``--tasks``, out of bounds (nothing is written).
    """
    text = template_text(seed=seed, tasks=tasks)
    try:
        with path.open("w" if force else "x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError:
        raise ConfigError("--init", f"{path} exists; pass --force to overwrite it") from None
    except OSError as exc:
        raise ConfigError("--init", f"cannot write {path}: {exc.strerror or exc}") from None
    return path


__all__ = ["TEMPLATE", "template_text", "write_template"]
