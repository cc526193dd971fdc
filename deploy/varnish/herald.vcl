vcl 4.1;
# Varnish in front of Herald: Varnish 7.1 (Debian bookworm) with varnish-modules
# 0.20 (xkey). Herald sends every cacheable answer with its surrogate keys in an
# `xkey` header and purges them on change (cdn.purge = ["varnish=http://varnish:6081"]).
#
# As shipped it is the configuration of deploy/compose.yaml: the backend is the
# host "herald", port 8080, and purges are allowed from that host only. Elsewhere,
# edit the lines marked HERALD_BACKEND_HOST, HERALD_BACKEND_PORT and HERALD_PURGERS
# (tests/interop/varnish_check.py rewrites them). Check a change with
# `varnishd -C -f herald.vcl`.
#
# What it does:
#   * PURGE + "xkey-purge: k1 k2"     -> xkey.purge()     -> 200, count
#   * PURGE + "xkey-softpurge: k1 k2" -> xkey.softpurge() -> 200, count
#     (only from the "purgers" ACL; others get 403)
#   * Accept-Encoding normalised to br / gzip / none, one cache variant each
#   * TTL: CDN-Cache-Control > Surrogate-Control > Cache-Control/Expires
#   * never caches 226 (RFC 3229 delta), Cache-Control no-store / private
#   * passes requests with Authorization (and A-IM, so deltas reach Herald)
#   * grace 24h + keep 24h: cached objects are served while the backend is down

import std;
import xkey;

backend herald {
    .host = "herald";                    # HERALD_BACKEND_HOST
    .port = "8080";                      # HERALD_BACKEND_PORT
    .connect_timeout = 1s;
    .first_byte_timeout = 30s;
    .between_bytes_timeout = 10s;
    # Health probe: std.healthy() below uses it to decide how much grace a
    # request may use.  Herald serves GET /healthz.
    .probe = {
        .url = "/healthz";
        .interval = 1s;
        .timeout = 1s;
        .window = 3;
        .threshold = 2;
        .initial = 2;                    # start "healthy" without waiting
    }
}

acl purgers {
    "herald";                            # HERALD_PURGERS
}

sub vcl_recv {
    # ---- surrogate-key purging -------------------------------------------
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(403, "Forbidden"));
        }
        if (req.http.xkey-purge) {
            # hard purge: objects are gone, next request is a miss
            set req.http.x-herald-purged = xkey.purge(req.http.xkey-purge);
            set req.http.x-herald-purge-mode = "hard";
            return (synth(200, "Purged"));
        }
        if (req.http.xkey-softpurge) {
            # soft purge: TTL set to 0, object kept for grace/keep, so the next
            # request gets the stale copy while a background fetch refreshes it
            set req.http.x-herald-purged = xkey.softpurge(req.http.xkey-softpurge);
            set req.http.x-herald-purge-mode = "soft";
            return (synth(200, "Softpurged"));
        }
        return (synth(400, "PURGE needs an xkey-purge or xkey-softpurge header"));
    }

    # Never trust these from clients (they are internal to this VCL).
    unset req.http.x-herald-ae;
    unset req.http.x-herald-stale;
    unset req.http.x-herald-pass;

    # ---- grace policy ----------------------------------------------------
    # Objects carry 24h of grace (set in vcl_backend_response).  While the
    # backend is healthy a request may only use 10s of it (a just-expired or
    # soft-purged object is served once while it is refreshed in the
    # background); when the probe says the backend is sick, the full 24h.
    if (std.healthy(req.backend_hint)) {
        set req.grace = 10s;
    }

    # ---- Accept-Encoding normalisation -----------------------------------
    # Keep one of three values.  Varnish itself (http_gzip_support=on)
    # rewrites req/bereq Accept-Encoding to "gzip"/nothing after vcl_recv,
    # so the choice is stashed in x-herald-ae, hashed, and restored on the
    # backend request in vcl_backend_fetch.  "x;q=0" counts as not accepted.
    if (req.http.Accept-Encoding ~ "(?i)(^|[\s,])br\s*(,|$|;(?!\s*q\s*=\s*0(\.0{0,3})?\s*(,|$)))") {
        set req.http.x-herald-ae = "br";
    } elsif (req.http.Accept-Encoding ~ "(?i)(^|[\s,])(x-)?gzip\s*(,|$|;(?!\s*q\s*=\s*0(\.0{0,3})?\s*(,|$)))") {
        set req.http.x-herald-ae = "gzip";
    } else {
        set req.http.x-herald-ae = "identity";
    }
    if (req.http.x-herald-ae == "identity") {
        unset req.http.Accept-Encoding;
    } else {
        set req.http.Accept-Encoding = req.http.x-herald-ae;
    }

    # ---- things that must not come from / go into the shared cache ------
    if (req.http.Authorization) {
        return (pass);
    }
    # RFC 3229 delta requests (A-IM: feed) get per-client 226 answers.
    if (req.http.A-IM) {
        return (pass);
    }
    # Everything else: Varnish's built-in rules (Host check, only GET/HEAD
    # cached, Cookie -> pass), then hash.
}

sub vcl_hash {
    # One cache object per encoding variant (br / gzip / identity).  xkey
    # tags every variant, so one purge removes all of them.
    hash_data(req.http.x-herald-ae);
    # fall through to built-in: hash_data(req.url) + Host
}

sub vcl_pass {
    set req.http.x-herald-pass = "1";
}

sub vcl_hit {
    if (obj.ttl <= 0s) {
        set req.http.x-herald-stale = "1";   # served from grace
    }
}

sub vcl_backend_fetch {
    # Ask the backend for exactly the encoding of this cache variant.
    if (bereq.http.x-herald-ae == "br" || bereq.http.x-herald-ae == "gzip") {
        set bereq.http.Accept-Encoding = bereq.http.x-herald-ae;
    } else {
        unset bereq.http.Accept-Encoding;
    }
    unset bereq.http.x-herald-ae;
    unset bereq.http.x-herald-stale;
    unset bereq.http.x-herald-pass;
}

sub vcl_backend_response {
    # Grace and keep for everything cacheable: with the backend down, cached
    # objects are still delivered for 24h after their TTL ran out; keep lets
    # Varnish revalidate (If-None-Match / If-Modified-Since) even later.
    set beresp.grace = 24h;
    set beresp.keep = 24h;

    # ---- never cache ---------------------------------------------------
    # 226 IM Used is a per-client delta; no-store/private are explicit
    # (stricter than the built-in, which ignores Cache-Control when a
    # Surrogate-Control header is present).
    if (beresp.status == 226 ||
        beresp.http.Cache-Control ~ "(?i)(^|[\s,])(no-store|private)\b" ||
        beresp.http.CDN-Cache-Control ~ "(?i)(^|[\s,])(no-store|private)\b" ||
        beresp.http.Surrogate-Control ~ "(?i)(^|[\s,])no-store\b") {
        call vcl_beresp_hitmiss;         # built-in: uncacheable, hit-for-miss 120s
    }

    # ---- TTL from targeted cache-control headers -------------------------
    # Varnish core only reads Cache-Control (s-maxage, then max-age) and
    # Expires.  Here CDN-Cache-Control (RFC 9213) wins, then
    # Surrogate-Control (W3C Edge Architecture), then the core's value.
    if (beresp.http.CDN-Cache-Control ~ "(?i)(^|[\s,])max-age\s*=\s*[0-9]+") {
        set beresp.ttl = std.duration(regsub(beresp.http.CDN-Cache-Control,
            "(?i)^(.*[\s,])?max-age\s*=\s*([0-9]+).*$", "\2") + "s", 0s);
    } elsif (beresp.http.Surrogate-Control ~ "(?i)(^|[\s,])max-age\s*=\s*[0-9]+") {
        set beresp.ttl = std.duration(regsub(beresp.http.Surrogate-Control,
            "(?i)^(.*[\s,])?max-age\s*=\s*([0-9]+).*$", "\2") + "s", 0s);
    }
    # The core gives statuses outside RFC 7231's cacheable list (e.g. 500)
    # ttl = -1; the built-in then makes them hit-for-miss.  Fall through to
    # the built-in for ttl <= 0, Set-Cookie, Vary: * and Cache-Control
    # no-cache (when no Surrogate-Control is present).
}

sub vcl_deliver {
    # Debug/test aid: HIT, HIT-STALE (grace), MISS or PASS.
    if (req.http.x-herald-stale) {
        set resp.http.X-Cache = "HIT-STALE";
    } elsif (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } elsif (req.http.x-herald-pass || req.is_hitmiss || req.is_hitpass) {
        set resp.http.X-Cache = "PASS";
    } else {
        set resp.http.X-Cache = "MISS";
    }
    # Surrogate headers are for this cache only.  (xkey must stay on the
    # stored object - the vmod indexes it - so strip it only on delivery.)
    unset resp.http.xkey;
    unset resp.http.Surrogate-Control;
}

sub vcl_synth {
    if (req.method == "PURGE" && resp.status == 200) {
        set resp.http.Content-Type = "application/json";
        set resp.http.xkey-purged = req.http.x-herald-purged;
        # body: {"mode": "hard", "purged": 2}
        set resp.body = {"{"mode": ""} + req.http.x-herald-purge-mode +
                        {"", "purged": "} + req.http.x-herald-purged + "}" + {"
"};
        return (deliver);
    }
}
