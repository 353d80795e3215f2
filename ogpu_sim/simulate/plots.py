"""The four PNG plots of a ``simulate`` report, drawn from its JSON figures.

matplotlib's Agg canvas only: no display, no pyplot global state, safe in threads and CI.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

PLOT_FILES = (
    "latency_by_delivery.png",
    "task_status_over_time.png",
    "vault_flows.png",
    "earnings_by_behaviour.png",
)


def render_plots(report: dict[str, Any], out: Path) -> list[Path]:
    """Draw the four plots of a report into ``out``; return their paths (see :data:`PLOT_FILES`)."""
    drawers = (_plot_latency, _plot_status, _plot_flows, _plot_earnings)
    paths = []
    for name, draw in zip(PLOT_FILES, drawers, strict=True):
        figure = _figure()
        draw(figure.add_subplot(), report)
        figure.tight_layout()
        path = out / name
        figure.savefig(path, dpi=110)
        paths.append(path)
    return paths


def _figure() -> Any:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(7.5, 4.2))
    FigureCanvasAgg(figure)
    return figure


def _plot_latency(ax: Any, report: dict[str, Any]) -> None:
    by_delivery: dict[str, list[int]] = {}
    for task in report["tasks"]:
        if task["latency"] is not None:
            by_delivery.setdefault(task["delivery"], []).append(task["latency"])
    longest = max((max(v) for v in by_delivery.values()), default=0)
    width = max(1, -(-longest // 30))
    bins = list(range(0, longest + 2 * width, width))  # shared bins: comparable bar widths
    for delivery, values in sorted(by_delivery.items()):
        ax.hist(values, bins=bins, alpha=0.6, label=f"{delivery} (n={len(values)})")
    ax.set_title("Task latency by delivery method")
    ax.set_xlabel("simulated seconds from publication to finalization")
    ax.set_ylabel("tasks")
    if by_delivery:
        ax.legend()


def _plot_status(ax: Any, report: dict[str, Any]) -> None:
    rows = report["status_over_time"]
    times = [r["time"] for r in rows]
    series = ("open", "FINALIZED", "EXPIRED", "CANCELED")
    colors = ("tab:blue", "tab:green", "tab:orange", "tab:gray")
    ax.stackplot(
        times, *[[r[s] for r in rows] for s in series], labels=series, colors=colors, alpha=0.85
    )
    ax.set_title("Task status over time")
    ax.set_xlabel("simulated seconds")
    ax.set_ylabel("tasks")
    ax.legend(loc="upper left")


def _plot_flows(ax: Any, report: dict[str, Any]) -> None:
    rows = report["vault_flows"]
    names = [r["name"] for r in rows]
    values = [r["net_change"] / 10**18 for r in rows]
    colors = ["tab:red" if r["role"] == "client" else "tab:green" for r in rows]
    ax.barh(names, values, color=colors)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.invert_yaxis()
    ax.set_title("Vault flows per actor (net change; red = clients, green = providers)")
    ax.set_xlabel("OGPU")


def _plot_earnings(ax: Any, report: dict[str, Any]) -> None:
    earnings = report["figures"]["earnings_by_behaviour_wei"]
    counts = Counter(p["behaviour"] for p in report["providers"])
    names = list(earnings)
    ax.bar(
        [f"{n}\n({counts[n]} providers)" for n in names],
        [earnings[n] / 10**18 for n in names],
        color="tab:blue",
    )
    ax.set_title("Provider earnings by behaviour")
    ax.set_ylabel("OGPU earned")
