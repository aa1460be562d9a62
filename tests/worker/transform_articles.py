"""Realistic articles for the transform tests, written as the extractor would emit them."""

from __future__ import annotations

from worker.article import Article

TECH_MARKDOWN = """\
# Processing jobs reliably with Redis Streams

Redis Streams give a small team a durable job queue without running a separate broker. \
In our service, moving from lists to streams cut lost jobs from about 40 a week to zero, \
and p95 latency stayed under 12 ms.

## Why lists were not enough

With a plain list, a worker pops a job with `BLPOP` and the job is gone from Redis. \
If the worker crashes before it finishes, the job is lost; nobody knows it ever existed. \
We measured 38 lost jobs in one bad week, mostly during deploys.

A consumer group is a named set of readers that share one stream, so each entry goes to \
exactly one of them. The pending entries list (PEL) records every entry a consumer has \
read but not yet acknowledged. That list is what makes recovery possible.

## Setting up the group

Create the group once, at start-up, and ignore the error when it already exists:

```python
try:
    await redis.xgroup_create("jobs", "workers", id="0", mkstream=True)
except ResponseError as exc:
    if "BUSYGROUP" not in str(exc):
        raise
```

Then read with `XREADGROUP` and the special id `>`, which asks for entries never delivered \
to anyone in the group.

## Recovering stuck jobs

Workers die; the PEL remembers what they held. Every 30 seconds, each worker should call \
`XAUTOCLAIM` to take over entries idle for longer than the job timeout.

```python
next_id, claimed, _ = await redis.xautoclaim(
    "jobs", "workers", consumer, min_idle_time=60_000, start_id="0-0", count=10
)
```

You must acknowledge an entry only after its result is stored. Acknowledging first \
brings back exactly the loss you were trying to fix.

| Setting | Value | Why |
|---|---|---|
| block | 5000 ms | keeps idle workers cheap |
| count | 10 | bounds work per read |
| min_idle_time | 60 s | longer than the slowest job |

## Results

> "Streams turned our worst on-call week into a non-event." — Dana Ruiz, SRE lead

After the change, deploys no longer lose work, and the queue survived two Redis failovers. \
Throughput rose from 1,200 to 1,450 jobs per second because workers no longer poll. \
Read the [Redis Streams introduction](https://redis.io/docs/data-types/streams/) before you \
start, and test failover in staging first.
"""

TECH = Article(
    title="Processing jobs reliably with Redis Streams",
    markdown=TECH_MARKDOWN,
    text="",
    url="https://blog.example.com/redis-streams-jobs",
    byline="Sam Lee",
    language="en",
    site_name="Example Engineering",
)

NEWS_MARKDOWN = """\
The city council approved a plan on Tuesday to build 40 kilometres of protected bike lanes \
by 2027, the largest expansion of cycling infrastructure in the city's history, after a \
two-year consultation that drew more than 12,000 responses from residents.

The plan, which will cost an estimated $85 million, is funded mostly by a federal grant, \
and the council's own contribution of $20 million will come from the existing road \
maintenance budget rather than from new taxes.

## What is changing

A protected bike lane is a lane separated from car traffic by a physical barrier such as \
a curb, planters or posts. Unlike painted lanes, protected lanes stop drivers from parking \
or driving in them. The first 8 kilometres will run along Main Street and River Road, \
where 14 cyclists were injured last year.

- Main Street: 3.5 km, construction starts in May
- River Road: 4.5 km, construction starts in September
- Harbour Loop: 6 km, planned for 2025

## Why it matters to residents

Traffic engineers say protected lanes reduce injuries because drivers and cyclists no \
longer share the same space. In cities that built similar networks, cycling trips rose \
by 30 per cent within three years, which means fewer cars on the busiest roads.

> "This is about making it safe for a ten-year-old to ride to school," said councillor \
Priya Nair, who led the consultation.

Some business owners on Main Street worry that losing 60 parking spaces will hurt trade. \
The council will monitor sales and parking demand for a year after each section opens.

## What happens next

Residents should expect lane closures on Main Street from May. Check the city's \
[construction map](https://city.example.gov/bikes) for detours, and sign up for text \
alerts if you drive the route daily. Public meetings on the Harbour Loop design will be \
held in March; residents can also send comments online until April 30.
"""

NEWS = Article(
    title="Council approves 40 km of protected bike lanes",
    markdown=NEWS_MARKDOWN,
    text="",
    url="https://news.example.com/city/bike-lanes",
    byline="Alex Morgan",
    language="en",
    site_name="Example News",
    published_time="2024-03-05T09:00:00Z",
)

ARTICLES = {"tech": TECH, "news": NEWS}
