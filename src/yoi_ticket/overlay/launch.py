"""Launch (SPEC 7.3): claim a ticket only once the Pod has really started.

::

    with launch(overlay, "00001KSKBPDVG", "coder-1", "coder") as attempt:
        spawn_pod(env=attempt.environment(), pass_fds=attempt.pass_fds)
        # raise, or call attempt.abort(), on failure
    attempt.claim                              # the claim, written when the block succeeded

1. Under the state lock: refuse if the ticket has a claim of another holder (a stale
   one too: only ``reclaim`` replaces it) or a launch in flight; take the ticket's
   pending lock and write ``pending/<enc-id>.json``. The lock stays held for the whole
   launch, and the command inherits it (``pass_fds``): it stays held while the command
   runs, even if the launcher is killed. The holder itself may launch again only while
   its Pod is not running (stale or restorable): a live, starting or foreign holder is
   refused like any other.
2. The caller starts the Pod (:func:`run_launch` runs a command with
   ``YOI_TICKET_ID``, ``YOI_POD_NAME`` and ``YOI_ROLE`` set, passing signals on).
3. Success: write the claim, ``starting`` for ``grace`` seconds or until its Pod
   registers, and the role session; remove the pending record. Failure: remove the
   pending record, claim nothing.
4. A launcher that dies while its command runs leaves an **orphaned** launch: the
   command still holds the lock, so the ticket stays locked until it ends. Once the
   lock is free the record is **dead**, which never blocks a retry.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from types import TracebackType

from yoi_ticket.errors import RefusedError, UsageError, YoiError
from yoi_ticket.files import atomicfile, faults, locking
from yoi_ticket.overlay import pending
from yoi_ticket.overlay.claims import (
    CLAIM,
    ClaimRequest,
    commit,
    holder_text,
    panel_holder,
    panel_taken,
    prepare,
    read_claim,
    refuse_if_launching,
    same_holder,
    taken,
)
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.overlay.locations import now, seconds_from_now, this_host
from yoi_ticket.overlay.pods import FOREIGN, LIVE, STARTING, PodStatus, PodStatusChecker
from yoi_ticket.overlay.records import PendingLaunch, TicketClaim
from yoi_ticket.overlay.spawn import SignalRelay, exit_status, signal_name

TICKET_ENV = "YOI_TICKET_ID"
POD_ENV = "YOI_POD_NAME"
ROLE_ENV = "YOI_ROLE"
EXIT_NOT_FOUND = 127
EXIT_NOT_EXECUTABLE = 126
DEFAULT_GRACE = 120.0  # seconds a launch's claim counts as starting until its Pod registers
MAX_GRACE = 3600.0


class LaunchCommandError(YoiError):
    """The launch command could not be started at all."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message, hint="check the command after '--'")
        self.exit_code = exit_code


class LaunchInterrupted(YoiError):
    """A signal arrived before the launch command was started: it never ran."""

    def __init__(self, ticket_id: str, signum: int) -> None:
        super().__init__(
            f"launch of {ticket_id} interrupted by {signal_name(signum)} before its command"
            " started; nothing was run or claimed"
        )
        self.exit_code = 128 + signum


@dataclass(frozen=True)
class LaunchResult:
    """How a :func:`run_launch` ended: the command's exit ``status`` (``128 + N`` when
    signal N killed it), the ``claim`` (written exactly when ``status`` is 0), and the
    signals the launcher caught (and passed on) while the command ran."""

    status: int
    claim: TicketClaim | None
    signals: tuple[int, ...] = ()


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
        grace: float = DEFAULT_GRACE,
    ) -> None:
        if not 0 <= grace <= MAX_GRACE:
            raise UsageError(f"the start grace must be between 0 and {MAX_GRACE:g} seconds")
        self.overlay = overlay
        self.request: ClaimRequest = prepare(
            overlay, ticket_id, pod_name, role, allow_missing=allow_missing
        )
        self.grace = grace
        self.claim: TicketClaim | None = None
        self._aborted = False
        self._lock: locking.SharedLock | None = None
        self._record: PendingLaunch | None = None

    def environment(self) -> dict[str, str]:
        """The current environment plus the ticket, Pod and role of this launch."""
        return {
            **os.environ,
            TICKET_ENV: self.request.ticket_id,
            POD_ENV: self.request.pod_name,
            ROLE_ENV: self.request.role,
        }

    @property
    def pass_fds(self) -> tuple[int, ...]:
        """The descriptor of the launch lock, for ``subprocess.Popen(pass_fds=...)``: the
        spawned process then holds the lock too, for as long as it runs. Wait for it to
        end before leaving the ``with`` block: leaving unlocks it for every holder."""
        fd = self._lock.fd if self._lock is not None else None
        return () if fd is None else (fd,)

    def abort(self) -> None:
        """Leave the ``with`` block without claiming (the Pod did not start)."""
        self._aborted = True

    def command_started(self, pid: int) -> None:
        """Note the spawned command's pid in the pending record (doctor names it when the
        launcher dies); a failure to write it does not stop the launch."""
        if self._record is None:
            return
        try:
            self._record = pending.record_command(self.overlay, self._record, pid)
        except (OSError, YoiError):
            pass
        faults.point("launch.after_command_start")

    def __enter__(self) -> LaunchAttempt:
        overlay, request = self.overlay, self.request
        overlay.ensure()
        with overlay.state_lock():
            refuse_if_launching(overlay, request.ticket_id)
            _refuse_relaunch(overlay, request, read_claim(overlay, request.ticket_id))
            _refuse_panel_held(overlay, request)
            path = overlay.pending_path(request.ticket_id)
            lock = locking.try_hold_shared(pending.lock_path(overlay, path.stem))
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
            self._lock, self._record = lock, record
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
        starting_until = seconds_from_now(self.grace) if self.grace > 0 else None
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
                starting_until=starting_until,
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
    overlay: Overlay,
    ticket_id: str,
    pod_name: str,
    role: str,
    *,
    allow_missing: bool = False,
    grace: float = DEFAULT_GRACE,
) -> LaunchAttempt:
    """A :class:`LaunchAttempt` to use in a ``with`` block."""
    return LaunchAttempt(
        overlay, ticket_id, pod_name, role, allow_missing=allow_missing, grace=grace
    )


def run_launch(
    overlay: Overlay,
    ticket_id: str,
    pod_name: str,
    role: str,
    command: Sequence[str],
    *,
    allow_missing: bool = False,
    grace: float = DEFAULT_GRACE,
) -> LaunchResult:
    """Run ``command`` as the Pod spawn and claim on exit 0 (see :class:`LaunchResult`).

    SIGINT, SIGTERM and SIGHUP are passed on to the command (:mod:`.spawn`) and the
    launcher waits for it whatever it is sent: the command's exit status alone decides.
    One caught before the command started means it is never started
    (:class:`LaunchInterrupted`)."""
    if not command:
        raise UsageError("no command to launch", hint="put the command after '--'")
    with SignalRelay() as relay:
        attempt = launch(
            overlay, ticket_id, pod_name, role, allow_missing=allow_missing, grace=grace
        )
        with attempt:
            before = len(relay.received)
            if before:
                attempt.abort()
                raise LaunchInterrupted(ticket_id, relay.received[0])
            returncode = _run_command(attempt, command, relay, before)
            faults.point("launch.after_command_exit")
            if returncode != 0:
                attempt.abort()
        return LaunchResult(exit_status(returncode), attempt.claim, tuple(relay.received))


def _run_command(
    attempt: LaunchAttempt, command: Sequence[str], relay: SignalRelay, since: int
) -> int:
    """Start ``command`` holding the launch lock, pass signals on, wait for its end."""
    try:
        process = subprocess.Popen(
            list(command), env=attempt.environment(), pass_fds=attempt.pass_fds
        )
    except OSError as exc:
        attempt.abort()
        code = EXIT_NOT_FOUND if isinstance(exc, FileNotFoundError) else EXIT_NOT_EXECUTABLE
        raise LaunchCommandError(
            f"cannot run {command[0]!r}: {exc.strerror or exc}", code
        ) from None
    try:
        relay.attach(process, since)
        attempt.command_started(process.pid)
    finally:
        returncode = process.wait()  # never unlock while the command runs
    return returncode


def _refuse_held(
    overlay: Overlay, request: ClaimRequest, existing: TicketClaim | None
) -> PodStatus | None:
    """Refuse unless the ticket is unclaimed or claimed by this very Pod and role; a stale
    holder is refused too, with the ``reclaim`` command as the hint."""
    if existing is None:
        return None
    status = PodStatusChecker(overlay.locations).claim_status(existing)
    if not same_holder(existing, request):
        raise taken(request.ticket_id, request, existing, status)
    return status


def _refuse_relaunch(overlay: Overlay, request: ClaimRequest, existing: TicketClaim | None) -> None:
    """Before a launch: :func:`_refuse_held`, and the holder itself may launch again only
    while its Pod is not running: a second launch of a live or starting Pod (or of one
    claimed on another host, which cannot be checked) would run beside it."""
    status = _refuse_held(overlay, request, existing)
    if existing is None or status is None or status.status not in (LIVE, STARTING, FOREIGN):
        return
    why = {
        LIVE: "its Pod is running",
        STARTING: "its Pod was launched moments ago and has not registered yet",
        FOREIGN: "the claim was made on another host and cannot be checked here",
    }[status.status]
    hint = {
        LIVE: "a second launch would run beside it; stop the Pod first",
        STARTING: "wait until it registers ('yoi ticket claims' shows it live); if its"
        f" start failed, release the claim first: yoi ticket release {request.ticket_id}"
        f" --pod {request.pod_name}",
        FOREIGN: f"release it first: yoi ticket release {request.ticket_id} --pod"
        f" {request.pod_name}",
    }[status.status]
    raise RefusedError(
        f"ticket {request.ticket_id} is already claimed by {holder_text(existing, status)}: {why}",
        hint=hint,
    )


def _refuse_panel_held(overlay: Overlay, request: ClaimRequest) -> None:
    """A claim of yoi's panel on the ticket by another Pod holds it as one of ours would."""
    held = panel_holder(overlay, request)
    if held is not None:
        raise panel_taken(request, *held)
