"""A customer's portfolio as a donut with a legend, drawn with QPainter.

PySide6-Essentials ships without QtCharts; a donut of a handful of product types
needs no more than this. Assets make up the ring (their share of the assets total);
liabilities (loans, card debt) are listed under the legend, not mixed into the ring.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPaintEvent, QPen
from PySide6.QtWidgets import QSizePolicy, QWidget

from rm_workbench.services.customer360 import Holdings

# Distinct, print-friendly colors, in the order the largest slices take them.
PALETTE = (
    "#2563eb",
    "#f59e0b",
    "#10b981",
    "#ef4444",
    "#8b5cf6",
    "#06b6d4",
    "#ec4899",
    "#84cc16",
    "#f97316",
    "#64748b",
)
LIABILITY_COLOR = "#9ca3af"


@dataclass(frozen=True)
class Slice:
    label: str
    amount_text: str  # 万元
    share: float  # of the assets total, 0..1; 0 for a liability
    color: str
    is_liability: bool


class PortfolioChart(QWidget):
    """Donut of the assets by product type, legend with amounts and shares."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("portfolio_chart")
        self.setMinimumSize(320, 180)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.slices: tuple[Slice, ...] = ()
        self.total_text = ""

    def sizeHint(self) -> QSize:
        return QSize(440, 240)

    def set_holdings(self, holdings: Holdings) -> None:
        assets = holdings.assets_total
        slices = []
        color = 0
        for group in holdings.groups:
            if group.is_liability:
                slices.append(Slice(group.label, group.total_text, 0.0, LIABILITY_COLOR, True))
                continue
            if group.total <= 0:
                continue
            share = float(group.total / assets) if assets > 0 else 0.0
            slices.append(
                Slice(group.label, group.total_text, share, PALETTE[color % len(PALETTE)], False)
            )
            color += 1
        self.slices = tuple(slices)
        self.total_text = holdings.assets_text if assets > Decimal(0) else ""
        self.update()

    def asset_slices(self) -> list[Slice]:
        return [s for s in self.slices if not s.is_liability]

    # --- drawing ----------------------------------------------------------------------

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        area = QRectF(self.rect()).adjusted(8, 8, -8, -8)
        text_color = self.palette().color(self.foregroundRole())
        metrics = QFontMetrics(self.font())
        if not self.asset_slices():
            top = QRectF(area.left(), area.top(), area.width(), metrics.lineSpacing() * 2)
            painter.setPen(QColor("#6b7280"))
            painter.drawText(top, Qt.AlignmentFlag.AlignCenter, self.tr("No assets held"))
            self._legend(painter, area.adjusted(0, top.height(), 0, 0), text_color)
            return
        # The legend takes what its widest line needs; the donut gets the rest.
        legend_width = min(self._legend_width(metrics), area.width() - 110)
        side = max(60.0, min(area.height(), area.width() - legend_width - 16))
        ring = QRectF(area.left(), area.top() + (area.height() - side) / 2, side, side)
        thickness = side * 0.22
        band = ring.adjusted(thickness / 2, thickness / 2, -thickness / 2, -thickness / 2)
        start = 90.0 * 16  # twelve o'clock, clockwise
        for piece in self.asset_slices():
            span = -piece.share * 360.0 * 16
            pen = QPen(QColor(piece.color), thickness)
            pen.setCapStyle(Qt.PenCapStyle.FlatCap)
            painter.setPen(pen)
            painter.drawArc(band, round(start), round(span))
            start += span
        # The total in the hole.
        hole = ring.adjusted(thickness, thickness, -thickness, -thickness)
        height = metrics.height()
        painter.setPen(text_color)
        painter.drawText(
            QRectF(hole.left() - 8, hole.center().y() - height, hole.width() + 16, height),
            Qt.AlignmentFlag.AlignCenter,
            self.tr("Assets"),
        )
        bold = QFont(self.font())
        bold.setBold(True)
        # A large total (2,571.51万元) gets a smaller font rather than being cut.
        room = hole.width() + 12
        wide = QFontMetrics(bold).horizontalAdvance(self.total_text)
        if wide > room and bold.pointSizeF() > 0:
            bold.setPointSizeF(max(6.0, bold.pointSizeF() * room / wide))
        painter.setFont(bold)
        painter.drawText(
            QRectF(hole.left() - 8, hole.center().y(), hole.width() + 16, height + 2),
            Qt.AlignmentFlag.AlignCenter,
            self.total_text,
        )
        painter.setFont(self.font())
        legend = QRectF(
            ring.right() + 16, area.top(), area.right() - ring.right() - 16, area.height()
        )
        self._legend(painter, legend, text_color)

    def _amount(self, piece: Slice) -> str:
        return (
            piece.amount_text if piece.is_liability else f"{piece.amount_text}  {piece.share:.1%}"
        )

    def _legend_width(self, metrics: QFontMetrics) -> float:
        labels = max((metrics.horizontalAdvance(s.label) for s in self.slices), default=0)
        amounts = max((metrics.horizontalAdvance(self._amount(s)) for s in self.slices), default=0)
        return 18 + labels + 16 + amounts

    def _legend(self, painter: QPainter, area: QRectF, text_color: QColor) -> None:
        metrics = QFontMetrics(self.font())
        line = metrics.lineSpacing() + 6
        rows = list(self.slices)
        height = line * len(rows) + (line if any(s.is_liability for s in rows) else 0)
        y = area.top() + max(0.0, (area.height() - height) / 2)
        liabilities_started = False
        for piece in rows:
            if piece.is_liability and not liabilities_started:
                liabilities_started = True
                painter.setPen(QColor("#6b7280"))
                painter.drawText(
                    QRectF(area.left(), y, area.width(), line),
                    Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft,
                    self.tr("Liabilities (not in the ring)"),
                )
                y += line
            swatch = QRectF(area.left(), y + (line - 12) / 2, 12, 12)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QColor(piece.color))
            painter.drawRoundedRect(swatch, 2, 2)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.setPen(text_color)
            amount = self._amount(piece)
            amount_width = metrics.horizontalAdvance(amount)
            label_box = QRectF(area.left() + 18, y, area.width() - 18, line)
            label = metrics.elidedText(
                piece.label, Qt.TextElideMode.ElideRight, int(label_box.width() - amount_width - 12)
            )
            painter.drawText(
                label_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignLeft, label
            )
            painter.drawText(
                label_box, Qt.AlignmentFlag.AlignVCenter | Qt.AlignmentFlag.AlignRight, amount
            )
            y += line
