"""A real SMTP server on loopback (aiosmtpd in a thread) for the sender's tests.

It records every message it accepts, can be stopped and started again on the same port,
answers chosen recipients with a 4xx or 5xx reply, and can hold at one instant (a chosen
recipient's RCPT, or the k-th message's end of data) so a test can act right then."""

from __future__ import annotations

import asyncio
import email
import email.policy
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

from tests.conftest import free_port


@dataclass
class Received:
    rcpt_tos: list[str]
    raw: bytes

    @property
    def message(self) -> EmailMessage:
        message = email.message_from_bytes(self.raw, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        return message


@dataclass
class Hold:
    """Where the server stops to let a test act: ``reached`` is set then, and the server
    goes on when ``release`` is set."""

    rcpt: str | None = None
    data_number: int | None = None
    reached: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)


class Recorder:
    def __init__(self) -> None:
        self.received: list[Received] = []
        self.rcpt_replies: dict[str, list[str]] = {}
        """Replies to RCPT for an address, used one at a time (then it is accepted)."""
        self.data_replies: dict[str, list[str]] = {}
        """Replies at the end of data for a message to an address, one at a time."""
        self.hold: Hold | None = None
        self.close_after: int | None = None
        """Drop the connection that carried this message when it starts the next one (as a
        server closing an idle connection would)."""
        self.data_seen = 0
        self.lock = threading.Lock()

    async def _wait(self, hold: Hold) -> None:
        hold.reached.set()
        await asyncio.get_running_loop().run_in_executor(None, hold.release.wait, 60)

    async def handle_MAIL(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        if getattr(session, "close_now", False):
            server.transport.abort()
            return "250 OK"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: list[str]
    ) -> str:
        hold = self.hold
        if hold is not None and hold.rcpt == address.lower():
            self.hold = None
            await self._wait(hold)
        replies = self.rcpt_replies.get(address.lower())
        if replies:
            return replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.data_seen += 1
            number = self.data_seen
        address = envelope.rcpt_tos[0].lower()
        replies = self.data_replies.get(address)
        if replies:
            return replies.pop(0)
        content = bytes(envelope.content)
        if number == self.close_after:
            session.close_now = True
        # the server has the message once it has read it all: it keeps it even if the
        # client is gone before the reply
        self.received.append(Received(list(envelope.rcpt_tos), content))
        hold = self.hold
        if hold is not None and hold.data_number == number:
            self.hold = None
            await self._wait(hold)
        return "250 OK: queued"

    def counts(self) -> Counter[str]:
        return Counter(to.lower() for item in self.received for to in item.rcpt_tos)

    def to(self, address: str) -> list[EmailMessage]:
        return [item.message for item in self.received if address in item.rcpt_tos]


class _Controller(Controller):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.sessions: list[SMTP] = []

    def factory(self) -> SMTP:
        smtp = SMTP(self.handler, **self.SMTP_kwargs)
        self.sessions.append(smtp)
        return smtp


class SMTPServer:
    def __init__(self, login: tuple[str, str] | None = None) -> None:
        self.recorder = Recorder()
        self.port = free_port()
        self.login = login
        self.controller: _Controller | None = None
        self.holds: list[Hold] = []

    def start(self) -> None:
        assert self.controller is None
        auth: dict[str, Any] = {}
        if self.login is not None:
            auth = {
                "authenticator": self._authenticate,
                "auth_required": True,
                "auth_require_tls": False,
            }
        self.controller = _Controller(self.recorder, hostname="127.0.0.1", port=self.port, **auth)
        self.controller.start()

    def stop(self) -> None:
        """Stop listening and drop every open connection at once."""
        controller, self.controller = self.controller, None
        if controller is None:
            return

        def drop() -> None:
            for smtp in controller.sessions:
                if isinstance(smtp.transport, asyncio.Transport):
                    smtp.transport.abort()

        controller.loop.call_soon_threadsafe(drop)
        self.release()
        controller.stop()

    def _authenticate(
        self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        assert self.login is not None
        user, password = self.login
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
            user.encode(),
            password.encode(),
        )
        return AuthResult(success=ok, handled=False)

    def release(self) -> None:
        for hold in self.holds:
            hold.release.set()

    def hold(self, *, rcpt: str | None = None, data_number: int | None = None) -> Hold:
        hold = Hold(rcpt=rcpt.lower() if rcpt else None, data_number=data_number)
        self.recorder.hold = hold
        self.holds.append(hold)
        return hold
