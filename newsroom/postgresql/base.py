"""Django's PostgreSQL backend, with a health check that costs no round trip.

With CONN_HEALTH_CHECKS, Django sends `SELECT 1` before the first query of every request that
reuses a connection: one more round trip on every page. A connection the server has closed
(restart, idle timeout, terminated backend) says so on its socket: the server's last message
and the end of the stream are waiting there to be read. So the socket is looked at first, and
the server is asked (Django's own check) only when something is waiting. A connection that
looks idle and fails anyway (a network cut) fails that request like any database error, and
Django drops it at the end of the request.
"""

import select

from django.db.backends.postgresql import base


class DatabaseWrapper(base.DatabaseWrapper):
    def close_if_health_check_failed(self):
        if (
            self.connection is not None
            and self.health_check_enabled
            and not self.health_check_done
            and self._socket_is_quiet()
        ):
            self.health_check_done = True
            return
        super().close_if_health_check_failed()

    def _socket_is_quiet(self):
        """Nothing from the server since the last query, and the connection not known dead."""
        connection = self.connection
        if connection.closed or connection.broken:
            return False
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN | select.POLLPRI)
        return not poller.poll(0)
