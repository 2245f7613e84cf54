"""The title fight as a picture: a PNG of the points after every round (matplotlib, Agg: no display needed).

Drawn on a Figure of its own (no pyplot state), so charts can be drawn in worker threads side by side. Sized
for a phone and inside Telegram's photo limits (≤ 10 MB, width + height ≤ 10000, sides at most 20:1).
"""

from __future__ import annotations

import io
from typing import TYPE_CHECKING

from bot.i18n import Translator
from bot.render.common import championship_name, e
from bot.services.charts import ChartData, ChartLine

if TYPE_CHECKING:
    from matplotlib.figure import Figure

WIDTH, HEIGHT, DPI = 1280, 720, 100
# Colour-blind-safe and distinct on a white background (Okabe–Ito, then darker tones); the chat's own
# drivers are drawn thicker with markers, so colour is never the only cue.
COLOURS = (
    "#0072B2",
    "#D55E00",
    "#009E73",
    "#CC79A7",
    "#E69F00",
    "#56B4E9",
    "#000000",
    "#8C564B",
    "#7F7F7F",
    "#BCBD22",
)
NAME_WIDTH = 28  # characters of a legend name


def title(t: Translator, data: ChartData) -> str:
    """Plain text (the picture's heading); escape it for a caption."""
    parts = [f"{data.series_name} {data.year}", championship_name(t, data.championship)]
    if data.car_class:
        parts.append(data.car_class)
    return " — ".join(parts)


def line_label(t: Translator, line: ChartLine) -> str:
    # A crew shares one line: surnames keep it short ("Surname / Surname").
    names = line.names[0] if len(line.names) == 1 else " / ".join(n.split()[-1] for n in line.names)
    if len(names) > NAME_WIDTH:
        names = names[: NAME_WIDTH - 1] + "…"
    place = f"{line.position}. " if line.position else "– "
    return f"{place}{names}  {t.points(line.points[-1] if line.points else 0)}"


def _figure() -> Figure:
    # matplotlib is imported on the first chart (a third of a second): the CLI and the rest of the bot never
    # wait for it. Agg draws to memory; a Figure of its own (no pyplot) needs no display and no global state.
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(WIDTH / DPI, HEIGHT / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    return figure


def chart_png(t: Translator, data: ChartData) -> bytes:
    """The same data and language always give the same bytes (no timestamp in the file)."""
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    figure = _figure()
    axes = figure.add_axes((0.075, 0.2, 0.60, 0.66))
    figure.text(0.075, 0.95, title(t, data), fontsize=20, fontweight="bold", va="top")
    subject = t("Team points after each round") if data.subject == "teams" else t("Points after each round")
    figure.text(0.075, 0.895, subject, fontsize=15, color="#444444", va="top")
    rounds = list(range(1, len(data.rounds) + 1))
    for index, line in enumerate(data.lines):
        colour = COLOURS[index % len(COLOURS)]
        axes.plot(
            rounds,
            line.points,
            color=colour,
            linewidth=4.2 if line.own else 2.4,
            marker="o" if line.own else None,
            markersize=6,
            label=line_label(t, line),
            zorder=3 if line.own else 2,
            solid_joinstyle="round",
        )
    axes.set_xticks(rounds)
    axes.set_xticklabels(data.rounds, rotation=45, ha="right", rotation_mode="anchor", fontsize=12)
    axes.set_xlim(0.7, max(len(rounds), 1) + 0.3)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(nbins=7))
    axes.yaxis.set_major_formatter(FuncFormatter(lambda value, _: t.points(value)))
    axes.tick_params(axis="y", labelsize=13)
    axes.set_ylabel(t("Points"), fontsize=15)
    axes.grid(True, color="#dddddd", linewidth=0.8)
    axes.spines[["top", "right"]].set_visible(False)
    legend = axes.legend(
        loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=13, frameon=False, handlelength=1.6, borderaxespad=0
    )
    for text, line in zip(legend.get_texts(), data.lines, strict=True):
        if line.own:
            text.set_fontweight("bold")
    buffer = io.BytesIO()
    # No "Software"/date chunks: the bytes depend on the data alone.
    # Fast zlib: a third of the encoding time for a file about a quarter larger (still far below 10 MB).
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None}, pil_kwargs={"compress_level": 1})
    return buffer.getvalue()


def chart_caption(t: Translator, data: ChartData) -> str:
    """Telegram HTML for the photo's caption (≤ 1024 characters)."""
    source = t("official") if data.source == "official" else t("computed from results")
    footer = t("{source}, after {event}", source=source, event=e(data.after_event or "—"))
    text = f"📈 <b>{e(title(t, data))}</b>\n<i>{footer}</i>"
    if any(line.own for line in data.lines):
        text += "\n" + t("Thick lines: whom this chat follows.")
    return text
