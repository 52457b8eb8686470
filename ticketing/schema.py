from drf_spectacular.extensions import OpenApiAuthenticationExtension


class AccessTokenScheme(OpenApiAuthenticationExtension):
    """Shows the Bearer access token in the API docs (and their Authorize button)."""

    target_class = "ticketing.authentication.AccessTokenAuthentication"
    name = "accessToken"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
                "description": "The access_token from POST /api/auth/login (15 minutes)."}
