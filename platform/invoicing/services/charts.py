"""Budget charts as SVG (matplotlib, Agg backend, no scripts). The page shows them as an <img> with a data:
URI, so the Content-Security-Policy (no inline styles or scripts) holds: the SVG's own styles stay inside
the image."""

from __future__ import annotations

import base64
import io
import threading

from jeugdregio.templating import MONTHS

_LOCK = threading.Lock()  # pyplot's state is global: one figure at a time


def budget_chart_svg(by_month: list[tuple[int, int, int]], budget_cents: int | None, *, title: str) -> bytes:
    """Bars: realisation per month; line: the cumulative forecast; dashed line: the budget (euro)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    months = [MONTHS[m - 1][:3] for m, _, _ in by_month]
    realised = [r / 100 for _, r, _ in by_month]
    cumulative: list[float] = []
    running = 0
    for _, _, forecast in by_month:
        running += forecast
        cumulative.append(running / 100)
    with _LOCK:
        plt.rcParams["svg.hashsalt"] = "jeugdregio"  # stable ids: the same figures give the same SVG
        fig, ax = plt.subplots(figsize=(8, 3.6), dpi=96)
        try:
            ax.bar(months, realised, color="#00457d", label="Realisatie per maand")
            ax.plot(months, cumulative, color="#b35900", marker="o", label="Prognose cumulatief")
            if budget_cents is not None:
                ax.axhline(budget_cents / 100, color="#7a0010", linestyle="--", label="Budget")
            ax.set_title(title)
            ax.set_ylabel("euro")
            ax.ticklabel_format(axis="y", style="plain")
            ax.yaxis.set_major_formatter(
                matplotlib.ticker.FuncFormatter(lambda v, _p: f"{v:,.0f}".replace(",", "."))
            )
            ax.legend(loc="upper left", fontsize=8)
            ax.grid(axis="y", alpha=0.3)
            fig.tight_layout()
            buffer = io.BytesIO()
            fig.savefig(buffer, format="svg", metadata={"Date": None})
        finally:
            plt.close(fig)
    return buffer.getvalue()


def data_uri(svg: bytes) -> str:
    return "data:image/svg+xml;base64," + base64.b64encode(svg).decode("ascii")
