"""The People page: person cards across the library, filtered as one types; a person's appearances;
naming, merging, splitting and "Not a face" with Undo, through the real PeopleService and FerretDB;
a double-clicked appearance plays its video from that moment."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLineEdit, QMenu

from core.models import Video, VideoStatus
from core.models.person import Person, PersonAppearance
from core.models.segment import Box
from core.repositories import DatabaseAddress, connect_async
from core.repositories.people import AsyncPeopleRepository, PeopleRepository
from app.wiring import client_services
from core.services.people import PeopleService
from tests.core.test_services import RecordingLauncher
from tests.ui.test_qt_transcript import near, video  # noqa: F401 (fixture)
from tests.ui.waiting import wait_until
from tests.ui.harness import controller_services
from ui.main_controller import ControllerConfig, MainController
from ui.main_view import MainView
from ui.people_view import CHOOSE_TEXT, EMPTY_TEXT, PeopleView


def _crop(tmp_path: Path, name: str, colour: str) -> str:
    path = tmp_path / f"{name}.jpg"
    Image.new("RGB", (64, 64), colour).save(path)
    return str(path)


def _video_doc(video_id: str, name: str) -> dict[str, Any]:
    return Video(project_id="p1", path=f"/clips/{name}", fingerprint=video_id, size_bytes=1, id=video_id,
                 status=VideoStatus.READY).to_doc()


def seed(sync_db: Any, tmp_path: Path) -> dict[str, Person]:
    """Three people over two videos, as the people stage leaves them:
    Person 1 (red): harbour.mp4 at 0:01 and 0:07, market.mp4 at 0:03; Person 2 (blue): harbour.mp4
    at 0:04; Person 3 (green): market.mp4 at 0:10."""
    sync_db["videos"].insert_many([_video_doc("va", "harbour.mp4"), _video_doc("vb", "market.mp4")])
    repo = PeopleRepository(sync_db)
    people = {
        "red": Person(number=1, centroid=[0.0] * 128, count=3, videos=2, cover_path=_crop(tmp_path, "red", "red")),
        "blue": Person(number=2, centroid=[0.0] * 128, count=1, videos=1, cover_path=_crop(tmp_path, "blue", "blue")),
        "green": Person(number=3, centroid=[0.0] * 128, count=1, videos=1,
                        cover_path=_crop(tmp_path, "green", "green")),
    }
    for person in people.values():
        repo.add(person)
    sync_db["counters"].insert_one({"_id": "people", "n": 3})

    def seen(video_id: str, index: int, start: float, who: str) -> PersonAppearance:
        return PersonAppearance(video_id, index, start, start + 1.5, Box(10, 10, 40, 40),
                                _crop(tmp_path, f"{video_id}-{index}", who), people[who].id)

    harbour = [seen("va", 0, 1.0, "red"), seen("va", 1, 4.0, "blue"), seen("va", 2, 7.0, "red")]
    market = [seen("vb", 0, 3.0, "red"), seen("vb", 1, 10.0, "green")]
    repo.save_prints("va", harbour, np.zeros((3, 128), np.float32))
    repo.save_prints("vb", market, np.zeros((2, 128), np.float32))
    return people


@asynccontextmanager
async def people_page(qtbot: Any, database: DatabaseAddress) -> AsyncIterator[tuple[PeopleView, PeopleService]]:
    """The page over the real PeopleService (video names through the library), shown and loaded."""
    client, db = connect_async(database)
    services = client_services(db, RecordingLauncher(), ["probe", "faces", "people"], Path("/nonexistent"))
    assert services.people is not None
    page = PeopleView(services.people, services.library.get_many)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    try:
        await page.refresh()
        yield page, services.people
    finally:
        page.stop()
        await client.close()


@asynccontextmanager
async def window(qtbot: Any, database: DatabaseAddress, tmp_path: Path) -> AsyncIterator[tuple[MainView, MainController]]:
    """The main window (1280×800, shown) with its controller over the real services, search and people."""
    view = MainView()
    qtbot.addWidget(view)
    view.resize(1280, 800)
    view.show()
    client, db = connect_async(database)
    services = client_services(db, RecordingLauncher(), ["probe", "faces", "people"], tmp_path / "data")
    controller = MainController(view, controller_services(services, profiles=None, watch=None, exports=None),
                                ControllerConfig(samples_dir=tmp_path, database_text="test", offer_samples=False))
    try:
        yield view, controller
    finally:
        await controller.stop()
        await client.close()


def click_card(qtbot: Any, page: PeopleView, name: str, ctrl: bool = False) -> None:
    qtbot.mouseClick(page.cards.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier,
                     page.card_rect(name).center())


def click_appearance(qtbot: Any, page: PeopleView, row: int, ctrl: bool = False) -> None:
    qtbot.mouseClick(page.appearance_grid.viewport(), Qt.MouseButton.LeftButton,
                     Qt.KeyboardModifier.ControlModifier if ctrl else Qt.KeyboardModifier.NoModifier,
                     page.appearance_rect(row).center())


def test_no_people_yet_says_how_to_get_some(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                            database: DatabaseAddress) -> None:
    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, _):
            assert page.empty_label.isVisible() and page.empty_label.text() == EMPTY_TEXT
            assert EMPTY_TEXT == "No people yet — analyse videos with the People stage on"
            assert not page.cards.isVisible() and page.card_texts() == []
            assert page.person_title.text() == CHOOSE_TEXT
            assert not page.name_button.isEnabled() and not page.merge_button.isEnabled()

    qloop.run_until_complete(scenario())


def test_cards_filter_as_you_type_and_show_a_persons_appearances(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress, sync_db: Any, tmp_path: Path) -> None:
    seed(sync_db, tmp_path)

    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, _):
            assert page.card_texts() == ["Person 1\n3 appearances in 2 videos", "Person 2\n1 appearance in 1 video",
                                         "Person 3\n1 appearance in 1 video"]
            assert page.count_label.text() == "3 people" and not page.empty_label.isVisible()
            # the covers are the people's crops (decoded off the loop)
            icon = page.cards.item(1).icon().pixmap(page.cards.iconSize()).toImage()
            assert icon.pixelColor(icon.width() // 2, icon.height() // 2).blue() > 200

            qtbot.keyClicks(page.filter_box, "on 2")
            assert page.card_texts() == ["Person 2\n1 appearance in 1 video"]
            assert page.count_label.text() == "1 of 3 people"
            page.filter_box.clear()
            qtbot.keyClicks(page.filter_box, "nobody")
            assert page.card_texts() == [] and page.empty_label.text() == "No one matches “nobody”"
            page.filter_box.clear()
            assert len(page.card_texts()) == 3

            click_card(qtbot, page, "Person 1")
            await wait_until(lambda: page.appearance_labels(), "Person 1's appearances")
            assert page.appearance_labels() == ["harbour.mp4\n0:01", "harbour.mp4\n0:07", "market.mp4\n0:03"]
            assert page.person_title.text().startswith("<b>Person 1</b> — 3 appearances in 2 videos")
            await wait_until(lambda: page.appearance_grid.item(2).icon().pixmap(page.appearance_grid.iconSize())
                             .toImage().pixelColor(88, 44).red() > 200, "the appearances' crops")

    qloop.run_until_complete(scenario())


def test_name_a_person_in_the_name_dialog(qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress,
                                          sync_db: Any, tmp_path: Path) -> None:
    people = seed(sync_db, tmp_path)

    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, service):
            click_card(qtbot, page, "Person 2")
            assert page.name_button.isEnabled()
            qtbot.mouseClick(page.name_button, Qt.MouseButton.LeftButton)
            dialog = page.name_dialog
            assert dialog is not None and dialog.isVisible()
            box = dialog.findChild(QLineEdit)
            qtbot.keyClicks(box, "Ada Lovelace")
            buttons = dialog.findChild(QDialogButtonBox)
            assert buttons is not None
            qtbot.mouseClick(buttons.button(QDialogButtonBox.StandardButton.Ok), Qt.MouseButton.LeftButton)
            await wait_until(lambda: "Ada Lovelace\n1 appearance in 1 video" in page.card_texts(), "the new name")
            assert page.card_texts()[1] == "Ada Lovelace\n1 appearance in 1 video"
            assert page.message.text() == "Named Ada Lovelace."
            stored = await service.person(people["blue"].id)
            assert stored is not None and stored.name == "Ada Lovelace"
            # the filter finds the name
            qtbot.keyClicks(page.filter_box, "love")
            assert page.card_texts() == ["Ada Lovelace\n1 appearance in 1 video"]

    qloop.run_until_complete(scenario())


def test_merge_two_cards_into_the_first_chosen(qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress,
                                               sync_db: Any, tmp_path: Path) -> None:
    seed(sync_db, tmp_path)

    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, service):
            click_card(qtbot, page, "Person 3")
            assert not page.merge_button.isEnabled()
            click_card(qtbot, page, "Person 1", ctrl=True)
            assert page.merge_button.isEnabled() and page.merge_button.text() == "Merge into “Person 3”"
            qtbot.mouseClick(page.merge_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: len(page.card_texts()) == 2, "the merged cards")
            assert page.card_texts() == ["Person 3\n4 appearances in 2 videos", "Person 2\n1 appearance in 1 video"]
            assert page.message.text() == "Merged 2 people into Person 3."
            await wait_until(lambda: len(page.appearance_labels()) == 4, "the merged person's appearances")
            assert page.appearance_labels() == ["harbour.mp4\n0:01", "harbour.mp4\n0:07", "market.mp4\n0:03",
                                                "market.mp4\n0:10"]
            assert [p.display_name for p in await service.people()] == ["Person 3", "Person 2"]

    qloop.run_until_complete(scenario())


def test_split_chosen_appearances_into_a_new_person(qloop: asyncio.AbstractEventLoop, qtbot: Any,
                                                    database: DatabaseAddress, sync_db: Any, tmp_path: Path) -> None:
    seed(sync_db, tmp_path)

    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, service):
            click_card(qtbot, page, "Person 1")
            await wait_until(lambda: len(page.appearance_labels()) == 3, "Person 1's appearances")
            assert not page.split_button.isEnabled()
            click_appearance(qtbot, page, 1)
            click_appearance(qtbot, page, 2, ctrl=True)
            assert page.split_button.isEnabled()
            qtbot.mouseClick(page.split_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: len(page.card_texts()) == 4, "the new person's card")
            assert sorted(page.card_texts()) == ["Person 1\n1 appearance in 1 video",
                                                 "Person 2\n1 appearance in 1 video",
                                                 "Person 3\n1 appearance in 1 video",
                                                 "Person 4\n2 appearances in 2 videos"]
            assert page.message.text() == "Split 2 appearances into Person 4."
            # the new person is chosen and shows the appearances split off
            await wait_until(lambda: page.person_title.text().startswith("<b>Person 4</b> — 2"), "Person 4 shown")
            assert page.appearance_labels() == ["harbour.mp4\n0:07", "market.mp4\n0:03"]
            click_card(qtbot, page, "Person 1")
            await wait_until(lambda: page.appearance_labels() == ["harbour.mp4\n0:01"], "what Person 1 kept")
            assert len(await service.people()) == 4

    qloop.run_until_complete(scenario())


def test_not_a_face_hides_the_cluster_and_undo_brings_it_back(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress, sync_db: Any, tmp_path: Path) -> None:
    people = seed(sync_db, tmp_path)

    async def scenario() -> None:
        async with people_page(qtbot, database) as (page, service):
            assert not page.undo_button.isEnabled()
            click_card(qtbot, page, "Person 3")
            qtbot.mouseClick(page.not_face_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: len(page.card_texts()) == 2, "the hidden cluster to leave")
            assert [t.split("\n")[0] for t in page.card_texts()] == ["Person 1", "Person 2"]
            assert page.message.text() == "Hid Person 3 (Not a face). Undo shows it again."
            assert page.person_title.text() == CHOOSE_TEXT and page.appearance_labels() == []
            stored = await service.person(people["green"].id)
            assert stored is not None and stored.not_a_face
            # a reload (the page shown again, a job finished) keeps it hidden
            await page.refresh()
            assert len(page.card_texts()) == 2
            assert page.undo_button.isEnabled()
            qtbot.mouseClick(page.undo_button, Qt.MouseButton.LeftButton)
            await wait_until(lambda: len(page.card_texts()) == 3, "the cluster back")
            assert page.card_texts()[2] == "Person 3\n1 appearance in 1 video"
            assert not page.undo_button.isEnabled()
            stored = await service.person(people["green"].id)
            assert stored is not None and not stored.not_a_face

    qloop.run_until_complete(scenario())


def test_the_people_page_in_the_window_plays_an_appearance_from_its_moment(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress, sync_db: Any, video: Video,  # noqa: F811
        tmp_path: Path) -> None:
    """Through the main window and its controller: the People entry shows the page, a double-click
    on an appearance opens the review screen playing from it, and ← People goes back."""
    sync_db["videos"].insert_one(video.to_doc())  # v1: "harbour tour.mp4", 6 s
    repo = PeopleRepository(sync_db)
    person = Person(number=1, centroid=[0.0] * 128, count=2, videos=1, cover_path=_crop(tmp_path, "c", "red"))
    repo.add(person)
    repo.save_prints("v1", [PersonAppearance("v1", i, start, start + 1.0, Box(5, 5, 30, 30),
                                             _crop(tmp_path, f"a{i}", "red"), person.id)
                            for i, start in enumerate((0.5, 3.5))], np.zeros((2, 128), np.float32))

    async def scenario() -> None:
        async with window(qtbot, database, tmp_path) as (view, controller):
            assert view.people_action.isEnabled()
            assert any(view.people_action in menu.actions() for menu in view.menuBar().findChildren(QMenu))
            view.people_action.trigger()
            page = controller.people
            assert page is not None and view.showing_people()
            await wait_until(lambda: page.card_texts() == ["Person 1\n2 appearances in 1 video"], "the card")
            click_card(qtbot, page, "Person 1")
            await wait_until(lambda: page.appearance_labels() == ["harbour tour.mp4\n0:00", "harbour tour.mp4\n0:03"],
                             "the appearances")
            positions: list[float] = []
            view.detail.player.position_changed.connect(positions.append)
            # a real double-click: press/release, then the double-click press/release
            at = page.appearance_rect(1).center()
            qtbot.mouseClick(page.appearance_grid.viewport(), Qt.MouseButton.LeftButton, pos=at)
            assert not view.showing_detail()  # one click only chooses it
            qtbot.mouseDClick(page.appearance_grid.viewport(), Qt.MouseButton.LeftButton, pos=at)
            await wait_until(view.showing_detail, "the review screen")
            detail = view.detail
            assert detail.video is not None and detail.video.id == "v1"
            assert detail.back_button.text() == "← People"
            await wait_until(lambda: positions, "the player to move")
            assert near(positions[0], 3.5, 0.05)  # the appearance's moment
            await wait_until(lambda: detail.player.position_s() > 3.7, "playing from there")
            detail.close_video()
            qtbot.mouseClick(detail.back_button, Qt.MouseButton.LeftButton)
            assert view.showing_people()
            qtbot.mouseClick(page.back_button, Qt.MouseButton.LeftButton)
            assert view.pages.currentWidget() is view.library_page

    qloop.run_until_complete(scenario())


def test_a_search_for_a_name_offers_the_person_and_opens_them(
        qloop: asyncio.AbstractEventLoop, qtbot: Any, database: DatabaseAddress, sync_db: Any, tmp_path: Path) -> None:
    """Typing a person's name in the search box shows them above the videos; clicking them opens the
    People page with them chosen and their appearances listed."""
    people = seed(sync_db, tmp_path)
    sync_db["people"].update_one({"_id": people["red"].id}, {"$set": {"name": "Ann Lee", "name_lc": "ann lee"}})

    async def scenario() -> None:
        async with window(qtbot, database, tmp_path) as (view, controller):
            qtbot.keyClicks(view.search.box, "ann lee")
            await wait_until(lambda: [b.text() for b in view.search.people_buttons()]
                             == ["Ann Lee · 3 appearances in 2 videos"], "the person above the results", 10)
            assert view.showing_search() and view.search.people_bar.isVisible()
            qtbot.mouseClick(view.search.people_buttons()[0], Qt.MouseButton.LeftButton)
            page = controller.people
            assert page is not None and view.showing_people()
            await wait_until(lambda: page.appearance_labels() == [
                "harbour.mp4\n0:01", "harbour.mp4\n0:07", "market.mp4\n0:03"], "her appearances")
            view.search.box.clear()
            qtbot.keyClicks(view.search.box, "lighthouse")
            await wait_until(lambda: view.showing_search() and not view.search.people_bar.isVisible(),
                             "no person for a word nobody is named", 10)

    qloop.run_until_complete(scenario())
