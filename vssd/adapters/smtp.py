"""E-mail over SMTP (aiosmtplib), one connection per message. Typed errors: a refused recipient or sender, or any
other 5xx answer, is not retryable; a server that is away, slow or answers 4xx is."""

from __future__ import annotations

from email.message import EmailMessage

import aiosmtplib


class MailError(Exception):
    retryable = True


class MailUnreachable(MailError):
    """No SMTP server answered (connection refused, reset, timed out)."""


class MailRejected(MailError):
    """The server refused the message (5xx: not retryable; 4xx: try later)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"SMTP {code}: {message[:200]}")
        self.code = code
        self.retryable = code < 500


class SmtpMailer:
    """`vssd.notifier.ports.Mailer`."""

    def __init__(self, *, host: str, port: int, sender: str, username: str | None = None,
                 password: str | None = None, starttls: bool = False, timeout_s: float = 10.0) -> None:
        self.host, self.port, self.sender = host, port, sender
        self.username, self.password, self.starttls, self.timeout_s = username, password, starttls, timeout_s

    async def send(self, to: str, subject: str, text: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = self.sender, to, subject
        message.set_content(text)
        try:
            await aiosmtplib.send(message, hostname=self.host, port=self.port, username=self.username,
                                  password=self.password, start_tls=self.starttls, timeout=self.timeout_s)
        except aiosmtplib.SMTPRecipientsRefused as err:
            refused = next(iter(err.recipients), None)
            raise MailRejected(refused.code if refused else 550, str(err)) from err
        except aiosmtplib.SMTPResponseException as err:
            raise MailRejected(err.code, err.message) from err
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as err:
            raise MailUnreachable(f"{self.host}:{self.port}: {type(err).__name__}: {err}") from err
