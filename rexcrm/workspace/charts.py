"""Server-rendered SVG bar charts: geometry computed here, drawn by templates/_partials/bar_chart.html
(a ``<title>``, and the same numbers in a visually hidden table for screen readers)."""

from dataclasses import dataclass, field

WIDTH, HEIGHT = 560, 220
LEFT, RIGHT, TOP, BOTTOM = 8, 8, 22, 40


@dataclass
class Segment:
    series: str  # CSS class suffix: the series' colour
    value: float
    y: float = 0
    height: float = 0


@dataclass
class Bar:
    label: str
    value_label: str
    segments: list[Segment]
    css: str = ""
    x: float = 0
    width: float = 0
    top: float = 0

    @property
    def center(self) -> float:
        return self.x + self.width / 2


@dataclass
class BarChart:
    title: str
    bars: list[Bar]
    series: list[tuple[str, str]] = field(default_factory=list)  # (css suffix, label) for a legend
    width: int = WIDTH
    height: int = HEIGHT
    label_y: float = HEIGHT - BOTTOM + 16

    def __post_init__(self):
        peak = max((sum(s.value for s in bar.segments) for bar in self.bars), default=0) or 1
        plot = self.height - TOP - BOTTOM
        slot = (self.width - LEFT - RIGHT) / max(len(self.bars), 1)
        for index, bar in enumerate(self.bars):
            bar.width = slot * 0.64
            bar.x = LEFT + slot * index + (slot - bar.width) / 2
            y = self.height - BOTTOM
            for segment in bar.segments:
                segment.height = plot * segment.value / peak
                y -= segment.height
                segment.y = y
            bar.top = y

    @property
    def baseline(self) -> float:
        return self.height - BOTTOM
