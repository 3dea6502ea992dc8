"""The look: Fusion with a light, calm palette, readable sizes and one accent colour.

Fusion draws the same on Windows, macOS and Linux, so screenshots in help texts match what
people see. Widgets opt into the special looks below with ``setObjectName`` (e.g. a primary
button is ``setObjectName("primary")``).
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QApplication

ACCENT = "#2f6fd6"
TEXT = "#1f2933"
MUTED = "#5f6b7a"
ERROR = "#b42318"
SIDEBAR = "#eef1f5"
BORDER = "#d9dee5"

STYLE_SHEET = f"""
QMainWindow, QStackedWidget#pages {{ background: #ffffff; }}
QFrame#sidebar {{ background: {SIDEBAR}; border-right: 1px solid {BORDER}; }}
QLabel#appName {{ font-size: 17pt; font-weight: 600; color: {TEXT}; }}
QLabel#voiceCaption {{ color: {MUTED}; font-size: 9pt; text-transform: uppercase; }}
QLabel#voiceName {{ font-size: 11.5pt; font-weight: 600; color: {TEXT}; }}
QLabel#voiceName[none="true"] {{ font-weight: 400; color: {MUTED}; }}
QToolButton#navButton {{
    border: none; border-radius: 6px; padding: 9px 12px; text-align: left;
    font-size: 11.5pt; color: {TEXT};
}}
QToolButton#navButton:hover:enabled {{ background: #e1e6ee; }}
QToolButton#navButton:checked {{ background: {ACCENT}; color: white; }}
QToolButton#navButton:disabled {{ color: #9aa4b1; }}
QLabel#pageTitle {{ font-size: 20pt; font-weight: 600; color: {TEXT}; }}
QLabel#pageSubtitle {{ color: {MUTED}; font-size: 10.5pt; }}
QLabel#hint {{ color: {MUTED}; }}
QLabel#fieldError {{ color: {ERROR}; }}
QLabel#emptyState {{ font-size: 14pt; color: {TEXT}; }}
QLabel#plannedLine {{ font-size: 13pt; color: {MUTED}; }}
QLabel#cardTitle {{ font-size: 15pt; font-weight: 600; color: {TEXT}; }}
QLabel#badge {{
    background: #e3efe6; color: #1e6b3a; border-radius: 9px; padding: 2px 10px;
    font-weight: 600;
}}
QLabel#dialogHeading {{ font-weight: 600; font-size: 11.5pt; }}
QLabel#progressTitle {{ font-weight: 600; }}
QFrame#card {{ background: #fafbfc; border: 1px solid {BORDER}; border-radius: 8px; }}
QFrame#card QLabel {{ background: transparent; }}
QFrame#notice {{ background: #eaf2fd; border: 1px solid #c5d9f6; border-radius: 6px; }}
QWidget#emptyStatePanel {{ border: 1px dashed {BORDER}; border-radius: 8px; }}
QPushButton {{
    padding: 6px 14px; border-radius: 5px; border: 1px solid #c4cbd4; background: #f7f8fa;
    color: {TEXT};
}}
QPushButton:hover {{ background: #eef1f5; }}
QPushButton:pressed {{ background: #e1e6ee; }}
QPushButton:disabled {{ color: #9aa4b1; border-color: {BORDER}; background: #fbfbfc; }}
QPushButton:flat {{ border: none; background: transparent; }}
QPushButton#primary {{
    background: {ACCENT}; color: white; border: 1px solid {ACCENT}; font-weight: 600;
}}
QPushButton#primary:hover {{ background: #2a63c0; }}
QPushButton#primary:disabled {{ background: #a9c1ea; border-color: #a9c1ea; }}
QLineEdit[readOnly="true"] {{ background: #f2f4f7; color: {TEXT}; }}
QLineEdit, QComboBox {{ padding: 4px 6px; min-height: 22px; }}
QTreeWidget, QListWidget {{ border: 1px solid {BORDER}; border-radius: 6px; }}
QTreeWidget::item, QListWidget::item {{ padding: 6px 4px; }}
QStatusBar {{ border-top: 1px solid {BORDER}; background: {SIDEBAR}; }}
QStatusBar QLabel {{ padding: 2px 10px; color: {TEXT}; }}
QStatusBar QLabel[problem="true"] {{ color: {ERROR}; }}
"""


def apply_style(app: QApplication) -> None:
    """Fusion, a light palette, at least 10.5 pt text, and the sheet above."""
    app.setStyle("Fusion")
    palette = app.style().standardPalette()
    palette.setColor(QPalette.ColorRole.Window, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.Base, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.AlternateBase, QColor("#f6f8fa"))
    palette.setColor(QPalette.ColorRole.Text, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.WindowText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.ButtonText, QColor(TEXT))
    palette.setColor(QPalette.ColorRole.Highlight, QColor(ACCENT))
    palette.setColor(QPalette.ColorRole.HighlightedText, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipBase, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.ToolTipText, QColor(TEXT))
    app.setPalette(palette)
    font = app.font()
    if font.pointSizeF() < 10.5:
        font.setPointSizeF(10.5)
        app.setFont(font)
    app.setStyleSheet(STYLE_SHEET)
