"""What the administrator does for one student or for all slips at once: attendance (present,
late, absent) and the login slips. Shared by the room screen and the seating sheet."""

from __future__ import annotations

from room_protocol import SeatView

from ..i18n import t
from .dialogs import AttendanceChoice, AttendanceDialog, ConfirmDialog


class StudentActions:
    def selected(self) -> SeatView | None:
        raise NotImplementedError

    def _need_student(self) -> SeatView | None:
        seat = self.selected()
        if seat is None:
            self.app.notify(t("Select a student in the table first."), severity="warning")
        return seat

    def action_attendance(self) -> None:
        seat = self._need_student()
        if seat is None:
            return

        def go(choice: AttendanceChoice | None) -> None:
            if choice is not None:
                self.app.act(lambda room: room.attendance(seat.student, choice.present, choice.reason, choice.document,
                                                          late=choice.late),
                             tag="attendance", done=t("Attendance saved."))
        self.app.push_screen(AttendanceDialog(seat), go)

    def action_late(self) -> None:
        """Present, but came after the start (the protocol counts them)."""
        seat = self._need_student()
        if seat is None:
            return
        late = not seat.late
        self.app.act(lambda room: room.attendance(seat.student, True, late=late), tag="attendance",
                     done=t("Marked as late.") if late else t("No longer marked as late."))

    def action_slip_handed(self) -> None:
        seat = self._need_student()
        if seat is not None:
            handed = not seat.slip_handed
            self.app.act(lambda room: room.slips(seat.student, handed=handed), tag="slips",
                         done=t("Slip handed out.") if handed else t("Slip marked as not handed out."))

    def action_slip_collected(self) -> None:
        seat = self._need_student()
        if seat is not None:
            collected = not seat.slip_collected
            self.app.act(lambda room: room.slips(seat.student, collected=collected), tag="slips",
                         done=t("Slip collected.") if collected else t("Slip marked as not collected."))

    def action_hand_all(self) -> None:
        """The slips go out in the order of the list; an absent student's slip is put aside."""
        students = [s.student for s in self.app.model.rows(sort="seat") if s.status != "absent" and not s.slip_handed]
        if not students:
            self.app.notify(t("Every present student's slip is already handed out."))
            return
        self.app.act(lambda room: _each(students, lambda student: room.slips(student, handed=True)), tag="slips",
                     done=t("{n} slips marked handed out.", n=len(students)))

    def action_collect_all(self) -> None:
        """At the end, every slip handed out comes back: asked first, since they must be counted."""
        students = [s.student for s in self.app.model.rows(sort="seat") if s.slip_handed and not s.slip_collected]
        if not students:
            self.app.notify(t("No slip handed out is waiting to be collected."))
            return

        def go(yes: bool | None) -> None:
            if yes:
                self.app.act(lambda room: _each(students, lambda student: room.slips(student, collected=True)),
                             tag="slips", done=t("{n} slips marked collected.", n=len(students)))
        self.app.push_screen(ConfirmDialog(
            t("Collect all slips?"),
            t("{n} slips are handed out and not yet collected. Mark them all collected once you hold them all "
              "and have counted them.", n=len(students)),
            t("Mark all collected")), go)


async def _each(students: list[int], action) -> None:
    """One request after another (a burst of hundreds would only queue at the server)."""
    for student in students:
        await action(student)
