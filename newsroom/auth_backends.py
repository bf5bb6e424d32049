"""The login lockout's authentication backend."""

from axes.backends import AxesStandaloneBackend


class LockoutBackend(AxesStandaloneBackend):
    """django-axes' check, for sign-ins that come with a request (the admin login form).

    Authentication without a request (the test client's `login()`, scripts, the shell) has no
    client address to count or lock out; django-axes would raise an error for it, so it is
    left to the next backend, ModelBackend, as if axes were not there.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is None:
            return None
        return super().authenticate(request, username=username, password=password, **kwargs)
