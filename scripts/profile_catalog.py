"""Where the catalog's template time goes: per template (self time) and per tag, in ms per request.

Usage (after scripts/bench_catalog.py has seeded the database and its two clinicians):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/cme_bench \
        .venv/bin/python scripts/profile_catalog.py [--requests 30] [--top 25]

Renders, with production-like settings (DEBUG off, cached loaders), the ranked
catalog page, its htmx partial, the plain catalog page, the compare page and a
program page, each `requests` times through django.test.Client, and prints:

- the request time without instrumentation (p50), then with it, and the time in templates
  (this process's CPU time by default: a shared machine's load barely moves it;
  --clock wall for elapsed time, which includes waits on the database);
- each figure the least over `rounds` rounds of `requests` requests (load only adds time);
- per template its self time (its own nodes, less the templates it includes or
  renders, form widgets included) and its calls, per request;
- per tag or variable its inclusive time and calls, per request (`{% url %}`,
  `{% csrf_token %}`, simple tags by function name, variables with filters by their
  expression, `{{ field }}` widgets by the form renderer's templates above).

The instrumentation wraps django.template.base.Template._render, the partials'
TemplateProxy._render and Node.render_annotated; it adds its own overhead (about
a microsecond per node), so read the shares, not the absolute sum. Asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from _bench import django_setup

SelfTimes = dict[str, list[float]]  # name -> [seconds, calls]


class TemplateProfile:
    """Collects self time per template and inclusive time per tag while installed."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.templates: SelfTimes = defaultdict(lambda: [0.0, 0])
        self.tags: SelfTimes = defaultdict(lambda: [0.0, 0])
        self.total = 0.0
        self._stack: list[list[float]] = []  # per open template: [time spent in child templates]

    def _timed_template(self, name: str, render: Callable[[], str]) -> str:
        self._stack.append([0.0])
        started = self.clock()
        try:
            return render()
        finally:
            elapsed = self.clock() - started
            (children,) = self._stack.pop()
            entry = self.templates[name]
            entry[0] += elapsed - children
            entry[1] += 1
            if self._stack:
                self._stack[-1][0] += elapsed
            else:
                self.total += elapsed

    def _timed_tag(self, name: str, render: Callable[[], str]) -> str:
        started = self.clock()
        try:
            return render()
        finally:
            entry = self.tags[name]
            entry[0] += self.clock() - started
            entry[1] += 1

    @contextmanager
    def installed(self) -> Iterator[TemplateProfile]:
        from django.template import base, defaulttags
        from django.template.library import SimpleNode
        from template_partials.templatetags.partials import TemplateProxy

        profile = self
        original_render = base.Template._render
        original_proxy = TemplateProxy._render
        original_annotated = base.Node.render_annotated

        def template_render(template: Any, context: Any) -> str:
            return profile._timed_template(str(template.name), lambda: original_render(template, context))

        def proxy_render(proxy: Any, context: Any) -> str:
            name = f"{proxy.origin.template_name}#{proxy.name}"
            return profile._timed_template(name, lambda: original_proxy(proxy, context))

        def node_render(node: Any, context: Any) -> str:
            name = _tag_name(node, base, defaulttags, SimpleNode)
            if name is None:
                return original_annotated(node, context)
            return profile._timed_tag(name, lambda: original_annotated(node, context))

        base.Template._render = template_render  # type: ignore[method-assign]
        TemplateProxy._render = proxy_render  # type: ignore[method-assign]
        base.Node.render_annotated = node_render  # type: ignore[method-assign]
        try:
            yield self
        finally:
            base.Template._render = original_render  # type: ignore[method-assign]
            TemplateProxy._render = original_proxy  # type: ignore[method-assign]
            base.Node.render_annotated = original_annotated  # type: ignore[method-assign]


def _tag_name(node: Any, base: Any, defaulttags: Any, simple_node: type) -> str | None:
    """A name for the nodes worth timing on their own; None for containers (if, for, include, blocks)."""
    if isinstance(node, base.VariableNode):
        expression = node.filter_expression
        if not expression.filters:
            return None
        return "{{ " + str(expression.token) + " }}"
    if isinstance(node, simple_node):
        return "{% " + node.func.__name__ + " %}"
    if isinstance(node, defaulttags.URLNode):
        return "{% url %}"
    if isinstance(node, defaulttags.CsrfTokenNode):
        return "{% csrf_token %}"
    return None


def _request_ms(client: Any, url: str, params: dict[str, Any], headers: dict[str, str], args: Any) -> float:
    timings = []
    for _ in range(args.requests):
        started = args.clock()
        response = client.get(url, params, **headers)
        timings.append((args.clock() - started) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings)


def _report(name: str, client: Any, url: str, params: dict[str, Any], headers: dict[str, str], args: Any) -> None:
    client.get(url, params, **headers)  # warm caches and loaders
    plain_ms = min(_request_ms(client, url, params, headers, args) for _ in range(args.rounds))
    rounds = []
    for _ in range(args.rounds):
        profile = TemplateProfile(args.clock)
        with profile.installed():
            profiled_ms = _request_ms(client, url, params, headers, args)
        rounds.append((profiled_ms, profile))
    per = args.requests
    profiled_ms = min(ms for ms, _ in rounds)
    total = min(profile.total for _, profile in rounds)

    def rows(tables: list[SelfTimes]) -> list[tuple[str, float, float]]:
        # A row's least time over the rounds: a shared machine only ever adds time.
        labels = {label for table in tables for label in table}
        found = [
            (label, min(table[label][0] for table in tables) * 1000 / per, tables[0][label][1] / per)
            for label in labels
        ]
        return sorted(found, key=lambda row: -row[1])[: args.top]

    print(f"\n## {name}: {url} {params or ''}{' (htmx)' if headers else ''}")
    print(
        f"request p50 {plain_ms:.1f} ms uninstrumented; {profiled_ms:.1f} ms instrumented, "
        f"of which templates {total * 1000 / per:.1f} ms (least of {args.rounds} rounds)"
    )
    print(f"{'template (self time)':<58} {'ms/req':>7} {'calls/req':>9}")
    for label, ms, calls in rows([profile.templates for _, profile in rounds]):
        print(f"  {label:<56} {ms:7.2f} {calls:9.0f}")
    print(f"{'tag or filtered variable (inclusive)':<58} {'ms/req':>7} {'calls/req':>9}")
    for label, ms, calls in rows([profile.tags for _, profile in rounds]):
        print(f"  {label[:56]:<56} {ms:7.2f} {calls:9.0f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=30, help="requests per round")
    parser.add_argument("--rounds", type=int, default=3, help="each figure is the least over the rounds")
    parser.add_argument("--top", type=int, default=25, help="rows per table")
    parser.add_argument(
        "--clock",
        choices=["cpu", "wall"],
        default="cpu",
        help="cpu (default): this process's CPU time, steady on a shared machine but blind to waits on the "
        "database and cache; wall: elapsed time",
    )
    args = parser.parse_args()
    args.clock = time.process_time if args.clock == "cpu" else time.perf_counter

    django_setup()
    from django.test import Client
    from django.urls import reverse

    from accounts.models import User
    from programs.models import Program

    try:
        ranked_user = User.objects.get(email="bench-ranked@bench.test")
        plain_user = User.objects.get(email="bench-plain@bench.test")
    except User.DoesNotExist:
        message = "Run scripts/bench_catalog.py N on this database first: it seeds the programs and users."
        raise SystemExit(message) from None
    ranked, plain = Client(), Client()
    ranked.force_login(ranked_user)
    plain.force_login(plain_user)
    clock = "CPU" if args.clock is time.process_time else "wall"
    print(f"published programs: {Program.objects.published().count()}; {args.requests} requests per page; {clock} time")
    catalog = reverse("programs:catalog")
    weights = {"w_outcome": "5", "w_independence": "2", "w_interprofessional": "1", "w_career": "4"}
    _report("ranked first page", ranked, catalog, {}, {}, args)
    _report("ranked htmx re-rank partial", ranked, catalog, weights, {"HTTP_HX_REQUEST": "true"}, args)
    _report("plain first page", plain, catalog, {}, {}, args)
    ids = list(Program.objects.published().order_by("pk").values_list("pk", flat=True)[:4])
    _report("compare (4, ranked)", ranked, reverse("programs:compare"), {"ids": ids}, {}, args)
    _report("program page (ranked)", ranked, reverse("programs:detail", args=[ids[0]]), {}, {}, args)


if __name__ == "__main__":
    main()
