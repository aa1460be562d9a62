"""Every Lua script. Each state change and its event are written by one script.

Conventions: keys only through KEYS[]; times from the server's clock (TIME), so
no host's clock is ever compared with another's; ``ARGV[pub]`` is PUBLISH or
SPUBLISH. The event payload is the job's new sequence number: a subscriber reads
the snapshot it describes, so an event never exists without its state.
"""

from __future__ import annotations

from typing import Final

# Fields returned by every snapshot read, in this order (see store.decode_snapshot).
SNAPSHOT_FIELDS: Final = (
    "kind",
    "status",
    "stage",
    "progress",
    "attempts",
    "seq",
    "created_at",
    "updated_at",
    "persona",
    "source_url",
    "result",
    "error",
)

_SNAPSHOT_LIST = ", ".join(f"'{f}'" for f in SNAPSHOT_FIELDS)
_PRELUDE = (
    "local SNAPSHOT = {"
    + _SNAPSHOT_LIST
    + "}"
    + """
local function now_ms()
  local t = redis.call('TIME')
  return string.format('%d', tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000))
end
local function snapshot(key)
  return redis.call('HMGET', key, unpack(SNAPSHOT))
end
local function bump(key, pub, channel)
  local seq = redis.call('HINCRBY', key, 'seq', 1)
  redis.call('HSET', key, 'updated_at', now_ms())
  redis.call(pub, channel, tostring(seq))
  return seq
end
"""
)

# SUBMIT — create-or-join in one step.
# KEYS: job, cache, stream, events, stats, lock
# ARGV: job_id, kind, persona, spec_json, source_url, job_ttl, refresh(0|1), max_stream_len, pub
# returns {'cached', result_json} | {'joined', snapshot...} | {'created', snapshot...}
#         | {'queue_full'}
SUBMIT: Final = (
    _PRELUDE
    + """
if ARGV[7] ~= '1' then
  local cached = redis.call('GET', KEYS[2])
  if cached then
    redis.call('HINCRBY', KEYS[5], 'cache_hits', 1)
    return {'cached', cached}
  end
end
local status = redis.call('HGET', KEYS[1], 'status')
if status == 'queued' or status == 'running' then
  redis.call('HINCRBY', KEYS[5], 'joined', 1)
  local snap = snapshot(KEYS[1])
  table.insert(snap, 1, 'joined')
  return snap
end
if tonumber(ARGV[8]) > 0 and redis.call('XLEN', KEYS[3]) >= tonumber(ARGV[8]) then
  redis.call('HINCRBY', KEYS[5], 'queue_full', 1)
  return {'queue_full'}
end
redis.call('HINCRBY', KEYS[5], 'submitted', 1)
local now = now_ms()
-- A new run: no lock of an earlier run (cancelled, expired) may hold it back.
redis.call('DEL', KEYS[1], KEYS[6])
redis.call('HSET', KEYS[1], 'kind', ARGV[2], 'persona', ARGV[3], 'spec', ARGV[4],
  'source_url', ARGV[5], 'status', 'queued', 'stage', 'queued', 'progress', '0',
  'attempts', '0', 'seq', '0', 'created_at', now, 'updated_at', now)
if ARGV[5] == '' then redis.call('HDEL', KEYS[1], 'source_url') end
redis.call('EXPIRE', KEYS[1], ARGV[6])
local entry = redis.call('XADD', KEYS[3], '*', 'job', ARGV[1], 'kind', ARGV[2])
redis.call('HSET', KEYS[1], 'entry', entry)
bump(KEYS[1], ARGV[9], KEYS[4])
local snap = snapshot(KEYS[1])
table.insert(snap, 1, 'created')
return snap
"""
)

# START — a worker takes a delivered entry and begins a new attempt.
# KEYS: job, lock, events, stream, stats
# ARGV: token, lock_ttl_ms, entry_id, stage, progress, pub, group, job_ttl
# returns {'started', attempts, spec_json} | {'missing'} | {'terminal'} | {'stale'}
#         | {'locked'}
START: Final = (
    _PRELUDE
    + """
local job = redis.call('HMGET', KEYS[1], 'status', 'entry', 'spec')
if not job[1] then return {'missing'} end
if job[2] ~= ARGV[3] then return {'stale'} end
if job[1] ~= 'queued' and job[1] ~= 'running' then return {'terminal'} end
local holder = redis.call('GET', KEYS[2])
if holder and holder ~= ARGV[1] then return {'locked'} end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
-- The owner's token lives in the hash too, so ownership outlives an expired lock.
redis.call('HSET', KEYS[1], 'owner', ARGV[1])
redis.call('EXPIRE', KEYS[1], ARGV[8])  -- a running job keeps its record until it ends
local attempts = redis.call('HINCRBY', KEYS[1], 'attempts', 1)
redis.call('HINCRBY', KEYS[5], attempts > 1 and 'restarts' or 'started', 1)
redis.call('HSET', KEYS[1], 'status', 'running', 'stage', ARGV[4], 'progress', ARGV[5])
redis.call('HDEL', KEYS[1], 'error', 'result')
bump(KEYS[1], ARGV[6], KEYS[3])
return {'started', attempts, job[3]}
"""
)

# UPDATE — progress inside an attempt (never backwards), or a retry's new attempt.
# KEYS: job, lock, events, stats
# ARGV: token, stage, progress, pub, new_attempt(0|1), error_json ('' for none)
# returns 'ok' | 'lost' | the job's status when it is no longer running (e.g. 'cancelled')
UPDATE: Final = (
    _PRELUDE
    + """
local job = redis.call('HMGET', KEYS[1], 'status', 'progress', 'owner')
if not job[1] then return 'missing' end
if job[3] ~= ARGV[1] then return 'lost' end
if job[1] ~= 'running' then return job[1] end
local progress = tonumber(ARGV[3])
if ARGV[5] == '1' then
  redis.call('HINCRBY', KEYS[1], 'attempts', 1)
  redis.call('HINCRBY', KEYS[4], 'retries', 1)
else
  progress = math.max(progress, tonumber(job[2]) or 0)
end
redis.call('HSET', KEYS[1], 'stage', ARGV[2], 'progress', tostring(progress))
if ARGV[6] ~= '' then redis.call('HSET', KEYS[1], 'error', ARGV[6]) end
bump(KEYS[1], ARGV[4], KEYS[3])
return 'ok'
"""
)

# RENEW — extend the lease and reset the entry's idle time, so reclaim (which
# looks at idle time, a server-side clock) never takes a job from a live worker.
# KEYS: lock, stream, job
# ARGV: token, lock_ttl_ms, group, consumer, entry_id, job_ttl
# returns the job's status, or 'lost' when the lock belongs to someone else
RENEW: Final = """
local job = redis.call('HMGET', KEYS[3], 'status', 'owner')
if not job[1] then return 'missing' end
if job[2] ~= ARGV[1] then return 'lost' end
if job[1] ~= 'running' then return job[1] end  -- finished or cancelled: no lease to keep
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('EXPIRE', KEYS[3], ARGV[6])
redis.call('XCLAIM', KEYS[2], ARGV[3], ARGV[4], 0, ARGV[5], 'JUSTID')
return redis.call('HGET', KEYS[3], 'status') or 'missing'
"""

# FINISH — terminal state, cache, event and acknowledgement in one step, fenced
# by the lock token: a worker whose lease was taken over cannot write.
# KEYS: job, lock, cache, events, stream, stats
# ARGV: token, status(completed|failed), payload_json, cache_ttl, job_ttl, pub, group, entry_id,
#       counter (completed | failed:<code>), then stage/milliseconds pairs
# returns 'ok' | 'lost' | 'missing' | the terminal status the job already has
FINISH: Final = (
    _PRELUDE
    + """
local holder = redis.call('GET', KEYS[2])
local job = redis.call('HMGET', KEYS[1], 'status', 'owner')
local status = job[1]
-- Fenced by the owner token (set by START); token '' is a dead-lettering worker, which
-- may write only while nobody holds the lease.
if ARGV[1] == '' then
  if holder then return 'lost' end
elseif status and job[2] ~= ARGV[1] then
  return 'lost'
end
local function ack()
  redis.call('XACK', KEYS[5], ARGV[7], ARGV[8])
  redis.call('XDEL', KEYS[5], ARGV[8])
  if holder then redis.call('DEL', KEYS[2]) end
end
if not status then ack() return 'missing' end
if status ~= 'running' then ack() return status end
if ARGV[2] == 'completed' then
  redis.call('HSET', KEYS[1], 'status', 'completed', 'stage', 'done', 'progress', '100',
    'result', ARGV[3])
  redis.call('HDEL', KEYS[1], 'error')
  redis.call('SET', KEYS[3], ARGV[3], 'EX', ARGV[4])
else
  redis.call('HSET', KEYS[1], 'status', 'failed', 'error', ARGV[3])
end
if ARGV[2] == 'completed' then
  redis.call('HDEL', KEYS[1], 'spec')  -- a failed job keeps it, so it can be requeued
end
bump(KEYS[1], ARGV[6], KEYS[4])
redis.call('EXPIRE', KEYS[1], ARGV[5])
ack()
redis.call('HINCRBY', KEYS[6], ARGV[9], 1)
for i = 10, #ARGV, 2 do
  redis.call('HINCRBYFLOAT', KEYS[6], 'stage_ms:' .. ARGV[i], ARGV[i + 1])
  redis.call('HINCRBY', KEYS[6], 'stage_count:' .. ARGV[i], 1)
end
return 'ok'
"""
)

# CANCEL — a queued or running job becomes cancelled; a queued entry is removed.
# KEYS: job, events, stream, stats, lock
# ARGV: error_json, pub, group
# returns {'cancelled', snapshot...} | {'missing'} | {status, snapshot...} when already terminal
CANCEL: Final = (
    _PRELUDE
    + """
local job = redis.call('HMGET', KEYS[1], 'status', 'entry')
if not job[1] then return {'missing'} end
if job[1] == 'queued' or job[1] == 'running' then
  redis.call('HSET', KEYS[1], 'status', 'cancelled', 'error', ARGV[1])
  redis.call('HDEL', KEYS[1], 'spec')
  redis.call('DEL', KEYS[5])  -- a resubmit must not wait for the cancelled run's lease
  if job[1] == 'queued' and job[2] then
    redis.call('XACK', KEYS[3], ARGV[3], job[2])
    redis.call('XDEL', KEYS[3], job[2])
  end
  bump(KEYS[1], ARGV[2], KEYS[2])
  redis.call('HINCRBY', KEYS[4], 'cancelled', 1)
  job[1] = 'cancelled'
end
local snap = snapshot(KEYS[1])
table.insert(snap, 1, job[1])
return snap
"""
)

# REQUEUE — put a dead-lettered (or failed) job back on its stream as a fresh job.
# KEYS: job, stream, events, dead
# ARGV: job_id, dead_entry_id, pub, job_ttl
# returns 'requeued' | 'missing' (job expired or has no request to replay) | 'live'
REQUEUE: Final = (
    _PRELUDE
    + """
local job = redis.call('HMGET', KEYS[1], 'status', 'kind', 'spec')
if ARGV[2] ~= '' then redis.call('XDEL', KEYS[4], ARGV[2]) end
if not job[1] or not job[3] then return 'missing' end
if job[1] == 'queued' or job[1] == 'running' then return 'live' end
redis.call('HSET', KEYS[1], 'status', 'queued', 'stage', 'queued', 'progress', '0',
  'attempts', '0')
redis.call('HDEL', KEYS[1], 'error', 'result')
local entry = redis.call('XADD', KEYS[2], '*', 'job', ARGV[1], 'kind', job[2])
redis.call('HSET', KEYS[1], 'entry', entry)
redis.call('EXPIRE', KEYS[1], ARGV[4])
bump(KEYS[1], ARGV[3], KEYS[3])
return 'requeued'
"""
)

# RELEASE — a stopping worker hands its unfinished job back at once: the job is queued
# again under a fresh stream entry, so another worker takes it without waiting out the
# lease.
# KEYS: job, lock, stream, events
# ARGV: token, entry_id, group, pub, job_id
# returns 'released' | 'lost' (someone else owns it) | 'missing' | the job's status
RELEASE: Final = (
    _PRELUDE
    + """
local job = redis.call('HMGET', KEYS[1], 'status', 'owner', 'kind')
if not job[1] then return 'missing' end
if job[2] ~= ARGV[1] then return 'lost' end
if job[1] ~= 'running' then return job[1] end
redis.call('DEL', KEYS[2])
redis.call('HDEL', KEYS[1], 'owner')
redis.call('HSET', KEYS[1], 'status', 'queued', 'stage', 'queued', 'progress', '0')
redis.call('XACK', KEYS[3], ARGV[3], ARGV[2])
redis.call('XDEL', KEYS[3], ARGV[2])
local entry = redis.call('XADD', KEYS[3], '*', 'job', ARGV[5], 'kind', job[3])
redis.call('HSET', KEYS[1], 'entry', entry)
bump(KEYS[1], ARGV[4], KEYS[4])
return 'released'
"""
)
