from rest_framework.routers import SimpleRouter


class Router(SimpleRouter):
    """``/api/activities`` and ``/api/activities/`` both work (Rex clients send the former)."""

    def __init__(self):
        super().__init__()
        self.trailing_slash = "/?"
