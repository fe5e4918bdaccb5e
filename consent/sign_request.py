"""Sign an access request for POST /api/v1/access-requests (docs/api.md, "Signed access requests").

    python -m consent.sign_request keygen                 # a new Ed25519 key: keep the private key
    python -m consent.sign_request sign KEY body.json     # prints the signed request to send

KEY is the private key as a Multikey (z3u2…), as ``keygen`` prints it, or ``-`` to read it from
the environment variable ACCESS_REQUEST_SIGNING_KEY. Register the did:key ``keygen`` prints once
(POST /api/v1/organisation/request-keys); sign every request anew (a fresh nonce and time).
Uses the ``vc`` library only: no Django, no server.
"""

import argparse
import json
import os
import sys
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from vc.multikey import did_key_for, multikey_to_private_key, private_key_to_multikey

from . import requestformat


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("keygen", help="make an Ed25519 key pair")
    signing = commands.add_parser("sign", help="sign a request body")
    signing.add_argument("key", help="the private key (z3u2…), or - for $ACCESS_REQUEST_SIGNING_KEY")
    signing.add_argument("body", type=Path, help="the request body as JSON (docs/api.md)")
    args = parser.parse_args(argv)
    if args.command == "keygen":
        key = Ed25519PrivateKey.generate()
        print(
            json.dumps(
                {
                    "privateKeyMultibase": private_key_to_multikey(key),
                    "verificationMethod": did_key_for(key.public_key()).verification_method,
                },
                indent=2,
            )
        )
        return 0
    encoded = os.environ.get("ACCESS_REQUEST_SIGNING_KEY", "") if args.key == "-" else args.key
    private_key = multikey_to_private_key(encoded)
    body = json.loads(args.body.read_text())
    sys.stdout.write(requestformat.encode(requestformat.sign(body, private_key)).decode() + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
