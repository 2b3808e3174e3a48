"""Dashboard: volumes in and out per day by decision, what is waiting, and how often reviewers agree
with the detectors; charts (Chart.js, from /static) with the same numbers in tables."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request
from fastapi.responses import Response

from warden.web.console import stats
from warden.web.console.explain import ACTION_LABELS
from warden.web.console.guard import ConsoleRoute, PageCaller
from warden.web.console.templating import render
from warden.web.state import get_state

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
#: Colours per decision, each with at least 3:1 contrast against white (WCAG 1.4.11).
COLOURS = {"Urgent": "#942514", "Hide and escalate": "#b42a17", "Hide": "#6e3619", "Review": "#7a6500",
           "Redirect reply": "#1d5a9a", "No action": "#505a5f", "Blocked": "#942514", "Needs approval": "#6e3619",
           "Warning": "#7a6500", "No concerns": "#00703c"}


def chart(days: list[str], series: list[stats.Series], title: str) -> str:
    """The chart's data for static/js/dashboard.js (a data attribute: autoescaped, never a script)."""
    return json.dumps({"title": title, "labels": [d[5:] for d in days],
                       "series": [{"label": s.label, "values": s.values, "colour": COLOURS.get(s.label, "#0b0c0c")}
                                  for s in series]})


@router.get("/dashboard")
def dashboard(request: Request, caller: PageCaller) -> Response:
    state = get_state(request)
    data = stats.dashboard(state.sessions, caller.principal, state.now(), ACTION_LABELS)
    charts = {}
    if data.inbound is not None:
        charts["inbound"] = chart(data.days, data.inbound, "Messages received per day, by decision")
    if data.outbound is not None:
        charts["outbound"] = chart(data.days, data.outbound, "Drafts checked per day, by decision")
    return render(request, "dashboard.html", data=data, charts=charts, current="dashboard")
