"""The memory in an S3 bucket (moto's server on loopback): values, logs, and locks made of
conditional writes, so two holders never overlap and a dead holder's lock is overtaken once its
lease has run out."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from pulumi_stages.core.backend import Remote
from pulumi_stages.core.journal import CreateJournal
from pulumi_stages.core.memory import LockTimeout, S3Store, StoreUnusable, commit_once
from pulumi_stages.core.memory import s3 as s3_module
from tests.s3 import s3_bucket


@pytest.fixture
def store() -> Iterator[S3Store]:
    with s3_bucket("team-state") as url:
        yield S3Store(url)


def test_values_and_logs_round_trip(store: S3Store) -> None:
    assert store.load("tokens/chain") is None
    commit_once(store, "tokens/chain", b"sealed")
    assert store.load("tokens/chain") == b"sealed"
    for n in range(3):
        store.append("journal/j", f'{{"n": {n}}}')
    assert store.lines("journal/j") == ['{"n": 0}', '{"n": 1}', '{"n": 2}']
    assert store.where == "s3://team-state/.pulumi-stages/"


def test_a_held_lock_keeps_others_out_until_it_is_let_go(store: S3Store) -> None:
    inside: list[int] = []
    overlaps: list[int] = []

    def hold(n: int) -> None:
        with store.locked("tokens/chain"):
            if inside:
                overlaps.append(n)
            inside.append(n)
            time.sleep(0.05)
            inside.remove(n)

    threads = [threading.Thread(target=hold, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert overlaps == []
    with pytest.raises(LockTimeout), store.locked("x"), store.locked("x", wait=0.3):
        pass


def test_of_two_racing_conditional_puts_one_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator is as strict as S3: moto checks `If-None-Match` and writes a few steps later;
    here those steps are slowed so that two PUTs are both past the check unless writes are one at
    a time (tests/s3.py)."""
    from moto.s3.responses import S3Response  # noqa: PLC0415

    after_the_check = S3Response._get_checksum

    def slowly(self: S3Response, *args: Any) -> Any:
        time.sleep(0.3)
        return after_the_check(self, *args)

    monkeypatch.setattr(S3Response, "_get_checksum", slowly)
    with s3_bucket("race") as url:
        racers = [S3Store(url) for _ in range(2)]
        ready = threading.Barrier(2)
        won: list[object] = []

        def put(store: S3Store) -> None:
            ready.wait()
            try:
                store.put("chain.lock", b"mine", IfNoneMatch="*")
                won.append(True)
            except StoreUnusable as exc:
                won.append(exc.reason)

        threads = [threading.Thread(target=put, args=(racer,)) for racer in racers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sorted(won, key=str) == ["PreconditionFailed", True]


def test_a_holder_whose_lock_was_overtaken_meanwhile_leaves_it_to_the_new_holder(
    store: S3Store,
) -> None:
    """The lease ran out while the holder still ran, and a waiter overtakes the lock between
    the holder's last look at it and its delete: the delete (on the holder's ETag) spares it."""
    client = store._client
    key = store._prefix + "tokens/chain.lock"

    def overtake(**_: object) -> None:
        held = client.head_object(Bucket=store.bucket, Key=key)
        store.put("tokens/chain.lock", b"the waiter's", IfMatch=held["ETag"])

    with store.locked("tokens/chain"):
        client.meta.events.register_first("before-call.s3.DeleteObject", overtake)
    client.meta.events.unregister("before-call.s3.DeleteObject", overtake)
    left = client.get_object(Bucket=store.bucket, Key=key)["Body"].read()
    assert left == b"the waiter's"


def test_a_store_without_conditional_deletes_still_lets_go(
    store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """guess: some S3-compatible stores refuse `If-Match` on DELETE (400 InvalidArgument): the
    holder deletes its lock plainly, after the HEAD found it still its own."""
    from moto.s3.exceptions import InvalidArgumentError  # noqa: PLC0415
    from moto.s3.responses import S3Response  # noqa: PLC0415

    delete = S3Response.delete_object
    refused: list[str] = []

    def without_conditions(self: S3Response, *args: Any) -> Any:
        if self.headers.get("If-Match"):
            refused.append(self.headers["If-Match"])
            raise InvalidArgumentError("not supported", "If-Match", self.headers["If-Match"])
        return delete(self, *args)

    monkeypatch.setattr(S3Response, "delete_object", without_conditions)
    with store.locked("tokens/chain"):
        pass
    assert len(refused) == 1
    with store.locked("tokens/chain", wait=0.3):  # let go: taken at once
        pass


def test_a_dead_holders_lock_is_overtaken_after_its_lease(
    store: S3Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.put("tokens/chain.lock", b'{"holder": "a runner that died"}', IfNoneMatch="*")
    with pytest.raises(LockTimeout), store.locked("tokens/chain", wait=0.5):
        pass  # its lease (60 s) has not run out
    monkeypatch.setattr(s3_module, "LEASE_SECONDS", 1.0)
    time.sleep(1.5)
    with store.locked("tokens/chain", wait=5):
        pass


def test_one_claim_per_intent_through_the_bucket(store: S3Store) -> None:
    def claim(remote: Remote) -> None:
        journal = CreateJournal("Outreach", "https://api.example.test", "org/p/dev", store)
        results.append(journal.claim("stage", {"name": "Lead"}, remote))

    CreateJournal("Outreach", "https://api.example.test", "org/p/dev", store).begin(
        "stage", {"name": "Lead"}
    )
    created = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(time.time() + 1))
    results: list[bool] = []
    threads = [
        threading.Thread(target=claim, args=(Remote(str(n), {"created_at": created}),))
        for n in range(4)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sorted(results) == [False, False, False, True]
