"""Runs scim2-tester's compliance checks against a SCIM server and fails on
any check that found a violation (ERROR or CRITICAL). Called by
scripts/scim-check with SCIM_URL and SCIM_TOKEN in the environment; prints
one line per check and a summary by status."""

import collections
import os
import sys

from httpx2 import Client
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server


def main() -> int:
    http = Client(
        base_url=os.environ["SCIM_URL"],
        headers={"Authorization": "Bearer " + os.environ["SCIM_TOKEN"]},
        timeout=30,
    )
    client = SyncSCIMClient(http)
    results = check_server(client)
    counts = collections.Counter()
    failed = []
    for r in results:
        counts[r.status.name] += 1
        where = f" [{r.resource_type}]" if getattr(r, "resource_type", None) else ""
        line = f"{r.status.name:10} {r.title}{where}"
        if r.reason and r.status != Status.SUCCESS:
            line += f": {r.reason}"
        print(line.replace("\n", " | "))
        if r.status in (Status.ERROR, Status.CRITICAL):
            failed.append(r)
    print("summary: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
    if not results:
        print("no check ran")
        return 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
