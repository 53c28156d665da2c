"""Throughput of the RabbitMQ LeadBus adapter vs bare aio-pika on the same broker, same run.

    .venv/bin/python bench/amqp.py [--messages 20000] [--batch 500] [--prefetch 200] [--rounds 2]
        [--url amqp://guest:guest@127.0.0.1:5672/]

Both sides use the same queue arguments (quorum, TTL, reject-publish, at-least-once dead-lettering) on their own
`tb<hex>.` topology, deleted at the end (127.0.0.1 only).
  1. publish+confirm: --messages persistent messages in batches of --batch, every batch published concurrently and
     all its confirms awaited. Bare: `default_exchange.publish` + `asyncio.gather`. Ours: `publish_leads(batch)`.
  2. consume+ack: the same messages consumed with --prefetch and acked one by one in the callback. Bare:
     `queue.consume` + `message.ack()`. Ours: `consume_leads(handler, prefetch)` + `delivery.ack()`.
Rounds alternate bare and ours; the best of each counts. Prints messages/s for each and ours/bare.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
import uuid
from urllib.parse import urlsplit

import aio_pika

from vssd.adapters.amqp import AmqpBus, AmqpSettings, declare_topology, delete_topology
from vssd.adapters.broker_local import BusNames

LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def settings_for(url: str, count: int) -> AmqpSettings:
    return AmqpSettings(url=url, prefix=f"tb{uuid.uuid4().hex[:10]}.", max_leads=count * 2)


def batches(count: int, size: int) -> list[list[tuple[str, bytes]]]:
    body = b'{"lead_id": 1, "campaign_id": "c1", "phone": "+79001234567"}'
    msgs = [(f"m{n}", body) for n in range(count)]
    return [msgs[i:i + size] for i in range(0, count, size)]


async def bare(settings: AmqpSettings, work: list[list[tuple[str, bytes]]], prefetch: int) -> tuple[float, float]:
    names = BusNames(settings.prefix)
    await declare_topology(settings, names)
    conn = await aio_pika.connect(settings.url)
    try:
        ch = await conn.channel(publisher_confirms=True)
        began = time.perf_counter()
        for batch in work:
            await asyncio.gather(*(ch.default_exchange.publish(
                aio_pika.Message(body, message_id=mid, delivery_mode=aio_pika.DeliveryMode.PERSISTENT),
                routing_key=names.leads) for mid, body in batch))
        publish_s = time.perf_counter() - began
        total = sum(map(len, work))
        done = asyncio.Event()
        seen = 0

        async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
            nonlocal seen
            await message.ack()
            seen += 1
            if seen == total:
                done.set()

        cch = await conn.channel()
        await cch.set_qos(prefetch_count=prefetch)
        queue = await cch.get_queue(names.leads, ensure=False)
        began = time.perf_counter()
        await queue.consume(on_message)
        await done.wait()
        return publish_s, time.perf_counter() - began
    finally:
        await conn.close()
        await delete_topology(settings)


async def ours(settings: AmqpSettings, work: list[list[tuple[str, bytes]]], prefetch: int) -> tuple[float, float]:
    bus = AmqpBus(settings)
    await bus.start()
    try:
        began = time.perf_counter()
        for batch in work:
            await bus.publish_leads(batch)
        publish_s = time.perf_counter() - began
        total = sum(map(len, work))
        done = asyncio.Event()
        seen = 0

        async def handler(delivery) -> None:
            nonlocal seen
            await delivery.ack()
            seen += 1
            if seen == total:
                done.set()

        began = time.perf_counter()
        await bus.consume_leads(handler, prefetch)
        await done.wait()
        return publish_s, time.perf_counter() - began
    finally:
        await bus.close()
        await delete_topology(settings)


async def main(args: argparse.Namespace) -> None:
    """Rounds alternate bare/ours; the best (shortest) time of each side counts (the box is shared)."""
    work = batches(args.messages, args.batch)
    b_pub = b_con = o_pub = o_con = float("inf")
    for _ in range(args.rounds):
        pub, con = await bare(settings_for(args.url, args.messages), work, args.prefetch)
        b_pub, b_con = min(b_pub, pub), min(b_con, con)
        pub, con = await ours(settings_for(args.url, args.messages), work, args.prefetch)
        o_pub, o_con = min(o_pub, pub), min(o_con, con)
    n = args.messages
    print(f"messages={n} batch={args.batch} prefetch={args.prefetch} rounds={args.rounds} (best of each)")
    for what, b, o in (("publish+confirm", b_pub, o_pub), ("consume+ack", b_con, o_con)):
        print(f"{what:16} bare {n / b:9.0f} msg/s   ours {n / o:9.0f} msg/s   ours/bare {b / o:5.2f}")
    print(f"command: .venv/bin/python bench/amqp.py --messages {n} --batch {args.batch} --prefetch {args.prefetch}"
          f" --rounds {args.rounds}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=20_000)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--prefetch", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--url", default="amqp://guest:guest@127.0.0.1:5672/")
    ns = parser.parse_args()
    if urlsplit(ns.url).hostname not in LOOPBACK:
        sys.exit("bench/amqp.py only talks to a broker on 127.0.0.1")
    asyncio.run(main(ns))
