"""``make bench``'s JSON-RPC call counter: calls while the driver steps are the harness's."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from cases import Bench
from rpc_count import counting

from ogpu_sim import Simulator


def test_the_sdks_publish_is_the_sdks_and_the_providers_answers_are_the_harnesss():
    with Simulator.start(runtime="inline") as sim:
        bench = Bench(sim)
        with counting(sim) as count:
            bench.task(bench.first)
            sim.run_until_idle()

        sends = (count.sdk["eth_sendRawTransaction"], count.harness["eth_sendRawTransactionSync"])
        assert sends == (1, 3)  # publish_task; two attempts and the winning response
        assert count.harness["eth_getTransactionReceipt"] == 0  # the sends answered them
        assert sim.chain.provider._dispatch == sim.chain.request  # unwrapped
