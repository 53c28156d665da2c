"""A tiny `/system/bin/sh`: quoting, `;` `&&` `||`, `$?`, simple redirections, and the commands vssd uses.

Enough of mksh for what adb clients send: adbutils' shell-v1 exit-code trick (`CMD; echo X4EXIT:$?`),
shlex-quoted argv, `2>&1`, `>/dev/null`. Pipes and globbing are not modelled.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from vssd.sim.adb import dumps
from vssd.sim.adb.phone import Phone

_STATUS = "\x00?"  # placeholder for an unexpanded `$?`
_REDIR = "\x00>"  # marks an unquoted redirection word: "\x00>2:&1", "\x00>1:/dev/null"


@dataclass
class ShellOutput:
    stdout: str = ""
    stderr: str = ""
    exit_code: int = 0
    reboot: bool = False


class ShellSyntaxError(ValueError):
    pass


def _read_quoted(line: str, i: int, quote: str) -> tuple[str, int]:
    end = line.find(quote, i + 1)
    if end < 0:
        raise ShellSyntaxError(f"unterminated {quote} string")
    body = line[i + 1 : end]
    if quote == '"':
        body = body.replace("$?", _STATUS).replace('\\"', '"').replace("\\\\", "\\")
    return body, end + 1


def _read_redirect_target(line: str, i: int) -> tuple[str, int]:
    i += line.startswith(">", i)  # `>>` appends; the target is discarded either way
    while i < len(line) and line[i] in " \t":
        i += 1
    start = i
    while i < len(line) and line[i] not in " \t;&|" or (i == start and line.startswith("&", i)):
        i += 1
    if line.startswith("&", start) and i < len(line) and line[i].isdigit():
        i += 1
    return line[start:i], i


def tokenize(line: str) -> list[list[str] | str]:
    """Words grouped into commands, with the operators between them: [[w, w], ';', [w]]."""
    out: list[list[str] | str] = []
    words: list[str] = []
    word: str | None = None
    i = 0
    while i < len(line):
        ch = line[i]
        op = next((o for o in ("&&", "||", ";") if line.startswith(o, i)), None)
        if ch in " \t\n" or op:
            if word is not None:
                words.append(word)
                word = None
            if op:
                out += [words, op]
                words = []
                i += len(op)
            else:
                i += 1
            continue
        if ch in "'\"":
            body, i = _read_quoted(line, i, ch)
            word = (word or "") + body
        elif ch == "\\" and i + 1 < len(line):
            word = (word or "") + line[i + 1]
            i += 2
        elif ch == ">" and word in (None, "1", "2"):
            fd = word or "1"
            target, i = _read_redirect_target(line, i + 1)
            words.append(f"{_REDIR}{fd}:{target}")
            word = None
        elif line.startswith("$?", i):
            word = (word or "") + _STATUS
            i += 2
        else:
            word = (word or "") + ch
            i += 1
    if word is not None:
        words.append(word)
    out.append(words)
    return out


def _redirections(argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """Split argv from its (unquoted) redirections: {"1"|"2": "merge" | file}; files are discarded."""
    kept: list[str] = []
    redir: dict[str, str] = {}
    for word in argv:
        if word.startswith(_REDIR):
            fd, _, target = word[len(_REDIR) :].partition(":")
            redir[fd] = "merge" if target in ("&1", "&2") else target
        else:
            kept.append(word)
    return kept, redir


Command = Callable[[list[str]], Awaitable[ShellOutput]]


class DeviceShell:
    """Runs one command line against one phone. `sleep` waits on the simulator's accelerated clock."""

    def __init__(self, phone: Phone, sleep: Callable[[float], Awaitable[None]], now: Callable[[], float]):
        self.phone = phone
        self._sleep = sleep
        self._now = now
        self._commands: dict[str, Command] = {
            "echo": self._echo, "true": self._true, "false": self._false, "exit": self._exit,
            "id": self._id, "uptime": self._uptime, "getprop": self._getprop, "dumpsys": self._dumpsys,
            "input": self._input, "am": self._am, "pm": self._pm, "settings": self._settings,
            "content": self._content, "reboot": self._reboot, "sleep": self._sleep_cmd,
        }

    async def run(self, line: str) -> ShellOutput:
        try:
            parts = tokenize(line)
        except ShellSyntaxError as err:
            return ShellOutput(stderr=f"/system/bin/sh: syntax error: {err}\n", exit_code=1)
        total = ShellOutput()
        status, op = 0, ";"
        for part in parts:
            if isinstance(part, str):
                op = part
                continue
            if not part or (op == "&&" and status != 0) or (op == "||" and status == 0):
                continue
            result = await self._one([w.replace(_STATUS, str(status)) for w in part])
            total.stdout += result.stdout
            total.stderr += result.stderr
            status = total.exit_code = result.exit_code
            if result.reboot:
                total.reboot = True
                break
        return total

    async def _one(self, argv: list[str]) -> ShellOutput:
        argv, redir = _redirections(argv)
        if not argv:
            return ShellOutput()
        command = self._commands.get(argv[0].rsplit("/", 1)[-1])
        if command is None:
            out = ShellOutput(stderr=f"/system/bin/sh: {argv[0]}: inaccessible or not found\n", exit_code=127)
        else:
            out = await command(argv[1:])
        if redir.get("2") == "merge":
            out.stdout, out.stderr = out.stdout + out.stderr, ""
        elif "2" in redir:
            out.stderr = ""
        if redir.get("1") == "merge":
            out.stdout, out.stderr = "", out.stderr + out.stdout
        elif "1" in redir:
            out.stdout = ""
        return out

    async def _echo(self, args: list[str]) -> ShellOutput:
        if args[:1] == ["-n"]:
            return ShellOutput(" ".join(args[1:]))
        return ShellOutput(" ".join(args) + "\n")

    async def _true(self, args: list[str]) -> ShellOutput:
        return ShellOutput()

    async def _false(self, args: list[str]) -> ShellOutput:
        return ShellOutput(exit_code=1)

    async def _exit(self, args: list[str]) -> ShellOutput:
        code = int(args[0]) if args and args[0].isdigit() else 0
        return ShellOutput(exit_code=code & 0xFF)

    async def _id(self, args: list[str]) -> ShellOutput:
        return ShellOutput(dumps.SHELL_ID)

    async def _uptime(self, args: list[str]) -> ShellOutput:
        now = self._now()
        return ShellOutput(dumps.uptime(now - self.phone.booted_at, now))

    async def _getprop(self, args: list[str]) -> ShellOutput:
        props = self.phone.live_props()
        if not args:
            return ShellOutput("".join(f"[{k}]: [{v}]\n" for k, v in sorted(props.items())))
        default = args[1] if len(args) > 1 else ""
        return ShellOutput(props.get(args[0], default) + "\n")

    async def _dumpsys(self, args: list[str]) -> ShellOutput:
        service = args[0] if args else ""
        if service == "battery":
            return ShellOutput(dumps.battery(self.phone))
        if service == "telephony.registry":
            return ShellOutput(dumps.telephony_registry(self.phone))
        return ShellOutput(stderr=f"Can't find service: {service}\n")

    async def _input(self, args: list[str]) -> ShellOutput:
        known = {"text", "keyevent", "tap", "swipe", "draganddrop", "press", "roll", "motionevent",
                 "keycombination"}
        sub = next((a for a in args if a in known), None)
        if sub is None:
            first = args[0] if args else ""
            return ShellOutput(stderr=f"Error: Unknown command: {first}\nUsage: input [<source>] <command> "
                               "[<arg>...]\n", exit_code=1)
        return ShellOutput()

    async def _am(self, args: list[str]) -> ShellOutput:
        sub = args[0] if args else ""
        if sub in ("start", "start-activity"):
            target = args[args.index("-n") + 1] if "-n" in args[:-1] else " ".join(args[1:])
            return ShellOutput(f"Starting: Intent {{ cmp={target} }}\n")
        if sub == "broadcast":
            action = args[args.index("-a") + 1] if "-a" in args[:-1] else ""
            return ShellOutput(f"Broadcasting: Intent {{ act={action} flg=0x400000 }}\n"
                               "Broadcast completed: result=0\n")
        if sub in ("force-stop", "kill", "kill-all", "stack", "stop-service", "startservice"):
            return ShellOutput()
        return ShellOutput(stderr=f"Unknown command: {sub}\n", exit_code=255)

    async def _pm(self, args: list[str]) -> ShellOutput:
        if args[:2] == ["list", "packages"]:
            words = [a for a in args[2:] if not a.startswith("-")]
            names = [p for p in dumps.PACKAGES if not words or words[0] in p]
            return ShellOutput("".join(f"package:{p}\n" for p in names))
        return ShellOutput(stderr=f"Unknown command: {' '.join(args[:1])}\n", exit_code=255)

    async def _settings(self, args: list[str]) -> ShellOutput:
        if len(args) < 2 or args[0] not in ("get", "put", "delete", "list"):
            return ShellOutput(stderr="usage:  settings [--user <USER_ID> | current] get namespace key\n",
                               exit_code=255)
        verb, namespace, rest = args[0], args[1], args[2:]
        if namespace not in ("system", "secure", "global"):
            return ShellOutput(stderr=f"Invalid namespace '{namespace}'\n", exit_code=255)
        store = self.phone.settings
        if verb == "get" and rest:
            return ShellOutput(store.get(f"{namespace}/{rest[0]}", "null") + "\n")
        if verb == "put" and len(rest) >= 2:
            store[f"{namespace}/{rest[0]}"] = rest[1]
            return ShellOutput()
        if verb == "delete" and rest:
            gone = store.pop(f"{namespace}/{rest[0]}", None) is not None
            return ShellOutput(f"Deleted {int(gone)} rows\n")
        prefix = f"{namespace}/"
        return ShellOutput("".join(f"{k[len(prefix):]}={v}\n" for k, v in store.items() if k.startswith(prefix)))

    async def _content(self, args: list[str]) -> ShellOutput:
        uri = args[args.index("--uri") + 1] if "--uri" in args[:-1] else ""
        if args[:1] != ["query"] or uri != "content://telephony/siminfo":
            return ShellOutput(stderr=f"Error while accessing provider:{uri}\n", exit_code=1)
        projection = args[args.index("--projection") + 1].split(":") if "--projection" in args[:-1] else None
        return ShellOutput(dumps.siminfo(self.phone, projection))

    async def _reboot(self, args: list[str]) -> ShellOutput:
        return ShellOutput(reboot=True)

    async def _sleep_cmd(self, args: list[str]) -> ShellOutput:
        try:
            seconds = float(args[0]) if args else 0.0
        except ValueError:
            return ShellOutput(stderr=f"sleep: invalid number '{args[0]}'\n", exit_code=1)
        await self._sleep(seconds)
        return ShellOutput()
