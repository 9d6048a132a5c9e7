"""Mail pages: "forgot password", one's mail settings, the one-click unsubscribe (no sign-in), and
the administrators' outbox (the queue, and the .eml files when no SMTP server is configured)."""

from __future__ import annotations

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from community.accounts import passwords
from community.edge.auth import require_actor
from community.edge.errors import retry_after
from community.edge.reading import client_ip, path_id, read_form
from community.errors import Invalid, NotFound, RateLimited
from community.mail import preferences, queue
from community.mail.preferences import DIGEST
from community.mail.transport import list_files, outbox_dir, read_file
from community.mail.unsubscribe import read_token
from community.models import DigestFrequency, MailState
from community.notifications.centre import KIND_LABELS
from community.web.forms import read_fields
from community.web.render import flash, render

SENT_TEXT = (
    "If an account has this address, a mail with a link to choose a new password is on its way. "
    "It can take a few minutes; look in the spam folder too."
)


async def forgot_password(request: Request) -> Response:
    """The answer never says whether an account has the address (same page, same status)."""
    if request.method == "GET":
        return await render(request, "accounts/forgot_password.html", {"form": {}})
    _, values = await read_fields(request, "email")
    try:
        await passwords.request_password_reset(
            request.app.state.settings, values["email"], client_ip(request)
        )
    except Invalid as exc:
        return await render(
            request, "accounts/forgot_password.html", {"form": values, "errors": exc.fields}, status_code=422
        )
    except RateLimited as exc:
        return await render(
            request, "accounts/forgot_password.html", {"form": values, "errors": {"email": exc.message}},
            status_code=429, headers=retry_after(exc),
        )  # fmt: skip
    page = await render(request, "accounts/forgot_password.html", {"form": {}, "sent": SENT_TEXT})
    # Once the answer has gone: the sender's work differs with the address, the answer must not.
    page.background = BackgroundTask(request.app.state.mail.wake)
    return page


def kind_label(kind: str) -> str:
    if kind == DIGEST:
        return "The daily or weekly digest"
    return KIND_LABELS.get(kind, kind.replace("_", " "))


async def mail_settings(request: Request) -> Response:
    actor = await require_actor(request)
    offered = [(k, kind_label(k)) for k in preferences.mailable_kinds(actor)]
    if request.method == "GET":
        current = await preferences.mail_preferences(actor.id)
        form = {"kinds": list(current.kinds), "digest": current.digest}
        return await render(
            request, "accounts/mail.html", {"form": form, "offered": offered, "digests": DigestFrequency.ALL}
        )
    form_data, values = await read_fields(request, "digest")
    kinds = [k for k in form_data.getlist("kinds") if isinstance(k, str)]
    try:
        await preferences.set_mail_preferences(actor, kinds=kinds, digest=values["digest"])
    except Invalid as exc:
        return await render(
            request, "accounts/mail.html",
            {"form": {"kinds": kinds, "digest": values["digest"]}, "errors": exc.fields, "offered": offered,
             "digests": DigestFrequency.ALL},
            status_code=422,
        )  # fmt: skip
    flash(request, "Your mail settings are saved.")
    return RedirectResponse("/account/mail", 303)


async def unsubscribe(request: Request) -> Response:
    """GET shows a button (mail scanners follow links: a GET changes nothing); POST unsubscribes.
    The POST is exempt from the CSRF check by design (RFC 8058: mail programs send it with no
    session): the signed token is the whole credential and it names one person and one kind."""
    settings = request.app.state.settings
    token = request.path_params["token"]
    user_id, kind = read_token(settings, token)
    if kind != DIGEST and kind not in KIND_LABELS:
        raise NotFound("This unsubscribe link is not valid.")
    if request.method == "GET":
        return await render(request, "accounts/unsubscribe.html", {"label": kind_label(kind), "done": False})
    await read_form(request)
    if await preferences.unsubscribe_user(user_id, kind) is None:
        raise NotFound("This unsubscribe link is not valid.")
    return await render(request, "accounts/unsubscribe.html", {"label": kind_label(kind), "done": True})


async def outbox(request: Request) -> Response:
    actor = await require_actor(request)
    counts = await queue.state_counts(actor)
    state = request.query_params.get("state") or None
    if state is not None and state not in MailState.ALL:
        raise Invalid({"state": f"Choose one of: {', '.join(MailState.ALL)}."})
    settings = request.app.state.settings
    files = [] if settings.smtp_host else list_files(outbox_dir(settings))
    return await render(
        request,
        "admin/outbox.html",
        {
            "counts": counts,
            "state": state,
            "mails": await queue.list_mails(actor, state=state),
            "files": files,
            "transport": request.app.state.mail.transport.description,
        },
    )


async def outbox_file(request: Request) -> Response:
    actor = await require_actor(request)
    await queue.state_counts(actor)
    found = read_file(outbox_dir(request.app.state.settings), request.path_params["name"])
    if found is None:
        raise NotFound("No such mail file.")
    return await render(request, "admin/outbox_file.html", {"mail": found, "sandbox": MAIL_HTML_SANDBOX})


# The HTML part of a mail, shown inside the outbox page: no script, no form, no plugin, nothing
# fetched but images; a sandbox (an origin of its own, so no cookies and no way into the page
# around it) whose links open in a new tab. The iframe carries the same sandbox.
MAIL_HTML_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
MAIL_HTML_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; img-src 'self' https: data:; style-src 'unsafe-inline'; base-uri 'none'; "
        f"form-action 'none'; frame-ancestors 'self'; sandbox {MAIL_HTML_SANDBOX}"
    ),
    "X-Frame-Options": "SAMEORIGIN",
    "Cache-Control": "no-store",
}


async def outbox_file_html(request: Request) -> Response:
    actor = await require_actor(request)
    await queue.state_counts(actor)
    found = read_file(outbox_dir(request.app.state.settings), request.path_params["name"])
    if found is None or not found["html"]:
        raise NotFound("No such mail file.")
    # Links open in a new tab rather than inside the frame.
    return HTMLResponse('<base target="_blank">' + found["html"], headers=MAIL_HTML_HEADERS)


async def resolve(request: Request) -> Response:
    actor = await require_actor(request)
    _, values = await read_fields(request, "decision")
    mail = await queue.resolve(actor, path_id(request), values["decision"])
    if mail.state == MailState.QUEUED:
        request.app.state.mail.wake()
    flash(
        request,
        f"Mail {mail.id} to {mail.to_address}: {'marked sent' if mail.state == 'sent' else 'queued again'}.",
    )
    return RedirectResponse("/admin/outbox", 303)


routes = [
    Route("/password-reset", forgot_password, methods=["GET", "POST"]),
    Route("/account/mail", mail_settings, methods=["GET", "POST"]),
    Route("/mail/unsubscribe/{token}", unsubscribe, methods=["GET", "POST"]),
    Route("/admin/outbox", outbox, methods=["GET"]),
    Route("/admin/outbox/files/{name}", outbox_file, methods=["GET"]),
    Route("/admin/outbox/files/{name}/html", outbox_file_html, methods=["GET"]),
    Route("/admin/outbox/{id:int}/resolve", resolve, methods=["POST"]),
]
