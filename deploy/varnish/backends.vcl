# Site-specific part of deploy/varnish/default.vcl: the app instances and who may purge.
# Install next to default.vcl (/etc/varnish/backends.vcl).
vcl 4.1;

import directors;

# A sick instance (its /healthz fails) gets no requests until it answers again.
probe healthz {
    .url = "/healthz";
    .interval = 5s;
    .timeout = 2s;
    .window = 5;
    .threshold = 3;
}

# One backend per gunicorn instance (GUNICORN_BIND of each).
backend app1 {
    .host = "127.0.0.1";
    .port = "8000";
    .probe = healthz;
    .first_byte_timeout = 30s;
}
# backend app2 {
#     .host = "10.0.0.12";
#     .port = "8000";
#     .probe = healthz;
#     .first_byte_timeout = 30s;
# }

sub vcl_init {
    new instances = directors.round_robin();
    instances.add_backend(app1);
    # instances.add_backend(app2);
}

sub vcl_recv {
    set req.backend_hint = instances.backend();
}

# Addresses allowed to send PURGE: the app instances (CACHE_PURGE_URL points here).
acl purgers {
    "localhost";
    "127.0.0.1";
    "::1";
    # "10.0.0.0"/24;
}
