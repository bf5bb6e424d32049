# Varnish in front of newsroom (Debian: apt install varnish varnish-modules).
#
# - Caches anonymous GET/HEAD answers the app marks `Cache-Control: public`, for their
#   s-maxage; everything else (Set-Cookie, private, errors) is fetched for each request.
# - Never caches for a signed-in user (session or messages cookie), an Authorization header,
#   or anything under /admin/ or /preview/: those requests go straight to the app.
# - Stale while revalidating: an expired page is served for its stale-while-revalidate seconds
#   while one background fetch renews it (a failed renewal keeps the copy). Stale if error:
#   while the app or its database is down (the probes in backends.vcl), the last good copy is
#   served for its stale-if-error seconds.
# - Identical requests for a page being fetched wait for that one fetch (request coalescing,
#   Varnish's default): nothing here passes a cacheable request.
# - Purged by key (vmod xkey): the app tags each page with an `xkey` header, and its purge
#   hook (newsroom/purge.py) sends `PURGE` with `xkey-purge: <keys>` (hard: gone at once, for
#   takedowns) or `xkey-softpurge: <keys>` (expired now, served stale while one fetch renews
#   it), from an address in the `purgers` ACL only.
#
# Backends, the director and the ACL are in backends.vcl (found on vcl_path, /etc/varnish
# by default), so this file is the same everywhere. See docs/deployment.md.
vcl 4.1;

import std;
import xkey;

sub vcl_recv {
    # Set by backends.vcl only (below): a client must not say the app is down.
    unset req.http.X-Newsroom-App-Down;
}

include "backends.vcl";

sub vcl_recv {
    if (req.restarts == 0) {
        # Set by this VCL on restarts only: a client must not choose how stale its copy is.
        unset req.http.X-Newsroom-Refresh;
    }
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Purging is not allowed from this address"));
        }
        if (req.http.xkey-purge) {
            set req.http.X-Purged = xkey.purge(req.http.xkey-purge);
        } elsif (req.http.xkey-softpurge) {
            set req.http.X-Purged = xkey.softpurge(req.http.xkey-softpurge);
        } else {
            return (synth(400, "Send the keys in an xkey-purge or xkey-softpurge header"));
        }
        return (synth(200, "Purged " + req.http.X-Purged + " objects"));
    }
    if (req.method != "GET" && req.method != "HEAD") {
        return (pass);
    }
    if (req.url ~ "^/(admin|preview)(/|\?|$)") {
        return (pass);
    }
    # Django's default session cookie name; change it here if SESSION_COOKIE_NAME differs.
    if (req.http.Authorization || req.http.Cookie ~ "(^|;\s*)(sessionid|messages)=") {
        return (pass);
    }
    # Anonymous readers see the same public page whatever other cookies they carry.
    unset req.http.Cookie;
    if (req.url ~ "\?") {
        # One copy per page whatever the order of its parameters or the tracking tags added
        # to a shared link (the app ignores them too).
        set req.url = regsuball(req.url,
            "(?<=[?&])(utm_[a-z_]+|fbclid|gclid|msclkid|mc_cid|mc_eid)=[^&]*(&|$)", "");
        set req.url = regsub(req.url, "[?&]+$", "");
        set req.url = std.querysort(req.url);
    }
    if (req.http.X-Newsroom-Refresh) {
        # Too stale to serve while the app is healthy: wait for a fresh copy instead.
        set req.grace = 0s;
    }
    return (hash);
}

sub vcl_hash {
    # http and https copies apart, behind a TLS terminator that says which one it was.
    hash_data(req.http.X-Forwarded-Proto);
    # Varnish's built-in vcl_hash then adds the URL and the host.
}

sub vcl_hit {
    if (obj.ttl >= 0s) {
        return (deliver);
    }
    # Expired, within stale-while-revalidate: served while one background fetch renews it.
    if (obj.ttl + std.duration(obj.http.X-Newsroom-SWR, 0s) > 0s) {
        return (deliver);
    }
    # The app is down, or its database is (backends.vcl's probes): the last good copy, for
    # stale-if-error. Pages Varnish has no copy of still go to a live app, which answers its
    # own stored copy when it has one.
    if (req.http.X-Newsroom-App-Down || !std.healthy(req.backend_hint)) {
        return (deliver);
    }
    # Older, and the app is up: look again without grace, so this request (and any identical
    # one arriving meanwhile) waits for a fresh copy.
    set req.http.X-Newsroom-Refresh = "1";
    return (restart);
}

sub vcl_backend_response {
    if (bereq.uncacheable) {
        return (deliver);
    }
    if (beresp.status >= 500) {
        if (bereq.is_bgfetch) {
            # Renewing a stale copy failed: keep serving that copy, drop this error.
            return (abandon);
        }
        set beresp.ttl = 1s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    if (beresp.http.Set-Cookie
        || beresp.http.Cache-Control !~ "(^|[ ,])public([ ,]|$)"
        || beresp.http.Cache-Control ~ "private|no-store|no-cache") {
        # Not a public page: fetched for each request (hit-for-miss).
        set beresp.ttl = 120s;
        set beresp.uncacheable = true;
        return (deliver);
    }
    # beresp.ttl already comes from s-maxage. The stale windows come from Cache-Control.
    set beresp.http.X-Newsroom-SWR = "0s";
    if (beresp.http.Cache-Control ~ "stale-while-revalidate=[0-9]+") {
        set beresp.http.X-Newsroom-SWR = regsub(beresp.http.Cache-Control,
            "^.*stale-while-revalidate=([0-9]+).*$", "\1s");
    }
    set beresp.grace = std.duration(beresp.http.X-Newsroom-SWR, 0s);
    if (beresp.http.Cache-Control ~ "stale-if-error=[0-9]+") {
        set beresp.grace = std.duration(regsub(beresp.http.Cache-Control,
            "^.*stale-if-error=([0-9]+).*$", "\1s"), 0s);
    }
    if (beresp.grace < std.duration(beresp.http.X-Newsroom-SWR, 0s)) {
        set beresp.grace = std.duration(beresp.http.X-Newsroom-SWR, 0s);
    }
    if (beresp.http.X-Newsroom-Stale) {
        # The app's stored copy, answered while its new version renders (s-maxage=0): kept a
        # moment, or every request for a busy page would send a fetch to the app until then.
        set beresp.ttl = 0.2s;
    }
    return (deliver);
}

sub vcl_backend_error {
    if (bereq.is_bgfetch) {
        # The app did not answer while a stale copy was being renewed: keep the copy.
        return (abandon);
    }
}

sub vcl_deliver {
    if (obj.uncacheable) {
        set resp.http.X-Cache = "PASS";
    } elsif (obj.hits > 0 && obj.ttl >= 0s) {
        set resp.http.X-Cache = "HIT";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT-STALE";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # The keys are for caches, not readers. Keep Cache-Tag when a CDN sits in front of Varnish.
    unset resp.http.xkey;
    unset resp.http.Cache-Tag;
    unset resp.http.X-Newsroom-SWR;
    unset resp.http.X-Newsroom-Stale;
}
