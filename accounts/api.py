"""The API's token login: ``POST /api/auth/token/`` (username and password give a new token).

The URL and the answers are a contract for scripts: 200 ``{"token": "<key>"}``, 400 with field
errors (``{"non_field_errors": [...]}`` for a wrong username or password), and 429 while that
username is locked out from that address (django-axes, as on the login page).
"""

from django.contrib.auth import authenticate
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from .throttling import cooloff_seconds, failures_reset, lockout_message
from .tokens import api_token_create

#: The same words as DRF's former token login, which scripts may match on.
BAD_CREDENTIALS = "Unable to log in with provided credentials."


class AuthTokenSerializer(serializers.Serializer):
    """The token login's input (named like DRF's, so the schema's component keeps its name)."""

    username = serializers.CharField(label="Username", write_only=True)
    password = serializers.CharField(
        label="Password", style={"input_type": "password"}, trim_whitespace=False, write_only=True
    )


class ApiTokenLoginView(APIView):
    """Exchange a username and password for a new personal API token.

    Each successful call creates a token named ``API login <time>`` (listed, and revocable, on
    the person's profile page) and returns its key, which is shown only this once. Send it as
    ``Authorization: Token <key>``.
    """

    # The login itself needs no authentication (and must not demand a CSRF token from a
    # browser that happens to hold a session).
    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="auth_token_create",
        summary="Get an API token",
        tags=["auth"],
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("AuthTokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(description="Missing fields or wrong username or password."),
            429: OpenApiResponse(
                description="Too many failed logins for this username from this address: refused "
                "(even with the right password) until the cool-off ends; see Retry-After."
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = AuthTokenSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        # django-axes records failures on, and flags a lockout on, Django's own request object.
        http_request = request._request
        user = authenticate(
            http_request,
            username=serializer.validated_data["username"],
            password=serializer.validated_data["password"],
        )
        if user is None:
            if getattr(http_request, "axes_locked_out", False):
                return Response(
                    {"detail": lockout_message()},
                    status=status.HTTP_429_TOO_MANY_REQUESTS,
                    headers={"Retry-After": str(cooloff_seconds())},
                )
            raise ValidationError({"non_field_errors": [BAD_CREDENTIALS]})
        failures_reset(http_request, serializer.validated_data["username"])
        name = f"API login {timezone.localtime():%Y-%m-%d %H:%M:%S %Z}"
        created = api_token_create(user=user, name=name)
        return Response({"token": created.key})
