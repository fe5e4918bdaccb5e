"""Check a signed access request a citizen downloaded, offline: ``python -m consent.verify_request
signed-request.json``.

It checks that the request hashes to the download's sha256, that its eddsa-jcs-2022 proof
verifies (the key is a did:key: it resolves without a network), and that the key is the one the
download names. Exit codes: 0 it holds; 1 it does not; 2 unreadable input.
"""

import argparse
import json
import sys
from pathlib import Path

from . import requestformat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("download", type=Path)
    args = parser.parse_args(argv)
    try:
        download = json.loads(args.download.read_text())
    except (OSError, ValueError) as exc:
        print(f"UNREADABLE: {exc}")
        return 2
    if not isinstance(download, dict):
        print("UNREADABLE: not a JSON object")
        return 2
    problems = requestformat.verify_evidence(download)
    for problem in problems:
        print(f"problem: {problem}")
    if problems:
        print("NOT VERIFIED: this is not the request as its requester signed it.")
        return 1
    request = json.loads(download["signedRequest"])
    signer = (
        "its custodial key (filed through the web console)"
        if download.get("signer") == "custodial"
        else "its own key"
    )
    print(
        f"Signed by {download.get('organisation', {}).get('name')} with {signer}: "
        f"{download['verificationMethod']}"
    )
    print(f"at {request['proof'].get('created')}, for purpose {request.get('purpose')}")
    print("VERIFIED: the request is exactly as its requester signed it.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
