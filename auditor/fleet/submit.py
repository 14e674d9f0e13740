"""`fleet submit`: record the job's targets as queued in the store, then one task each;
`fleet requeue --stale`: one task again for each target whose worker is gone."""

from __future__ import annotations

from collections.abc import Sequence

from auditor.errors import AuditorError, ConfigError
from auditor.fleet import QUEUE, TASK_NAME
from auditor.fleet.state import FleetStore, JobTarget, open_fleet
from auditor.fleet.targets import Line
from auditor.urls import redact, redact_text

CONNECT_TRIES = 2


def submit(
    broker: str, db_url: str | None, job_id: str, lines: Sequence[Line], queue: str = QUEUE
) -> int:
    """Enqueue every line for `job_id`; how many tasks were sent. The broker is checked
    before anything is recorded, so an unreachable broker leaves no queued rows behind."""
    from auditor.fleet.app import make_app

    app = make_app(broker)
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=CONNECT_TRIES)
            with open_fleet(db_url) as fleet:
                fleet.add_job(job_id, lines)
                with conn.Producer() as producer:
                    sent = 0
                    try:
                        for line in lines:
                            app.send_task(
                                TASK_NAME,
                                args=(job_id, line.target),
                                queue=queue,
                                producer=producer,
                            )
                            sent += 1
                    except Exception as exc:  # the broker went away mid-way
                        for line in lines[sent:]:
                            fleet.finish(
                                job_id, line.target, "failed", None, f"not enqueued: {exc}"
                            )
                        raise _broker_error(broker, exc) from exc
    except AuditorError:
        raise
    except Exception as exc:  # kombu's OperationalError and socket errors alike
        raise _broker_error(broker, exc) from exc
    finally:
        app.close()
    return sent


def requeue(
    broker: str,
    fleet: FleetStore,
    stale: Sequence[tuple[JobTarget, str]],
    queue: str = QUEUE,
) -> list[JobTarget]:
    """Send each stale target's task again, then show it queued (with why); the targets
    requeued. The task goes first: were the row marked queued and the broker then lost, it
    would wait for a task never sent; a task sent for a row still `running` is taken (a
    worker's `start` accepts running rows), and the scan id keeps the scan recorded once.
    A row that moved meanwhile (redelivered, or finished) is left as it is."""
    from auditor.fleet.app import make_app

    app = make_app(broker)
    again: list[JobTarget] = []
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=CONNECT_TRIES)
            with conn.Producer() as producer:
                for row, why in stale:
                    app.send_task(
                        TASK_NAME, args=(row.job_id, row.target), queue=queue, producer=producer
                    )
                    if fleet.requeued(row, f"requeued: {why}"):
                        again.append(row)
    except AuditorError:
        raise
    except Exception as exc:
        raise _broker_error(broker, exc) from exc
    finally:
        app.close()
    return again


def _broker_error(broker: str, exc: BaseException) -> ConfigError:
    return ConfigError(
        f"broker {redact(broker)} unreachable: {redact_text(str(exc))}",
        hint="start Redis or RabbitMQ, or name another with --broker / AUDITOR_BROKER_URL",
    )
