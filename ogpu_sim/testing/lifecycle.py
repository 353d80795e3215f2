"""``LifecycleMachine``: random protocol action sequences checked against the reference model.

Bind it to a started :class:`~ogpu_sim.Simulator` and run it as a test::

    from ogpu_sim.testing import LifecycleMachine

    LifecycleMachine.bind(sim)
    TestLifecycle = LifecycleMachine.TestCase

Clients act through ``ogpu.client``, providers, masters and Vault users through
``ogpu.protocol`` (``Nexus.submitResponse``, which the SDK no longer wraps, through the SDK's own
``TxExecutor``), admin actions through the deployer. Subclass it to add rules for your own client
code; use :meth:`MachineCore.act` so your actions are compared with the model too.
"""

from __future__ import annotations

import time
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import initialize, multiple, precondition, rule
from ogpu import client as sdk_client
from ogpu.protocol import nexus as sdk_nexus
from ogpu.protocol import terminal as sdk_terminal
from ogpu.protocol import vault as sdk_vault
from ogpu.protocol._base import TxExecutor, load_contract
from ogpu.types import DeliveryMethod as SdkDelivery
from ogpu.types import ImageEnvironments, SourceInfo, TaskInfo, TaskInput

from . import strategies as ost
from .machine import Actor, MachineCore
from .model import DeliveryMethod, ModelRevert, ProtocolModel, SourceParams

OGPU = ost.OGPU
SIGNERS = st.sampled_from(["self", "master", "self", "agent", "stranger"])
SMALL = ost.amounts(2 * OGPU)
#: Who signs a client-side call on a task: its payer, the agent, or someone else.
CLIENT_SIGNERS = st.sampled_from(["owner", "owner", "agent", "other"])


def source_params(info: SourceInfo, client: str) -> SourceParams:
    """The model's ``SourceParams`` for what ``ogpu.client`` builds from ``info``."""
    envs = info.imageEnvs
    mask = (1 if envs.cpu else 0) | (2 if envs.nvidia else 0) | (4 if envs.amd else 0)
    return SourceParams(
        client=client,
        image_environments=mask,
        min_payment=info.minPayment,
        min_available_lockup=info.minAvailableLockup,
        max_expiry_duration=info.maxExpiryDuration,
        delivery_method=DeliveryMethod(info.deliveryMethod.value),
    )


def near(limit: int) -> st.SearchStrategy[int]:
    """An amount at, just past, or below ``limit`` (where guards flip)."""
    return st.one_of(st.just(limit), st.just(limit + 1), st.integers(0, max(limit, 0)))


class LifecycleMachine(MachineCore):
    """Random sequences of OpenGPU protocol actions; every step is checked against the model."""

    def task_signer(self, payer: str, who: str) -> Actor:
        """The actor for a :data:`CLIENT_SIGNERS` choice on a task paid by ``payer``."""
        if who == "owner" and payer in self.by_address:
            return self.by_address[payer]
        if who == "agent":
            return self.cast["agent"]
        return self.cast["client2" if payer == self.cast["client"].address else "client"]

    # -- the cast enters the bundles -----------------------------------------------------------
    @initialize(target=MachineCore.accounts)
    def everyone(self) -> Any:
        return multiple(*self.cast.values())

    @initialize(target=MachineCore.clients)
    def the_clients(self) -> Any:
        return multiple(self.cast["client"], self.cast["client2"])

    @initialize(target=MachineCore.masters)
    def the_masters(self) -> Any:
        return multiple(self.cast["master1"], self.cast["master2"])

    @initialize(target=MachineCore.providers)
    def the_providers(self) -> Any:
        return multiple(self.cast["provider1"], self.cast["provider2"])

    @initialize(target=MachineCore.sources)
    def the_sources(self) -> Any:
        return multiple(*self.start_sources)

    @initialize(target=MachineCore.tasks)
    def the_tasks(self) -> Any:
        return multiple(*self.start_tasks)

    def build_start_state(self) -> None:
        """Two CPU sources of ``client`` (MANUAL_CONFIRMATION and FIRST_RESPONSE), both providers
        paired, staked and registered to both, and one open task on each.

        Starting here lets short programs reach attempts, responses and payments.
        """
        cpu = ImageEnvironments(cpu="https://compose.example/cpu.yml")
        client = self.cast["client"]
        for delivery in (DeliveryMethod.MANUAL_CONFIRMATION, DeliveryMethod.FIRST_RESPONSE):
            info = SourceInfo(delivery.name.lower(), "", "", cpu, 0, 0, 600, SdkDelivery(delivery))
            self.start_sources.append(str(self.publish_source(client, info)))
        for n in ("1", "2"):
            provider, master = self.cast["provider" + n], self.cast["master" + n]
            self.announce_provider(master, provider, OGPU // 10)
            self.announce_master(provider, master)
            for source in self.start_sources:
                self.register(provider, source, "self", 1)
        for source in self.start_sources:
            self.start_tasks.append(str(self._publish_task(client, source, 300, OGPU // 10)))

    # -- Vault ---------------------------------------------------------------------------------
    @rule(payer=MachineCore.accounts, beneficiary=MachineCore.accounts, amount=SMALL)
    def deposit(self, payer: Actor, beneficiary: Actor, amount: int) -> None:
        self.act(
            "deposit",
            lambda: sdk_vault.deposit(beneficiary.address, amount, signer=payer.account),
            lambda m, now: m.deposit(payer.address, beneficiary.address, amount),
        )

    @rule(actor=MachineCore.accounts, data=st.data())
    def withdraw(self, actor: Actor, data: st.DataObject) -> None:
        amount = data.draw(near(self.model.ledger(actor.address).balance), label="amount")
        self.act(
            "withdraw",
            lambda: sdk_vault.withdraw(amount, signer=actor.account),
            lambda m, now: m.withdraw(actor.address, amount),
        )

    @rule(actor=MachineCore.accounts, data=st.data())
    def lock(self, actor: Actor, data: st.DataObject) -> None:
        amount = data.draw(near(self.model.ledger(actor.address).balance), label="amount")
        self.act(
            "lock",
            lambda: sdk_vault.lock(amount, signer=actor.account),
            lambda m, now: m.lock(actor.address, amount),
        )

    @rule(actor=MachineCore.accounts, data=st.data())
    def unbond(self, actor: Actor, data: st.DataObject) -> None:
        amount = data.draw(near(self.model.ledger(actor.address).lockup), label="amount")
        self.act(
            "unbond",
            lambda: sdk_vault.unbond(amount, signer=actor.account),
            lambda m, now: m.unbond(actor.address, amount, now),
        )

    @precondition(lambda self: any(x.unbonding for x in self.model.ledgers.values()))
    @rule(actor=MachineCore.accounts)
    def claim(self, actor: Actor) -> None:
        self.act(
            "claim",
            lambda: sdk_vault.claim(signer=actor.account),
            lambda m, now: m.claim(actor.address, now),
        )

    @precondition(lambda self: any(x.unbonding for x in self.model.ledgers.values()))
    @rule(actor=MachineCore.accounts)
    def cancel_unbonding(self, actor: Actor) -> None:
        self.act(
            "cancel_unbonding",
            lambda: sdk_vault.cancel_unbonding(signer=actor.account),
            lambda m, now: m.cancel_unbonding(actor.address),
        )

    # -- Terminal: pairing and agents --------------------------------------------------------------
    @rule(master=MachineCore.accounts, provider=MachineCore.providers, stake=SMALL)
    def announce_provider(self, master: Actor, provider: Actor, stake: int) -> None:
        self.act(
            "announce_provider",
            lambda: sdk_terminal.announce_provider(provider.address, stake, signer=master.account),
            lambda m, now: m.announce_provider(master.address, provider.address, stake, stake),
        )

    @rule(provider=MachineCore.accounts, master=MachineCore.masters)
    def announce_master(self, provider: Actor, master: Actor) -> None:
        self.act(
            "announce_master",
            lambda: sdk_terminal.announce_master(master.address, signer=provider.account),
            lambda m, now: m.announce_master(provider.address, master.address),
        )

    @rule(master=MachineCore.accounts, provider=MachineCore.providers)
    def remove_provider(self, master: Actor, provider: Actor) -> None:
        self.act(
            "remove_provider",
            lambda: sdk_terminal.remove_provider(provider.address, signer=master.account),
            lambda m, now: m.remove_provider(master.address, provider.address),
        )

    @rule(principal=MachineCore.accounts, value=st.booleans())
    def set_agent(self, principal: Actor, value: bool) -> None:
        agent = self.cast["agent"]
        self.act(
            "set_agent",
            lambda: sdk_terminal.set_agent(agent.address, value, signer=principal.account),
            lambda m, now: m.set_agent(principal.address, agent.address, value),
        )

    # -- sources -----------------------------------------------------------------------------------
    @rule(target=MachineCore.sources, client=MachineCore.clients, info=ost.source_infos())
    def publish_source(self, client: Actor, info: SourceInfo) -> Any:
        ok, source, _ = self.act(
            "publish_source",
            lambda: self.w3.to_checksum_address(
                sdk_client.publish_source(info, private_key=client.account).address
            ),
            lambda m, now: m.publish_source(
                client.address, source_params(info, client.address), address="?"
            ),
        )
        if not ok:
            return multiple()
        self.model.rename("?", source)
        return source

    @rule(actor=MachineCore.clients, source=MachineCore.sources, info=ost.source_infos())
    def update_source(self, actor: Actor, source: str, info: SourceInfo) -> None:
        self.act(
            "update_source",
            lambda: sdk_client.update_source(source, info, private_key=actor.account),
            lambda m, now: m.update_source(
                actor.address, source, source_params(info, actor.address)
            ),
        )

    @rule(actor=MachineCore.clients, source=MachineCore.sources)
    def inactivate_source(self, actor: Actor, source: str) -> None:
        self.act(
            "inactivate_source",
            lambda: sdk_client.inactivate_source(source, private_key=actor.account),
            lambda m, now: m.inactivate_source(actor.address, source),
        )

    # -- providers on sources ---------------------------------------------------------------------
    @rule(
        provider=MachineCore.providers,
        source=MachineCore.sources,
        signer=SIGNERS,
        environment=st.one_of(ost.environments(), ost.invalid_environments()),
    )
    def register(self, provider: Actor, source: str, signer: str, environment: int) -> None:
        by = self.operator(provider, signer)
        self.act(
            "register",
            lambda: sdk_nexus.register(source, provider.address, environment, signer=by.account),
            lambda m, now: m.register(by.address, source, provider.address, environment),
        )

    @rule(provider=MachineCore.providers, source=MachineCore.sources, signer=SIGNERS)
    def unregister(self, provider: Actor, source: str, signer: str) -> None:
        by = self.operator(provider, signer)
        self.act(
            "unregister",
            lambda: sdk_nexus.unregister(source, provider.address, signer=by.account),
            lambda m, now: m.unregister(by.address, source, provider.address),
        )

    # -- tasks -------------------------------------------------------------------------------------
    @rule(target=MachineCore.tasks, client=MachineCore.clients, source=MachineCore.sources,
          data=st.data())  # fmt: skip
    def publish_task(self, client: Actor, source: str, data: st.DataObject) -> Any:
        terms = self.model.sources[source].params
        longest = terms.max_expiry_duration
        offsets = st.one_of(ost.expiry_offsets(longest, valid=True), ost.expiry_offsets(longest))
        offset = data.draw(offsets, label="expires_in")
        payment = data.draw(st.one_of(near(terms.min_payment), SMALL), label="payment")
        return self._publish_task(client, source, offset, payment)

    @rule(target=MachineCore.tasks, client=MachineCore.accounts, source=MachineCore.sources,
          payment=SMALL)  # fmt: skip
    def publish_task_as_anyone(self, client: Actor, source: str, payment: int) -> Any:
        """Anyone may publish to any source and pays for it (permissive publishing)."""
        return self._publish_task(client, source, 60, payment)

    def _publish_task(self, client: Actor, source: str, offset: int, payment: int) -> Any:
        info = TaskInfo(source, TaskInput("run", {"n": len(self.model.tasks)}), 0, payment)

        sdk_refused = []

        def on_chain() -> str:
            info.expiryTime = self.sim.now() + offset
            # ogpu.client refuses locally, before any transaction, once expiry <= wall clock
            sdk_refused.append(info.expiryTime <= int(time.time()))
            task = sdk_client.publish_task(info, private_key=client.account)
            return self.w3.to_checksum_address(task.address)

        def on_model(m: ProtocolModel, now: int) -> None:
            if sdk_refused[-1]:
                raise ModelRevert("Expired", "ogpu.client.publish_task (local check)")
            m.publish_task(client.address, source, info.expiryTime, payment, now, address="?")

        ok, task, _ = self.act("publish_task", on_chain, on_model)
        if not ok:
            return multiple()
        self.model.rename("?", task)
        return task

    @rule(task=MachineCore.tasks, who=CLIENT_SIGNERS)
    def cancel_task(self, task: str, who: str) -> None:
        actor = self.task_signer(self.model.tasks[task].client, who)
        self.act(
            "cancel_task",
            lambda: sdk_client.cancel_task(task, private_key=actor.account),
            lambda m, now: m.cancel_task(actor.address, task),
        )

    @rule(provider=MachineCore.providers, task=MachineCore.tasks, signer=SIGNERS)
    def attempt(self, provider: Actor, task: str, signer: str) -> None:
        by = self.operator(provider, signer)
        payment = self.model.tasks[task].payment
        self.act(
            "attempt",
            lambda: sdk_nexus.attempt(task, provider.address, payment, signer=by.account),
            lambda m, now: m.attempt(by.address, task, provider.address, now),
        )

    @rule(
        target=MachineCore.responses,
        provider=MachineCore.providers,
        task=MachineCore.tasks,
        signer=SIGNERS,
        kind=st.sampled_from(["honest", "partial", "overpaid", "copied"]),
    )
    def submit_response(self, provider: Actor, task: str, signer: str, kind: str) -> Any:
        by = self.operator(provider, signer)
        state = self.model.tasks[task]
        payment = {"partial": state.payment // 2, "overpaid": state.payment + 1}.get(
            kind, state.payment
        )
        copied = sorted(data for _, data in state.submitted_data)
        data = copied[0] if kind == "copied" and copied else f"ipfs://{provider.name}/{task}"
        nexus = load_contract("NexusAbi")

        def on_chain() -> str:
            TxExecutor(
                nexus,
                "submitResponse",
                ((task, provider.address, data, payment),),
                signer=by.account,
                context=f"Nexus.submitResponse({task})",
            ).execute()
            instance = self.sim.network.instance("Task", task)
            return self.w3.to_checksum_address(
                instance.functions.responseOf(provider.address).call()
            )

        def on_model(m: ProtocolModel, now: int) -> None:
            m.submit_response(by.address, task, provider.address, data, payment, now, "?")

        ok, response, _ = self.act("submit_response", on_chain, on_model)
        if not ok:
            return multiple()
        self.model.rename("?", response)
        return response

    @rule(task=MachineCore.tasks, data=st.data())
    def race(self, task: str, data: st.DataObject) -> None:
        """Both providers attempt ``task`` and then both submit (a FIRST_RESPONSE race)."""
        racers = data.draw(
            st.permutations([self.cast["provider1"], self.cast["provider2"]]), label="order"
        )
        for provider in racers:
            self.attempt(provider, task, "self")
        for provider in racers:
            self.submit_response(provider, task, "self", "honest")

    @rule(response=MachineCore.responses, who=CLIENT_SIGNERS)
    def confirm_response(self, response: str, who: str) -> None:
        payer = self.model.tasks[self.model.responses[response].task].client
        actor = self.task_signer(payer, who)
        self.act(
            "confirm_response",
            lambda: sdk_client.confirm_response(response, private_key=actor.account),
            lambda m, now: m.confirm_response(actor.address, response),
        )

    # -- time --------------------------------------------------------------------------------------
    @rule(seconds=st.sampled_from([1, 2, 5, 10, 60, 600]))
    def advance_time(self, seconds: int) -> None:
        self.sim.advance_time(seconds)
        self.statistics.record("advance_time", None)

    @rule(task=MachineCore.tasks, past=st.sampled_from([0, 1, 2]))
    def advance_to_expiry(self, task: str, past: int) -> None:
        """Move chain time to the task's expiry (0) or just past it (1, 2): the expiry boundary."""
        gap = self.model.tasks[task].expiry_time + past - self.sim.now()
        if gap > 0:
            self.sim.advance_time(gap)
        self.statistics.record("advance_to_expiry", None)

    # -- judge / admin -----------------------------------------------------------------------------
    @rule(account=MachineCore.providers, data=st.data())
    def sanction(self, account: Actor, data: st.DataObject) -> None:
        amount = data.draw(near(self.model.ledger(account.address).lockup), label="amount")
        vault = self.sim.deployment.contracts["VAULT"]
        self.act(
            "sanction",
            lambda: self.sim.network.send(
                self.admin, vault.functions.sanction(account.address, amount)
            ),
            lambda m, now: m.sanction(self.admin.address, account.address, amount),
        )

    @precondition(lambda self: any(x.sanction for x in self.model.ledgers.values()))
    @rule(account=MachineCore.providers, data=st.data())
    def waive(self, account: Actor, data: st.DataObject) -> None:
        amount = data.draw(near(self.model.ledger(account.address).sanction), label="amount")
        vault = self.sim.deployment.contracts["VAULT"]
        self.act(
            "waive",
            lambda: self.sim.network.send(
                self.admin, vault.functions.waive(account.address, amount)
            ),
            lambda m, now: m.waive(self.admin.address, account.address, amount),
        )


__all__ = ["LifecycleMachine", "source_params"]
