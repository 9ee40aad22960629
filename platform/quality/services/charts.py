"""Dashboard charts as SVG (matplotlib, Agg backend): served as images by the dashboard routes, so the page keeps
its Content-Security-Policy (no scripts, no inline styles in the HTML). Charts only ever get values that were
already published for the viewer (suppressed values are drawn as gaps and said so in the caption)."""

from __future__ import annotations

import io
import threading
from collections.abc import Sequence

_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time
COLOURS = ("#00457d", "#b35900", "#2e7d32", "#7a0010", "#5e35b1", "#00838f")


def _plt():  # type: ignore[no-untyped-def]
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    plt.rcParams["svg.hashsalt"] = "jeugdregio"  # stable ids: the same figures give the same SVG
    return plt


def _nl(v: float) -> str:
    return f"{v:,.0f}".replace(",", ".")


def bar_chart_svg(
    categories: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str, ylabel: str,
    percent: bool = False,
) -> bytes:  # fmt: skip
    """Grouped bars: one group per category, one bar per series; None (suppressed) leaves a gap."""
    plt = _plt()
    import matplotlib.ticker as ticker

    with _LOCK:
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=96)
        try:
            n = max(len(series), 1)
            width = 0.8 / n
            for i, (name, vals) in enumerate(series):
                xs = [j + (i - (n - 1) / 2) * width for j in range(len(categories))]
                ys = [float("nan") if v is None else v for v in vals]
                ax.bar(xs, ys, width=width, color=COLOURS[i % len(COLOURS)], label=name)
            ax.set_xticks(range(len(categories)), list(categories), fontsize=8)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            if percent:
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: f"{v * 100:.0f}%"))
            else:
                ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda v, _p: _nl(v)))
            if len(series) > 1:
                ax.legend(loc="upper left", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def line_chart_svg(
    xs: Sequence[str], series: Sequence[tuple[str, Sequence[float | None]]], *, title: str, ylabel: str,
    reference: float | None = None,
) -> bytes:  # fmt: skip
    """One line per series over the x labels (e.g. an index per municipality per half year); None = a gap."""
    plt = _plt()

    with _LOCK:
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=96)
        try:
            for i, (name, vals) in enumerate(series):
                ys = [float("nan") if v is None else v for v in vals]
                ax.plot(list(xs), ys, marker="o", color=COLOURS[i % len(COLOURS)], label=name)
            if reference is not None:
                ax.axhline(reference, color="#555555", linestyle="--", linewidth=1)
            ax.set_title(title)
            ax.set_ylabel(ylabel)
            if series:
                ax.legend(loc="upper left", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()
