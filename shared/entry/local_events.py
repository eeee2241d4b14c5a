"""Local object store events: a saved dashboard's finalize event reaches precompute, as on GCP."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from shared.bootstrap import Container


def wire_local_events(c: Container) -> None:
    """The local object store's finalize events reach precompute through the task queue, as on GCP."""
    queue = c.task_queue

    def on_finalize(event: Any) -> None:
        from cloudevents.conversion import to_dict

        queue.enqueue("precompute", {"event": to_dict(event)})

    c.store("dashboards").subscribe(on_finalize)
