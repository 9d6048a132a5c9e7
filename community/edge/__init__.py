"""The edge of the app: everything between a request and a use case.

Reading requests safely (``reading``), who is asking (``auth``), CSRF (``csrf``), security headers
(``security_headers``) and the one error renderer (``errors``). The web views, the JSON API and
the websocket use it; nothing below it (use cases, models) imports it.
"""
