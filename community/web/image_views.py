"""Images: uploading one for a post (the editor's paste, drop or image button), showing one, and a
member's avatar (chosen on the profile settings page: a plain form, no script needed).

Checking and cleaning the picture is ``community.images``; Pillow runs in a thread.
"""

from __future__ import annotations

import asyncio
import re

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from community import images, policy
from community.accounts import people
from community.edge.auth import require_actor
from community.edge.errors import asks_for_json
from community.edge.rate import Window
from community.edge.reading import PayloadTooLarge, read_form, read_upload
from community.errors import Invalid, NotFound
from community.web.accounts_views import profile_page
from community.web.render import flash

# Pasting screenshots one after another is fine; hundreds in a few minutes is a script.
UPLOADS = Window(30, 600, "image uploads")
_ALT_UNSAFE = re.compile(r"[^\w .,-]+")

# Served images: the browser must take them as the image type we say (nosniff comes from the
# security headers), show them inline, and run nothing if one is opened on its own.
IMAGE_HEADERS = {
    "Content-Security-Policy": "default-src 'none'; sandbox",
    "Cross-Origin-Resource-Policy": "same-origin",
    # Named by their content: a file never changes. Private: only signed-in members see them.
    "Cache-Control": "private, max-age=31536000, immutable",
}


def _alt(filename: str | None) -> str:
    """Alt text from the file's name ("router-settings.png" -> "router settings"), for the author
    to improve; "image" when the name says nothing (a pasted screenshot is "image.png")."""
    stem = (filename or "").rsplit(".", 1)[0].replace("-", " ").replace("_", " ")
    stem = _ALT_UNSAFE.sub("", stem).strip()[:80]
    return stem or "image"


async def upload(request: Request) -> Response:
    actor = await require_actor(request)
    policy.require_can_post(actor)
    settings = request.app.state.settings
    data, filename = await read_upload(request, "image", settings.image_max_bytes)
    UPLOADS.hit(actor.id)
    stored = await asyncio.to_thread(
        images.store_post_image, images.images_dir(settings.data_dir), data, settings.image_max_bytes
    )
    alt = _alt(filename)
    return JSONResponse(
        {"url": stored.url, "markdown": f"![{alt}]({stored.url})", "width": stored.width,
         "height": stored.height},
        status_code=201, headers={"Cache-Control": "no-store"},
    )  # fmt: skip


async def show(request: Request) -> Response:
    await require_actor(request)
    key = str(request.path_params["key"])
    path = images.image_path(images.images_dir(request.app.state.settings.data_dir), key)
    if path is None:
        raise NotFound("No such image.")
    media_type = images.MEDIA_TYPES[key.rsplit(".", 1)[1]]
    headers = {**IMAGE_HEADERS, "Content-Disposition": f'inline; filename="{key}"'}
    return FileResponse(path, media_type=media_type, headers=headers)


async def set_avatar(request: Request) -> Response:
    actor = await require_actor(request)
    settings = request.app.state.settings
    try:
        data, _ = await read_upload(request, "avatar", settings.image_max_bytes)
        UPLOADS.hit(actor.id)
        stored = await asyncio.to_thread(
            images.store_avatar, images.images_dir(settings.data_dir), data, settings.image_max_bytes
        )
    except (PayloadTooLarge, Invalid) as exc:
        if asks_for_json(request):
            raise
        # The page again with the reason beside the file field, not an error page in its place.
        errors = {"avatar": exc.fields.get("avatar") or exc.fields.get("image") or exc.message}
        return await profile_page(request, actor, errors, exc.status_code)
    await people.set_avatar(actor, stored.key)
    flash(request, "Your picture is saved. Others see it next to your posts within a minute.")
    return RedirectResponse("/account/profile", 303)


async def remove_avatar(request: Request) -> Response:
    actor = await require_actor(request)
    await read_form(request)
    await people.set_avatar(actor, None)
    flash(request, "Your picture is removed: your initials show instead.")
    return RedirectResponse("/account/profile", 303)


routes = [
    Route("/images", upload, methods=["POST"]),
    Route("/images/{key}", show),
    Route("/account/avatar", set_avatar, methods=["POST"]),
    Route("/account/avatar/remove", remove_avatar, methods=["POST"]),
]
