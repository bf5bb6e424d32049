"""What bench/breaking.py reports: the issue's targets, the verdicts and its docs section."""

from pathlib import Path

from bench.run import CEILING_APP

DOC = Path(__file__).resolve().parent.parent / "docs" / "performance.md"
DOC_START, DOC_END = "<!-- breaking:start -->", "<!-- breaking:end -->"

# What the run does, for docs/performance.md (and the section there before a first run).
DESCRIPTION = """PostgreSQL (a scratch database: demo content, its renditions, VACUUM ANALYZE)
and the Redis page cache (a per-run key prefix, deleted afterwards); gunicorn with
gunicorn.conf.py, 4 workers, access log off; wrk with 64 connections and a Lua script
(bench/breaking.lua) picking each request's path at random by weight from a mix of the site's
own links: listing pages 1-8, the entries they link to, the topic page an entry links to, and
the RSS and Atom feeds `/` and the topic page announce, and in each other language the first
listing page and the entries it links to (`/fr/` and 10 entries), `/` taking 20% of the requests
and the others equal shares (the demo has one topic, so that is 8 + 80 + 1 + 4 = 93 pages in
English, 104 with French; the issue's 101 counted more feeds than the site announces). Phases
of 30 s: *quiet* (nobody edits), then *publishing* (a separate editor process, set up before
the phase, publishes one entry a second through the ORM, recording each commit's time), then
*quiet* again; in every phase a reader polls `/` anonymously (no cookies; about 75 polls a
second when idle) and, while publishing, records the delay from each commit to the first
response showing that entry's headline (since session 10 the reader polls in the quiet phases
too and the editor starts before its phase: each cost the publishing phase alone before);
publishing is compared with the mean of the two quiet phases (and, beside it, with the one
before alone). The ceiling
(../shared/bench/ceiling_app.py, page 1's bytes and headers, same gunicorn settings) is loaded
with the same mix before and after (mean). Then the same two phases through varnishd
(deploy/varnish/default.vcl in front of the same gunicorn, the editor's purge hook,
CACHE_PURGE_URL, pointed at it). Targets: publishing throughput >= 80% of quiet, p99 while
publishing < 100 ms, zero errors, every published entry on `/` within 1 s of its commit;
through Varnish zero errors, the same freshness and a throughput (quiet and publishing) >= 2x
the app's own cached (quiet) throughput, its publishing/quiet ratio and p99 reported."""

# The targets.
PUBLISHING_SHARE = 0.80  # throughput while publishing / quiet, same server
P99_MS = 100  # while publishing
FRESH_S = 1.0  # every published entry on `/` within this many seconds of its commit
VARNISH_MULTIPLE = 2.0  # Varnish throughput / the app's own cached (quiet) throughput


def verdicts(result):
    app, varnish, ceil = result["app"], result["varnish"], result["ceiling"]["rps"]
    lines = []

    def check(ok, text):
        lines.append(f"{text}: {'met' if ok else 'NOT met'}")
        return ok

    def report(text):
        lines.append(f"{text}: reported (no target of its own through Varnish)")
        return True

    ok = True
    for name, run in (("app", app), ("Varnish", varnish)):
        # Through Varnish the issue asks for 2x the app's throughput and the same freshness.
        judge = check if name == "app" else (lambda ok, text: report(text))
        share = run["publishing_over_quiet"]
        # Met only against both readings: a slow spell in the quiet phase after flatters it.
        before_alone = run.get("publishing_over_quiet_before", share)
        ok &= judge(
            min(share, before_alone) >= PUBLISHING_SHARE,
            f"{name}: publishing {run['publishing']['rps']:.0f} rps = {share:.0%} of quiet "
            f"(mean of {run['quiet']['rps']:.0f} before and "
            f"{run.get('quiet_after', run['quiet'])['rps']:.0f} rps after; "
            f"{before_alone:.0%} of the one before alone) "
            f"(app target >= {PUBLISHING_SHARE:.0%})",
        )
        p99 = run["publishing"]["p99_ms"]
        ok &= judge(
            p99 < P99_MS, f"{name}: p99 while publishing {p99:.1f} ms (app target < {P99_MS})"
        )
        errors = (
            run["quiet"]["errors"]
            + run["publishing"]["errors"]
            + run.get("quiet_after", {}).get("errors", 0)
            + run["freshness"]["reader_error_count"]
            + len(run["editor_errors"])
        )
        ok &= check(errors == 0, f"{name}: {errors} errors (wrk, reader, editor; target 0)")
        fresh = run["freshness"]
        in_time = not fresh["never_seen"] and fresh["max_s"] is not None
        in_time = in_time and fresh["max_s"] <= FRESH_S and fresh["published"] > 0
        ok &= check(
            in_time,
            f"{name}: {fresh['seen']} of {fresh['published']} published entries seen on `/`, "
            f"delay max {fresh['max_s']} s, p99 {fresh['p99_s']} s (target: all within "
            f"{FRESH_S:g} s)",
        )
    for phase in ("quiet", "publishing"):
        multiple = varnish[phase]["rps"] / app["quiet"]["rps"]
        result["varnish"][f"{phase}_over_app_quiet"] = round(multiple, 2)
        ok &= check(
            multiple >= VARNISH_MULTIPLE,
            f"Varnish {phase} {varnish[phase]['rps']:.0f} rps = {multiple:.2f}x the app's own "
            f"cached (quiet) {app['quiet']['rps']:.0f} rps (target >= {VARNISH_MULTIPLE:g}x)",
        )
    lines.append(
        f"ceiling ({CEILING_APP.name}, same mix) {ceil:.0f} rps: app quiet "
        f"{app['quiet']['rps'] / ceil:.1%}, app publishing {app['publishing']['rps'] / ceil:.1%} "
        "(no target; reported)"
    )
    return ok, lines


def markdown(result):
    mix, cfg = result["mix"], result["config"]
    rows = [
        "| server | phase | rps | p50 ms | p99 ms | errors | of ceiling |",
        "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    ceil = result["ceiling"]["rps"]
    for name in ("app", "varnish"):
        for phase in ("quiet", "publishing", "quiet_after"):
            if phase not in result[name]:
                continue
            r = result[name][phase]
            rows.append(
                f"| {'gunicorn' if name == 'app' else 'Varnish → gunicorn'} | "
                f"{phase.replace('_after', ' again')} | "
                f"{r['rps']:.0f} | {r['p50_ms']:.2f} | {r['p99_ms']:.2f} | {r['errors']} | "
                f"{r['rps'] / ceil:.1%} |"
            )
    c = result["ceiling"]
    rows.append(
        f"| {CEILING_APP.name} | mean of before/after | {ceil:.0f} | {c['p50_ms']:.2f} | "
        f"{c['p99_ms']:.2f} | {c['errors']} | 100% |"
    )
    feeds = ", ".join(f"`{f}`" for f in mix["feeds"])
    languages = "".join(
        f", `{lang['listing']}` and the {lang['entries']} entries it links to"
        for lang in mix.get("languages", {}).values()
    )
    app_fresh, varnish_fresh = result["app"]["freshness"], result["varnish"]["freshness"]
    return f"""{DOC_START}
## Breaking news: publishing under load (issue 14)

`make breaking` (bench/breaking.py): {DESCRIPTION}

This run's mix: {mix["pages"]} pages, the {mix["listing_pages"]} listing pages, the
{mix["entries"]} entries they link to, `{mix["topic"]}` and the {len(mix["feeds"])} feeds
({feeds}){languages}; `/` took {mix["root_share"]:.1%} of the requests.
{cfg["seconds"]} s per phase, {cfg["workers"]} workers, {cfg["connections"]} connections
({cfg["wrk_threads"]} wrk threads).
Run {result["finished"]} on {result["machine"]}, load average
{result["load_average"]["start"]} at the start and {result["load_average"]["end"]} at the end.

{chr(10).join(rows)}

Delay from each publish's commit to the first anonymous `/` showing it: app max
{app_fresh["max_s"]} s, p99 {app_fresh["p99_s"]} s ({app_fresh["seen"]} of
{app_fresh["published"]} entries seen); through Varnish max {varnish_fresh["max_s"]} s, p99
{varnish_fresh["p99_s"]} s ({varnish_fresh["seen"]} of {varnish_fresh["published"]}).

{chr(10).join(f"- {line}" for line in result["verdicts"])}

Raw figures: `bench/results/{result["file"]}` (git-ignored; this section is the record).
{DOC_END}"""


def write_doc(section):
    text = DOC.read_text()
    if DOC_START in text and DOC_END in text:
        text = text[: text.index(DOC_START)] + section + text[text.index(DOC_END) + len(DOC_END) :]
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOC.write_text(text)
