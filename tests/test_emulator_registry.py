"""The emulator registry: CRM packages found by discovery, a CRM defined elsewhere registered, the
older import names kept, and each CRM's state apart from its wire format (moto's shape)."""

from __future__ import annotations

import argparse
import ast
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiohttp import web

from pulumi_stages import emulator
from pulumi_stages.emulator import EmulatorServer, register_service, services, unregister_service
from pulumi_stages.emulator.faults import RateWindow

PACKAGE = Path(emulator.__file__).parent


def test_every_crm_package_is_found_under_its_service_name() -> None:
    found = services()
    assert {"outreach", "capsule"} <= set(found)
    assert all(cls.name == name for name, cls in found.items())


def test_the_older_names_still_import_from_the_package() -> None:
    from pulumi_stages.emulator import (  # noqa: PLC0415
        SERVICES,
        CapsuleService,
        CapsuleState,
        OutreachService,
        OutreachState,
    )

    assert SERVICES["capsule"] is CapsuleService  # others may register beside them
    assert SERVICES["outreach"] is OutreachService
    assert OutreachState.__module__ == "pulumi_stages.emulator.outreach.state"
    assert CapsuleState.__module__ == "pulumi_stages.emulator.capsule.state"


def test_a_name_two_crms_define_must_be_imported_from_one_of_them() -> None:
    with pytest.raises(AttributeError, match="import it from one of them"):
        _ = emulator.StoredStage


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text())
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            names.add("." * node.level + (node.module or ""))
    return names


@pytest.mark.parametrize(
    "module", ["outreach/state.py", "outreach/query.py", "outreach/oauth.py", "capsule/state.py"]
)
def test_account_state_knows_no_http(module: str) -> None:
    imported = _imports(PACKAGE / module)
    assert not {name for name in imported if name.split(".")[0] in ("aiohttp", "httpx")}
    assert not {name for name in imported if name.endswith(("wire", "server"))}


def test_each_service_adds_its_own_flags_and_is_built_from_them() -> None:
    parser = argparse.ArgumentParser()
    for cls in services().values():
        cls.add_arguments(parser)
    args = parser.parse_args(["--site", "acme-dev"])
    capsule = services()["capsule"].from_arguments("tok-1", args)
    assert capsule.site == "acme-dev"  # type: ignore[attr-defined]
    outreach = services()["outreach"].from_arguments("tok-1", args)
    assert outreach.name == "outreach"


class ToyService:
    """A CRM defined outside the emulator package: one listing route and a two-request budget."""

    name = "toy"
    base_path = "/v1"
    rate_limit = 2
    rate_window_seconds = 60.0
    auth_paths: frozenset[str] = frozenset()

    def __init__(self, token: str) -> None:
        self.token = token
        self.stages = {"Lead": "1"}

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--toy-flavour", default="plain")

    @classmethod
    def from_arguments(cls, token: str, args: argparse.Namespace) -> ToyService:
        return cls(token)

    def routes(self) -> Iterable[web.RouteDef]:
        async def listing(_: web.Request) -> web.Response:
            return web.json_response({"stages": self.stages})

        return [web.get("/v1/stages", listing)]

    def reset(self) -> None:
        self.stages.clear()

    def authorize(self, request: web.Request) -> web.StreamResponse | None:
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"error": "who are you"}, status=401)
        return None

    def rate_key(self, request: web.Request) -> str:
        return "user:1"

    def error_response(
        self, status: int, retry_at: float | None, window: RateWindow | None
    ) -> web.Response:
        return web.json_response({"error": status}, status=status)

    def rate_headers(self, window: RateWindow) -> dict[str, str]:
        return {"Toy-Budget-Left": str(window.remaining)}

    def route_error(self, request: web.Request, status: int) -> web.Response:
        return web.json_response({"error": "no such route"}, status=status)

    def snapshot(self) -> Any:
        return {"stages": self.stages}

    def live_stages(self) -> list[tuple[str, str]]:
        return list(self.stages.items())

    def export_state(self) -> dict[str, Any]:
        return {"stages": self.stages}

    def import_state(self, data: dict[str, Any]) -> None:
        self.stages = dict(data["stages"])


@pytest.fixture
def toy() -> Iterator[type[ToyService]]:
    register_service(ToyService)
    yield ToyService
    unregister_service(ToyService.name)


def test_a_crm_defined_elsewhere_runs_on_the_shared_server(toy: type[ToyService]) -> None:
    assert services()["toy"] is toy
    service = services()["toy"].from_arguments("t", argparse.Namespace())
    with EmulatorServer(service) as server:
        auth = {"Authorization": "Bearer t"}
        listed = httpx.get(f"{server.base_url}/stages", headers=auth)
        assert listed.json() == {"stages": {"Lead": "1"}}
        assert listed.headers["Toy-Budget-Left"] == "1"  # the toy's own rate headers
        assert httpx.get(f"{server.base_url}/nothing", headers=auth).json() == {
            "error": "no such route"
        }
        assert httpx.get(f"{server.base_url}/stages", headers=auth).status_code == 429
        assert httpx.get(f"{server.root_url}/_emulator/live-stages").json() == [["Lead", "1"]]
        assert server.log.counts() == {"GET /v1/stages": 2, "GET /v1/nothing": 1}
    assert "toy" in services()


def test_an_unregistered_crm_is_gone(toy: type[ToyService]) -> None:
    unregister_service("toy")
    assert "toy" not in services()
