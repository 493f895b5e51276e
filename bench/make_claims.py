"""Create claims on the first N tickets of a workspace through the product's claim API.

Usage: YOI_HOME=... python bench/make_claims.py WORKSPACE COUNT PODS

Pod ``bench-coder-NN`` holds every PODS-th ticket. The overlay location comes
from the environment exactly as for ``yoi ticket claims``.
"""

from __future__ import annotations

import sys
from pathlib import Path

from scenarios import pod_name
from yoi_ticket.overlay.claims import claim
from yoi_ticket.overlay.folder import Overlay
from yoi_ticket.store.reader import Store


def main(workspace: str, count: int, pods: int) -> int:
    overlay = Overlay.for_workspace(Path(workspace))
    ids = sorted(Store(overlay.workspace).ids())[:count]
    for number, ticket_id in enumerate(ids):
        claim(overlay, ticket_id, pod_name(number % pods), "coder")
    print(f"{len(ids)} claims in {overlay.root}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3])))
