"""Window and keyboard basics: the File menu and Ctrl+Q, Ctrl+F from anywhere, a focus ring."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QVBoxLayout

from ui.main_view import MainView


def shown_view(qtbot: Any) -> MainView:
    view = MainView()
    qtbot.addWidget(view)
    view.show()
    view.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is view)
    return view


def test_file_menu_quit_and_ctrl_q_close_the_window(qtbot: Any) -> None:
    view = shown_view(qtbot)
    file_menu = view.menuBar().actions()[0]
    assert file_menu.text().replace("&", "") == "File"
    entries = [a.text() for a in file_menu.menu().actions() if not a.isSeparator()]
    assert entries == ["Import files…", "Import folder…", "Add sample videos", "Quit"]
    assert view.quit_action.shortcut() == QKeySequence("Ctrl+Q")
    qtbot.keyClick(view.library, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)
    assert view.was_closed and not view.isVisible()


def test_ctrl_f_reaches_the_search_box_from_another_window(qtbot: Any) -> None:
    view = shown_view(qtbot)
    other = QDialog(view)  # like the Costs window, or what an export dialog leaves behind
    box = QLineEdit(other)
    QVBoxLayout(other).addWidget(box)
    other.show()
    other.activateWindow()
    box.setFocus()
    qtbot.waitUntil(lambda: QApplication.focusWidget() is box)
    qtbot.keyClick(box, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is view.search.box)


def test_tabbing_shows_a_focus_ring_around_the_control(qtbot: Any) -> None:
    view = shown_view(qtbot)
    button = view.projects.new_button
    highlight = button.palette().highlight().color().rgb()

    def edge_colour() -> int:
        image = button.grab().toImage()
        return image.pixelColor(image.width() // 2, 0).rgb()  # the top edge's middle

    assert edge_colour() != highlight
    view.projects.list.setFocus()
    qtbot.waitUntil(lambda: view.projects.list.hasFocus())
    qtbot.keyClick(view.projects.list, Qt.Key.Key_Tab)
    qtbot.waitUntil(lambda: button.hasFocus())
    assert edge_colour() == highlight  # the ring, in the highlight colour
