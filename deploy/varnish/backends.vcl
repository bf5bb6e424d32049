# Site-specific part of deploy/varnish/default.vcl: the app instances and who may purge.
# Install next to default.vcl (/etc/varnish/backends.vcl).
vcl 4.1;

import directors;
import std;

# Two probes per instance: `alive` (the process answers; /robots.txt needs no database) decides
# where requests go, `ready` (/healthz: 503 while the database is unreachable) decides whether
# Varnish serves its stale copies rather than asking the app. With the database down, a live
# app still answers the pages it has stored itself.
probe alive {
    .url = "/robots.txt";
    .interval = 5s;
    .timeout = 2s;
    .window = 5;
    .threshold = 3;
}
probe ready {
    .url = "/healthz";
    .interval = 5s;
    .timeout = 2s;
    .window = 5;
    .threshold = 3;
}

# Each gunicorn instance (its GUNICORN_BIND) twice: once to fetch from, once to watch.
backend app1 {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = alive;
    .first_byte_timeout = 30s;
}
backend app1_ready {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = ready;
}
# backend app2 { .host = "10.0.0.12"; .port = "8000"; .probe = alive; .first_byte_timeout = 30s; }
# backend app2_ready { .host = "10.0.0.12"; .port = "8000"; .probe = ready; }

sub vcl_init {
    new instances = directors.round_robin();
    instances.add_backend(app1);
    # instances.add_backend(app2);
    new ready_watch = directors.round_robin();
    ready_watch.add_backend(app1_ready);
    # ready_watch.add_backend(app2_ready);
}

sub vcl_recv {
    set req.backend_hint = instances.backend();
    if (!std.healthy(ready_watch.backend())) {
        set req.http.X-Newsroom-App-Down = "1";
    }
}

# Addresses allowed to send PURGE: the app instances (CACHE_PURGE_URL points here).
acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
    # "10.0.0.0"/24;
}
