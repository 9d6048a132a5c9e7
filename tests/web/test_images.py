"""Images: uploaded into a post (the editor's paste, drop or button) or as an avatar. Only real
pictures are taken (the bytes decide, not the name or type), each is re-encoded without its
metadata, stored under the data dir, served with safe headers, and counted by the new-account link
limit."""

from __future__ import annotations

import dataclasses
import io
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from community import images
from community.app import create_app
from community.models import Thread, User
from community.web import image_views
from tests.conftest import World, login

GPS_EXIF_TAG = 0x8825


def picture(
    fmt: str = "JPEG", size: tuple[int, int] = (640, 480), *, gps: bool = True, alpha: bool = False
) -> bytes:
    image = Image.new("RGBA" if alpha else "RGB", size, (200, 30, 30, 128) if alpha else (200, 30, 30))
    out = io.BytesIO()
    kw: dict[str, object] = {}
    if gps and fmt == "JPEG":
        exif = Image.Exif()
        exif[0x010F] = "PhoneMaker"  # Make
        exif[0x0112] = 6  # Orientation: turned 90 degrees
        exif[GPS_EXIF_TAG] = {1: "N", 2: (52.0, 31.0, 12.0)}
        kw["exif"] = exif.tobytes()
        kw["comment"] = b"secret comment"
    image.save(out, fmt, **kw)
    return out.getvalue()


async def _upload(
    client: httpx.AsyncClient,
    token: str,
    data: bytes,
    name: str = "router settings.jpg",
    ctype: str = "image/jpeg",
    path: str = "/images",
    field: str = "image",
) -> httpx.Response:
    return await client.post(
        path,
        files={field: (name, data, ctype)},
        headers={"X-CSRF-Token": token, "Accept": "application/json"},
    )


async def test_an_upload_is_cleaned_stored_and_served_safely(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    original = picture()
    assert b"PhoneMaker" in original and b"secret comment" in original
    response = await _upload(client, token, original)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["markdown"] == f"![router settings]({body['url']})"
    assert (body["width"], body["height"]) == (480, 640)  # turned as its EXIF said
    key = body["url"].removeprefix("/images/")
    stored = (images.images_dir(world.settings.data_dir) / key).read_bytes()
    assert b"PhoneMaker" not in stored and b"secret comment" not in stored and b"Exif" not in stored
    assert not Image.open(io.BytesIO(stored)).getexif()

    served = await client.get(body["url"])
    assert served.status_code == 200 and served.content == stored
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-disposition"] == f'inline; filename="{key}"'
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "immutable" in served.headers["cache-control"]
    # The same picture again is the same file.
    assert (await _upload(client, token, original)).json()["url"] == body["url"]


async def test_transparent_pictures_stay_png_and_huge_ones_shrink(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await login(client, world.partner)
    png = await _upload(client, token, picture("PNG", (3000, 1000), alpha=True), "shot.png", "image/png")
    assert png.status_code == 201
    assert png.json()["url"].endswith(".png") and png.json()["width"] == images.MAX_SIDE
    webp = await _upload(client, token, picture("WEBP", gps=False), "a.webp", "image/webp")
    assert webp.status_code == 201 and webp.json()["url"].endswith(".jpg")


@pytest.mark.parametrize(
    ("data", "name", "ctype"),
    [
        (b"<html><script>alert(1)</script></html>", "x.png", "image/png"),  # not a picture at all
        (b"GIF89a<script>alert(1)</script>", "x.gif", "image/gif"),  # a header, then nothing
        (picture()[:300], "cut.jpg", "image/jpeg"),  # truncated
        (b"%PDF-1.4 hello", "x.jpg", "image/jpeg"),
        (b"", "empty.png", "image/png"),
    ],
)
async def test_what_is_not_a_picture_is_refused(
    client: httpx.AsyncClient, world: World, data: bytes, name: str, ctype: str
) -> None:
    token = await login(client, world.partner)
    response = await _upload(client, token, data, name, ctype)
    assert response.status_code == 422, response.text
    assert "image" in response.json()["error"]["fields"]
    assert not any(images.images_dir(world.settings.data_dir).glob("*"))


async def test_size_type_and_csrf_limits(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    too_big = picture("PNG", (2000, 2000), gps=False) + b"\0" * (world.settings.image_max_bytes + 10)
    refused = await _upload(client, token, too_big, "big.png", "image/png")
    assert refused.status_code == 413  # the editor shows this message, with the limit (trial)
    assert refused.json()["error"]["message"] == "The image is too large (at most 1,024 KB)."
    plain = await client.post(
        "/images", content=picture(), headers={"X-CSRF-Token": token, "Content-Type": "image/jpeg"}
    )
    assert plain.status_code == 415
    no_file = await client.post(
        "/images", data={"image": "text"}, files={"other": ("a", b"b")}, headers={"X-CSRF-Token": token}
    )
    assert no_file.status_code == 422
    no_token = await client.post("/images", files={"image": ("a.jpg", picture(), "image/jpeg")})
    assert no_token.status_code == 403


async def test_keys_that_name_no_image_are_404_and_anonymous_visitors_sign_in(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await login(client, world.partner)
    url = (await _upload(client, token, picture())).json()["url"]
    for bad in ("/images/../secret_key", "/images/%2e%2e%2fsecret_key", "/images/" + "0" * 40 + ".jpg",
                "/images/" + "g" * 40 + ".jpg", url + ".html", url.replace(".jpg", ".svg")):  # fmt: skip
        assert (await client.get(bad)).status_code == 404, bad
    client.cookies.clear()
    assert (await client.get(url)).status_code == 303


async def test_a_silenced_member_cannot_upload_and_uploads_are_rate_limited(
    client: httpx.AsyncClient, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(image_views, "UPLOADS", image_views.Window(2, 600, "image uploads"))
    token = await login(client, world.partner)
    codes = [(await _upload(client, token, picture(size=(10 + n, 10)))).status_code for n in range(3)]
    assert codes == [201, 201, 429]
    await User.filter(id=world.colleague.id).update(silenced_until=datetime.now(UTC) + timedelta(days=1))
    client.cookies.clear()
    token = await login(client, world.colleague)
    assert (await _upload(client, token, picture())).status_code == 403


async def test_avatar_upload_square_crop_and_removal(client: httpx.AsyncClient, world: World) -> None:
    token = await login(client, world.partner)
    page = await client.get(f"/u/{world.partner.handle}")
    assert 'class="avatar s96 av' in page.text and ">PP</span>" in page.text  # initials: Pat Partner
    response = await _upload(client, token, picture(size=(300, 200)), path="/account/avatar", field="avatar")
    assert response.status_code == 303
    key = (await User.get(id=world.partner.id)).avatar
    assert key and key.endswith("-128.jpg")
    for size in images.AVATAR_SIZES:
        stored = Image.open(images.images_dir(world.settings.data_dir) / images.avatar_key(key, size))
        assert stored.size == (size, size)
    page = await client.get(f"/u/{world.partner.handle}")
    assert f'<img class="avatar s96" src="/images/{key}" alt=""' in page.text
    removed = await client.post("/account/avatar/remove", data={"csrf_token": token})
    assert removed.status_code == 303 and (await User.get(id=world.partner.id)).avatar is None
    bad = await _upload(client, token, b"not an image", "a.png", "image/png", "/account/avatar", "avatar")
    assert bad.status_code == 422


async def test_uploaded_images_count_towards_the_new_account_link_limit(db, world: World) -> None:  # type: ignore[no-untyped-def]
    app = create_app(dataclasses.replace(db, new_account_held_posts=0, new_account_days=3,
                                         new_account_max_links=1), manage_db=False)  # fmt: skip
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://testserver"
    ) as client:
        token = await login(client, world.colleague)
        urls = [(await _upload(client, token, picture(size=(20 + n, 20)))).json()["url"] for n in range(2)]
        ask = {"category": "general", "kind": "question", "title": "Which port is the uplink here?",
               "csrf_token": token}  # fmt: skip
        two = await client.post("/ask", data={**ask, "body": f"![a]({urls[0]}) ![b]({urls[1]})"})
        assert two.status_code == 422 and "at most 1 link" in two.text
        assert await Thread.all().count() == 0
        one = await client.post("/ask", data={**ask, "body": f"Here: ![a]({urls[0]})"})
        assert one.status_code == 303
        shown = (await client.get(one.headers["location"])).text
        assert f'<img src="{urls[0]}" alt="a">' in shown


@pytest.mark.parametrize("extra", [10, 3 * 1024 * 1024])  # past the image limit; past what CSRF scans
async def test_a_too_large_avatar_is_refused_beside_the_field_on_the_same_page(
    client: httpx.AsyncClient, world: World, extra: int
) -> None:
    token = await login(client, world.partner)
    huge = picture("PNG", (50, 50), gps=False) + b"\0" * (world.settings.image_max_bytes + extra)
    response = await client.post(
        "/account/avatar", data={"csrf_token": token}, files={"avatar": ("me.png", huge, "image/png")}
    )
    assert response.status_code == 413
    assert "<h1>Your profile</h1>" in response.text  # the settings page, not an error page
    limit = f"{world.settings.image_max_kb:,} KB"
    assert f'<p class="field-error" id="avatar-error">The image is too large (at most {limit}).</p>' in (
        response.text
    )
    assert f"at most {limit}" in response.text.split('id="avatar-help"')[1][:120]  # as the help says
    assert (await User.get(id=world.partner.id)).avatar is None
    bad = await client.post(
        "/account/avatar",
        data={"csrf_token": token},
        files={"avatar": ("a.png", b"not an image", "image/png")},
    )
    assert bad.status_code == 422 and 'id="avatar-error"' in bad.text and "<h1>Your profile</h1>" in bad.text
    forged = await client.post("/account/avatar", files={"avatar": ("me.png", huge, "image/png")})
    assert forged.status_code in (403, 413) and "<h1>Your profile</h1>" not in forged.text
