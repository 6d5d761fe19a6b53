"""The fake Mistral API's HTTP control API, for harnesses that are not Python (editor tests).

Serves no LSP method: test support. Routes under `/_fake/`: `POST /_fake/replies` (a Reply dict
or a list, queued), `POST /_fake/default_reply`, `GET /_fake/requests`, `GET /_fake/disconnects`,
`POST /_fake/reset`, `POST /_fake/release` (held streams go on). Split from `fake_api.py`, which keeps the API itself.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from mistral_lsp.testing.fake_replies import Reply

if TYPE_CHECKING:
    from mistral_lsp.testing.fake_api import FakeMistralAPI


def add_control_routes(app: web.Application, fake: FakeMistralAPI) -> None:
    """Serve `fake`'s control API on `app`."""

    async def replies(request: web.Request) -> web.Response:
        data = await request.json()
        items = data if isinstance(data, list) else [data]
        try:
            queued = [Reply.from_dict(item) for item in items]
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        fake.enqueue(*queued)
        return web.json_response({"queued": len(queued)})

    async def default_reply(request: web.Request) -> web.Response:
        try:
            fake.default_reply = Reply.from_dict(await request.json())
        except (TypeError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response({"ok": True})

    async def requests(request: web.Request) -> web.Response:
        return web.json_response([r.to_dict() for r in fake.requests])

    async def disconnects(request: web.Request) -> web.Response:
        return web.json_response([d.to_dict() for d in fake.disconnects])

    async def reset(request: web.Request) -> web.Response:
        fake.reset()
        return web.json_response({"ok": True})

    async def release(request: web.Request) -> web.Response:
        fake.release()
        return web.json_response({"ok": True})

    app.router.add_post("/_fake/replies", replies)
    app.router.add_post("/_fake/release", release)
    app.router.add_post("/_fake/default_reply", default_reply)
    app.router.add_get("/_fake/requests", requests)
    app.router.add_get("/_fake/disconnects", disconnects)
    app.router.add_post("/_fake/reset", reset)
