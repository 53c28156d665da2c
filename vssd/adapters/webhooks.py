"""Webhook POSTs over one aiohttp client session (a bounded connection pool). Typed errors, each `retryable` or
not: a 2xx answer is a delivery; 408, 425, 429 and 5xx, timeouts and unreachable hosts are worth another attempt;
any other answer (a 4xx: the receiver refuses this body) is not."""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp

RETRYABLE_STATUS = frozenset({408, 425, 429})


class WebhookError(Exception):
    retryable = True


class WebhookUnreachable(WebhookError):
    """Connection refused, reset, DNS: the receiver is not there right now."""


class WebhookTimeout(WebhookError):
    """No complete answer within the timeout."""


class WebhookRejected(WebhookError):
    """A non-2xx answer."""

    def __init__(self, status: int, text: str) -> None:
        super().__init__(f"HTTP {status}: {text[:200]}")
        self.status = status
        self.retryable = status >= 500 or status in RETRYABLE_STATUS


class WebhookClient:
    """`vssd.notifier.ports.WebhookPoster`: the session opens on first use and closes with `close()`."""

    def __init__(self, *, timeout_s: float, concurrency: int) -> None:
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.concurrency = concurrency
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=self.concurrency)
            self._session = aiohttp.ClientSession(connector=connector, timeout=self.timeout)
        return self._session

    async def post(self, url: str, body: bytes, headers: Mapping[str, str]) -> None:
        try:
            async with self._client().post(url, data=body, headers=dict(headers), allow_redirects=False) as resp:
                text = await resp.text(errors="replace")
                if not 200 <= resp.status < 300:
                    raise WebhookRejected(resp.status, text)
        except WebhookError:
            raise
        except TimeoutError as err:
            raise WebhookTimeout(f"no answer from {url} in {self.timeout.total}s") from err
        except (aiohttp.ClientError, OSError) as err:
            raise WebhookUnreachable(f"{url}: {type(err).__name__}: {err}") from err

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None
