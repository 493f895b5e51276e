"""Launch (SPEC 7.3): claim a ticket only once the Pod has really started.

::

    with launch(overlay, "00001KSKBPDVG", "coder-1", "coder") as attempt:
        spawn_pod(env=attempt.environment())   # raise, or call attempt.abort(), on failure
    attempt.claim                              # the claim, written when the block succeeded

1. Under the state lock: refuse if the ticket has a claim of another holder (a stale
   one too: only ``reclaim`` replaces it) or a launch in flight; take the ticket's
   pending lock and write ``pending/<enc-id>.json``. The lock stays held for the whole
   launch. The holder itself may launch again (its Pod restarted).
2. The caller starts the Pod (:func:`run_launch` runs a command with
   ``YOI_TICKET_ID``, ``YOI_POD_NAME`` and ``YOI_ROLE`` set).
3. Success: write the claim and the role session,
   remove the pending record. Failure: remove the pending record, claim nothing.
4. A launcher that dies leaves a pending record whose lock the OS has freed:
   a dead record, which never blocks a retry.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from types import TracebackType

from filelock import BaseFileLock

from yoi_ticket.errors import RefusedError, UsageError, YoiError
from yoi_ticket.files import atomicfile, faults, locking
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.claims import (
    CLAIM,
    ClaimRequest,
    commit,
    panel_holder,
    panel_taken,
    prepare,
    read_claim,
    refuse_if_launching,
    same_holder,
    taken,
)
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import now, this_host
from yoi_ticket.overlay.pods import PodStatus, PodStatusChecker
from yoi_ticket.overlay.records import TicketClaim

TICKET_ENV = "YOI_TICKET_ID"
POD_ENV = "YOI_POD_NAME"
ROLE_ENV = "YOI_ROLE"
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126


class LaunchCommandError(YoiError):
    """The launch command could not be started at all."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message, hint="check the command after '--'")
        self.exit_code = exit_code


class LaunchAttempt:
    """One launch of a Pod for a ticket; use as a context manager (see module docs)."""

    def __init__(
        self,
        overlay: Overlay,
        ticket_id: str,
        pod_name: str,
        role: str,
        *,
        allow_missing: bool = False,
    ) -> None:
        self.overlay = overlay
        self.request: ClaimRequest = prepare(
            overlay, ticket_id, pod_name, role, allow_missing=allow_missing
        )
        self.claim: TicketClaim | None = None
        self._aborted = False
        self._lock: BaseFileLock | None = None

    def environment(self) -> dict[str, str]:
        """The current environment plus the ticket, Pod and role of this launch."""
        return {
            **os.environ,
            TICKET_ENV: self.request.ticket_id,
            POD_ENV: self.request.pod_name,
            ROLE_ENV: self.request.role,
        }

    def abort(self) -> None:
        """Leave the ``with`` block without claiming (the Pod did not start)."""
        self._aborted = True

    def __enter__(self) -> LaunchAttempt:
        overlay, request = self.overlay, self.request
        overlay.ensure()
        with overlay.state_lock():
            refuse_if_launching(overlay, request.ticket_id)
            _refuse_held(overlay, request, read_claim(overlay, request.ticket_id))
            _refuse_panel_held(overlay, request)
            path = overlay.pending_path(request.ticket_id)
            lock = locking.try_hold(pending.lock_path(overlay, path.stem))
            if lock is None:
                raise RefusedError(f"ticket {request.ticket_id} has a launch in progress")
            try:
                record = pending.this_process_record(
                    request.ticket_id, request.pod_name, request.role, this_host(), now()
                )
                atomicfile.write_replace(path, record.to_json(), fault="pending")
            except BaseException:
                lock.release()
                raise
            self._lock = lock
        faults.point("launch.after_pending_write")
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        try:
            if exc_type is None and not self._aborted:
                self._commit()
        finally:
            self._finish()

    def _commit(self) -> None:
        overlay, request = self.overlay, self.request
        with overlay.state_lock():
            existing = read_claim(overlay, request.ticket_id)
            status = _refuse_held(overlay, request, existing)
            _refuse_panel_held(overlay, request)
            self.claim = commit(
                overlay,
                request,
                replacing=existing,
                action=CLAIM,
                old_status=status,
                via="launch",
            )
            atomicfile.remove(overlay.pending_path(request.ticket_id))
        faults.point("launch.before_session")
        from yoi_ticket.overlay.records import RelatedTicket
        from yoi_ticket.overlay.sessions import record_session

        record_session(
            overlay,
            request.pod_name,
            request.role,
            default_origin="role_launch",
            tickets=[RelatedTicket(id=request.ticket_id, slug=request.slug)],
        )

    def _finish(self) -> None:
        if self._lock is None:
            return
        try:
            with self.overlay.state_lock():
                atomicfile.remove(self.overlay.pending_path(self.request.ticket_id))
        finally:
            self._lock.release()
            self._lock = None


def launch(
    overlay: Overlay, ticket_id: str, pod_name: str, role: str, *, allow_missing: bool = False
) -> LaunchAttempt:
    """A :class:`LaunchAttempt` to use in a ``with`` block."""
    return LaunchAttempt(overlay, ticket_id, pod_name, role, allow_missing=allow_missing)


def run_launch(
    overlay: Overlay,
    ticket_id: str,
    pod_name: str,
    role: str,
    command: Sequence[str],
    *,
    allow_missing: bool = False,
) -> int:
    """Run ``command`` as the Pod spawn; claim on exit 0. Returns the command's exit status
    (``128 + N`` when a signal N killed it)."""
    if not command:
        raise UsageError("no command to launch", hint="put the command after '--'")
    with launch(overlay, ticket_id, pod_name, role, allow_missing=allow_missing) as attempt:
        try:
            process = subprocess.Popen(list(command), env=attempt.environment())
        except OSError as exc:
            attempt.abort()
            code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
            raise LaunchCommandError(
                f"cannot run {command[0]!r}: {exc.strerror or exc}", code
            ) from None
        try:
            returncode = process.wait()
        except KeyboardInterrupt:
            attempt.abort()
            returncode = process.wait()
        faults.point("launch.after_command_exit")
        if returncode != 0:
            attempt.abort()
    return returncode if returncode >= 0 else 128 - returncode


def _refuse_held(
    overlay: Overlay, request: ClaimRequest, existing: TicketClaim | None
) -> PodStatus | None:
    """Refuse unless the ticket is unclaimed or claimed by this very Pod and role; a stale
    holder is refused too, with the ``reclaim`` command as the hint."""
    if existing is None:
        return None
    status = PodStatusChecker(overlay.locations).status(existing.pod_name, existing.host)
    if not same_holder(existing, request):
        raise taken(request.ticket_id, request, existing, status)
    return status


def _refuse_panel_held(overlay: Overlay, request: ClaimRequest) -> None:
    """A claim of yoi's panel on the ticket by another Pod holds it as one of ours would."""
    held = panel_holder(overlay, request)
    if held is not None:
        raise panel_taken(request, *held)
