"""Kafka plumbing: topic catalogue, producer factory, keyed batch publisher, record conventions, and
the batch consumer, composed of small steps.

The consumer pipeline
---------------------
`consumer.BatchConsumer` runs a service's `BatchProcessor` (a pure `decode`, a transactional
`process`) through one chain of steps, built from the end backwards on every partition assignment:

    driver (processor.StreamProcessor)
      -> Decode             steps/decode.py              record -> value, or a DeadLetter with the reason
      -> BatchBySizeOrTime  steps/batching.py            gather until max_batch_size or max_batch_time_ms
      -> RunBatch           steps/run_batch.py           one transaction per batch; transient failures
                                                         retried with backoff, others split record by record
      -> RouteDeadLetters   steps/route_dead_letters.py  poison and failing records to the dead-letter topic
      -> CommitOffsets      steps/commit_offsets.py      stage offsets, commit under a CommitPolicy

Every step implements `steps.abstract.ProcessingStep` (submit / poll / join / close / terminate,
after arroyo): `submit` and `poll` never block, work that waits runs as a task (one at a time per
step, so batches stay in order) and wakes the driver when done; `join` finishes everything, and
`terminate` abandons it. A `Message` carries a payload and the next offsets it makes committable.

The commit rule: only `CommitOffsets` commits, and a message reaches it only after the handler's
database transaction committed and its dead letters were acknowledged by the broker. It commits the
*next* offset (last + 1), never auto-commits, and throttles with a frozen `commit.CommitPolicy`
evaluated against an explicit, immutable `CommitPolicyState` (`ONCE_PER_SECOND` by default,
`IMMEDIATE` commits after every batch). When partitions are revoked and on shutdown the pipeline is
joined and what is staged is committed whatever the policy says (the forced commit), within
`join_timeout_sec`; after that the pipeline is terminated and its uncommitted records are read again
by the next owner (at-least-once; every handler is idempotent). A commit refused after a rebalance
is dropped for the same reason; a commit that failed otherwise is retried with the next one.

Backpressure: a step that cannot take a message raises `MessageRejected`; batching turns a busy
handler into larger batches first, and only a full batch refuses. The driver then holds the refused
records, stops taking new ones and waits for a step to report progress, never sleeping in a
handler: the retry backoff sleeps inside `RunBatch`'s task, aiokafka keeps heartbeating, and a
rebalance joins (and if need be terminates) the pipeline. If the refusal lasts `pause_after_sec`,
`backpressure.Backpressure` pauses every assigned partition, so the driver can keep calling
`getmany` (the group sees a live member) without receiving records; it resumes them once the held
records are accepted. Lag (`lag.LagGauge`) is measured after each commit; the other series are in
`metrics`.
"""
