"""DRF authentication by personal API token (``accounts.ApiToken``), and its OpenAPI scheme."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .tokens import TokenError, api_token_authenticate

#: Accepted words before the key in the ``Authorization`` header (compared case-insensitively).
KEYWORDS = ("token", "bearer")


class ApiTokenAuthentication(authentication.BaseAuthentication):
    """``Authorization: Token <key>`` (or ``Bearer <key>``) authenticates as the token's owner.

    A request without such a header is left to the next class (the session). A header with
    one of these words but an unknown, revoked or expired key, or a deactivated owner, answers
    401 with the reason; it never falls back to the session.
    """

    def authenticate(self, request):
        """Return ``(user, token)``, or ``None`` when the request carries no token.

        Raises:
            AuthenticationFailed: a malformed header or a key that does not authenticate.
        """
        parts = authentication.get_authorization_header(request).split()
        if not parts or parts[0].decode(errors="replace").lower() not in KEYWORDS:
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(
                "Invalid token header: send 'Authorization: Token <key>' with no spaces in the key."
            )
        try:
            key = parts[1].decode()
        except UnicodeError:
            raise exceptions.AuthenticationFailed("Invalid token header: bad characters.") from None
        try:
            token = api_token_authenticate(key)
        except TokenError as error:
            raise exceptions.AuthenticationFailed(str(error)) from None
        return token.user, token

    def authenticate_header(self, request):
        # Makes DRF answer 401 (with this challenge) rather than 403 to an unauthenticated call.
        return 'Token realm="api"'


class ApiTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """Documents ``ApiTokenAuthentication`` in the schema (Swagger UI's "Authorize" sends it)."""

    target_class = "accounts.authentication.ApiTokenAuthentication"
    name = "apiToken"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": (
                "A personal API token, from your profile page or POST /api/auth/token/. "
                "Send it as 'Authorization: Token <key>' or 'Authorization: Bearer <key>'."
            ),
        }
