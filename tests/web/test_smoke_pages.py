from tests.conftest import login
from tests.web.helpers import ask


async def test_every_page_renders(client, world):
    await login(client, world.admin)
    tid = await ask(client)
    for path in [
        "/",
        "/?show=unanswered",
        "/?show=solved",
        "/categories",
        "/c/general",
        "/c/general?status=open&tag=deals",
        "/tags/deals",
        "/ask",
        "/ask?category=general",
        f"/t/{tid}",
        "/account/profile",
        "/account/password",
        f"/u/{world.partner.handle}",
        f"/orgs/{world.gold.slug}",
        "/admin",
        "/admin/categories",
        "/admin/categories/general",
        "/admin/organisations",
        "/admin/invitations",
    ]:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.status_code, response.text[:2000])
