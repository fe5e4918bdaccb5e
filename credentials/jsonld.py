"""JSON-LD, safely: shipped contexts only, no network ever, no silently dropped terms.

Two pyld behaviours make naive use dangerous for signatures:
- its default loader fetches contexts over the network; ours serves only the files shipped in
  ``credentials/contexts`` (pinned by SHA-256 in ``manifest.json``) and refuses any other URL;
- it silently drops properties and types its contexts do not define, so they are not signed
  and can be changed after signing; we refuse such documents instead (``expand_strict``).
Documents may name contexts only by URL: an inline context could redefine terms or add a
``@vocab`` that makes any typo "defined".
"""

import copy
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from django.core.exceptions import ImproperlyConfigured
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from .errors import JsonLdInvalid, UndefinedTerm, UnknownContext

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EDUCATION_V1 = "https://w3id.org/citizen-vault/education/v1"

# The same test pyld applies when it turns expanded JSON-LD into RDF: an IRI it does not accept
# (relative, or holding whitespace) is skipped there, so it would not be signed.
_ABSOLUTE_IRI = re.compile(r"^[A-Za-z][A-Za-z0-9+.\-]*:\S*$")
# N-Quads LANGTAG: pyld writes a language tag into the canonical form unescaped, so anything
# else could forge extra quads in the signed bytes.
_LANGUAGE_TAG = re.compile(r"^[a-zA-Z]+(-[a-zA-Z0-9]+)*$")


def is_absolute_iri(value: Any) -> bool:
    """A string with a scheme and no whitespace: what pyld keeps when it writes RDF."""
    return isinstance(value, str) and bool(_ABSOLUTE_IRI.match(value))


@dataclass(frozen=True)
class ShippedContext:
    url: str
    filename: str
    sha256: str
    raw: bytes
    document: dict[str, Any]


def _load_shipped_contexts() -> dict[str, ShippedContext]:
    manifest = json.loads((CONTEXTS_DIR / "manifest.json").read_text())
    shipped = {}
    for url, entry in manifest["contexts"].items():
        raw = (CONTEXTS_DIR / entry["file"]).read_bytes()
        digest = hashlib.sha256(raw).hexdigest()
        if digest != entry["sha256"]:
            raise ImproperlyConfigured(
                f"Context file {entry['file']} does not match its pinned SHA-256 "
                f"({digest} != {entry['sha256']}); refusing to start."
            )
        shipped[url] = ShippedContext(url, entry["file"], digest, raw, json.loads(raw))
    return shipped


CONTEXTS: dict[str, ShippedContext] = _load_shipped_contexts()


class ContextNotShipped(jsonld.JsonLdError):
    def __init__(self, url: str) -> None:
        super().__init__(
            f"The context {url} is not shipped with this service; it is never fetched.",
            "jsonld.LoadDocumentError",
            {"url": url},
            code="loading remote context failed",
        )
        self.url = url


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader serving only shipped contexts; any other URL raises."""
    context = CONTEXTS.get(url)
    if context is None:
        raise ContextNotShipped(url)
    return {
        "contextUrl": None,
        "documentUrl": url,
        "contentType": "application/ld+json",
        "document": copy.deepcopy(context.document),
    }


# Our own cache of resolved contexts: pyld's default cache is process-global and keyed by URL,
# so a context resolved through some other loader must never be served to ours.
_RESOLVED_CONTEXTS: LRUCache = LRUCache(maxsize=64)


def _options(**extra: Any) -> dict[str, Any]:
    return {
        "documentLoader": document_loader,
        "contextResolver": ContextResolver(_RESOLVED_CONTEXTS, document_loader),
        # None, not "": with "" pyld resolves relative IRIs against http://example.org/base/.
        "base": None,
        **extra,
    }


def _root_cause(exc: BaseException) -> BaseException:
    while exc.__cause__ is not None:
        exc = exc.__cause__
    return exc


def context_references(node: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every ``@context`` entry in a document, at any depth, as (JSON pointer, entry)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                entries = value if isinstance(value, list) else [value]
                for index, entry in enumerate(entries):
                    yield f"{path}/@context/{index}", entry
            else:
                yield from context_references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from context_references(item, f"{path}/{index}")


def _check_context_references(document: Any) -> None:
    for path, entry in context_references(document):
        if not isinstance(entry, str):
            raise JsonLdInvalid("Inline contexts are not accepted: name each context by URL.", path=path)
        if entry not in CONTEXTS:
            raise UnknownContext(
                f"The context {entry} is not one this service knows.",
                path=path,
                knownContexts=sorted(CONTEXTS),
            )


# Canonicalization work grows steeply with blank nodes that look alike (RDFC-1.0's Hash N-Degree
# Quads; the rdf-canon "poison" graph never finishes in pyld). Documents may not name blank nodes
# (so blank nodes form a tree, not a clique), and may hold only so many of them.
MAX_BLANK_NODES = 64


def _count_blank_nodes(node: Any) -> int:
    if isinstance(node, list):
        return sum(_count_blank_nodes(item) for item in node)
    if not isinstance(node, dict) or "@value" in node:
        return 0
    own = 0 if ("@id" in node or "@list" in node or "@set" in node) else 1
    return own + sum(_count_blank_nodes(value) for key, value in node.items() if key != "@id")


def _check_absolute(node: Any) -> None:
    """Refuse what expansion keeps but RDF conversion skips, so it would not be signed:
    relative or malformed IRIs, blank-node properties, ``@index`` and ``@direction``; and
    malformed language tags, which would be written into the canonical form unescaped."""
    if isinstance(node, list):
        for item in node:
            _check_absolute(item)
        return
    if not isinstance(node, dict):
        return
    for key, value in node.items():
        if key == "@id":
            if isinstance(value, str) and value.startswith("_:"):
                raise JsonLdInvalid(
                    f"'{value}' names a blank node; identifiers must be URLs (or be left out)."
                )
            if not is_absolute_iri(value):
                raise UndefinedTerm(f"'{value}' is not an absolute IRI (used as an identifier).")
        elif key == "@type":
            for type_iri in value if isinstance(value, list) else [value]:
                if not is_absolute_iri(type_iri) and type_iri != "@json":
                    raise UndefinedTerm(f"The type '{type_iri}' is not defined by the document's contexts.")
        elif key in ("@index", "@direction"):
            raise UndefinedTerm(f"'{key}' is not part of the signed data; it is not accepted.")
        elif key == "@language":
            if not _LANGUAGE_TAG.match(value):
                raise JsonLdInvalid(f"'{value}' is not a well-formed language tag.")
        elif key == "@value":
            continue
        else:
            if key.startswith("_:"):
                raise UndefinedTerm(f"The property '{key}' is a blank node; it would not be signed.")
            _check_absolute(value)


# Terms whose values are raw JSON (@type @json in the shipped contexts): signed as a JSON literal,
# nulls included, so they are not checked for dropped values.
_RAW_JSON_TERMS = frozenset({"jsonSchema"})


def _check_no_empty_values(node: Any, path: str = "") -> None:
    """JSON-LD drops null and [] without a word, so they are not signed: a verifier reading the
    JSON would see a value the signature does not cover. Refuse them; leave the property out.
    (An empty @list is signed, as rdf:nil, and raw JSON values are signed whole.)"""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context" or key in _RAW_JSON_TERMS or (key == "@list" and value == []):
                continue
            if value is None or value == []:
                raise JsonLdInvalid(
                    f"{path}/{key} is {'null' if value is None else 'an empty list'}, which would not be "
                    "signed; leave the property out instead.",
                    path=f"{path}/{key}",
                )
            _check_no_empty_values(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            if item is None:
                raise JsonLdInvalid(
                    f"{path}/{index} is null, which would not be signed.", path=f"{path}/{index}"
                )
            _check_no_empty_values(item, f"{path}/{index}")


def _refuse_dropped(term: str | None) -> None:
    raise UndefinedTerm(f"The property '{term}' is not defined by the document's contexts.")


def expand_strict(document: dict[str, Any]) -> list[Any]:
    """Expand a JSON-LD document; raise instead of dropping anything.

    Raises UnknownContext, UndefinedTerm or JsonLdInvalid, each with a reason.
    """
    if not isinstance(document, dict):
        raise JsonLdInvalid("A JSON-LD document must be a JSON object.")
    _check_context_references(document)
    _check_no_empty_values(document)
    processor = jsonld.JsonLdProcessor(on_property_dropped=_refuse_dropped)
    try:
        expanded = processor.expand(document, _options())
    except jsonld.JsonLdError as exc:
        cause = _root_cause(exc)
        if isinstance(cause, ContextNotShipped):
            raise UnknownContext(str(cause.message)) from exc
        raise JsonLdInvalid(f"JSON-LD expansion failed: {getattr(cause, 'message', cause)}") from exc
    _check_absolute(expanded)
    if _count_blank_nodes(expanded) > MAX_BLANK_NODES:
        raise JsonLdInvalid(
            f"The document has more than {MAX_BLANK_NODES} nodes without an id; give them ids or split it."
        )
    return expanded


class _IndistinguishableBlankNodes(Exception):
    pass


class _FirstDegreeURDNA2015(URDNA2015):
    """RDFC-1.0 for graphs whose blank nodes its first-degree hashes tell apart.

    Blank nodes that share a first-degree hash (anonymous nodes that look alike: identical
    siblings, long lists of equal items, cliques) send RDFC-1.0 into Hash N-Degree Quads, whose
    work grows factorially; pyld puts no bound on it, and two identical degrees with eight
    identical children took 27 s. Where the algorithm would need that step we refuse instead,
    so canonicalization stays near-linear in the size of the document. For every graph we
    accept, the output is exactly RDFC-1.0's.
    """

    def hash_n_degree_quads(self, id_, issuer):
        raise _IndistinguishableBlankNodes


def canonicalize(document: dict[str, Any]) -> str:
    """RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) to N-Quads, after strict expansion.

    Raises the strict-expansion errors, and JsonLdInvalid for anonymous nodes too alike to be
    canonicalized without unbounded work.
    """
    return canonicalize_expanded(expand_strict(document), bounded=True)


def canonicalize_expanded(expanded: list[Any], *, bounded: bool = True) -> str:
    """RDFC-1.0 of an already expanded (and checked) document.

    ``bounded=False`` runs the full algorithm, Hash N-Degree Quads included: only for trusted
    input (the W3C rdf-canon suite in our tests), never for a request's.
    """
    algorithm = _FirstDegreeURDNA2015 if bounded else URDNA2015
    try:
        dataset = jsonld.JsonLdProcessor().to_rdf(expanded, _options(produceGeneralizedRdf=False))
        return algorithm().main(dataset, {"format": "application/n-quads"})
    except _IndistinguishableBlankNodes as exc:
        raise JsonLdInvalid(
            "The document holds anonymous nodes (objects without an id, or list items) that are "
            "indistinguishable from one another; give them ids or make them differ."
        ) from exc
    except jsonld.JsonLdError as exc:
        raise JsonLdInvalid(f"RDF canonicalization failed: {_root_cause(exc)}") from exc
