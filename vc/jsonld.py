"""JSON-LD, safely: shipped contexts only, no network ever, no silently dropped terms.

Two pyld behaviours make naive use dangerous for signatures:
- its default loader fetches contexts over the network; ours serves only the files shipped in
  ``vc/contexts`` (pinned by SHA-256 in ``manifest.json``) and refuses any other URL;
- it silently drops properties and types its contexts do not define, so they are not signed
  and can be changed after signing; we refuse such documents instead (``expand_strict``).
Inline contexts may only add plain term definitions to absolute IRIs: one that redefines a term,
or adds a ``@vocab`` that makes any typo "defined", is refused (``_check_inline_context``).
"""

import copy
import functools
import hashlib
import itertools
import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cachetools import LRUCache
from pyld import jsonld
from pyld.canon import URDNA2015
from pyld.context_resolver import ContextResolver

from .errors import JsonLdInvalid, ShippedFileInvalid, UndefinedTerm, UnknownContext

CONTEXTS_DIR = Path(__file__).resolve().parent / "contexts"

CREDENTIALS_V2 = "https://www.w3.org/ns/credentials/v2"
# VCDM 1.1: still in circulation, and what the W3C eddsa test suite issues and verifies.
CREDENTIALS_V1 = "https://www.w3.org/2018/credentials/v1"
EXAMPLES_V2 = "https://www.w3.org/ns/credentials/examples/v2"
EDUCATION_V1 = "https://w3id.org/citizen-vault/education/v1"
GOOD_CONDUCT_V1 = "https://w3id.org/citizen-vault/good-conduct/v1"
LANGUAGE_V1 = "https://w3id.org/citizen-vault/language/v1"
# The service's own access-grant credentials (credentials.service_identity, consent.grantcredentials).
ACCESS_GRANT_V1 = "https://w3id.org/citizen-vault/access-grant/v1"
# The context of a signed access request (consent.requestformat): every member it may hold.
ACCESS_REQUEST_V1 = "https://w3id.org/citizen-vault/access-request/v1"

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
            raise ShippedFileInvalid(
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
        # "static" lets pyld keep the resolved context in our shared cache (_RESOLVED_CONTEXTS);
        # without a tag it re-parses every shipped context on every expansion.
        "tag": "static",
    }


# Our own cache of resolved contexts: pyld's default cache is process-global and keyed by URL,
# so a context resolved through some other loader must never be served to ours.
_RESOLVED_CONTEXTS: LRUCache = LRUCache(maxsize=64)


# Embedded (type- and property-scoped) contexts, by identity. pyld keys each embedded context by
# its JCS serialization, recomputed in pure Python on every use; those of shipped contexts are the
# same objects every time (resolved once and kept above), so their identity is key enough. The
# entry holds the object itself, so an id is never reused while its entry lives.
_EMBEDDED_CONTEXTS: LRUCache = LRUCache(maxsize=256)


class _ContextResolver(ContextResolver):
    def resolve(self, active_ctx, context, base, cycles=None):
        if not isinstance(context, dict) or "@context" in context:
            return super().resolve(active_ctx, context, base, cycles)
        cached = _EMBEDDED_CONTEXTS.get(id(context))
        if cached is not None and cached[0] is context:
            return cached[1]
        resolved = super().resolve(active_ctx, context, base, cycles)
        _EMBEDDED_CONTEXTS[id(context)] = (context, resolved)
        return resolved


# The child contexts pyld makes for a type-scoped context (which does not propagate), one per
# active context, by that context's _uuid. pyld makes a fresh one, with a fresh _uuid, each time
# it meets such a context, so it never finds what it processed against it before: every
# expansion of a credential re-created some 70 term definitions. The child is a plain copy of
# the active context with a link back to it, never changed after it is made but for the _uuid
# pyld gives it on first use; the same one serves every expansion, and pyld's cache of processed
# contexts (keyed by that _uuid) then answers.
_NON_PROPAGATING_CHILDREN: LRUCache = LRUCache(maxsize=1024)


class _Processor(jsonld.JsonLdProcessor):
    def _process_context(
        self,
        active_ctx,
        local_ctx,
        options,
        override_protected=False,
        propagate=True,
        validate_scoped=True,
        cycles=None,
    ):
        key = active_ctx.get("_uuid")
        if not propagate and key and not active_ctx.get("previousContext") and local_ctx:
            resolved = options["contextResolver"].resolve(active_ctx, local_ctx, options.get("base", ""))
            first = resolved[0].document if resolved else None
            if not (isinstance(first, dict) and first.get("@propagate") is True):
                cached = _NON_PROPAGATING_CHILDREN.get(key)
                if cached is None or cached[0] is not active_ctx:
                    child = self._clone_active_context(active_ctx)
                    child["previousContext"] = active_ctx
                    cached = (active_ctx, child)
                    _NON_PROPAGATING_CHILDREN[key] = cached
                active_ctx = cached[1]
        return super()._process_context(
            active_ctx, local_ctx, options, override_protected, propagate, validate_scoped, cycles
        )


def _options(**extra: Any) -> dict[str, Any]:
    return {
        "documentLoader": document_loader,
        "contextResolver": _ContextResolver(_RESOLVED_CONTEXTS, document_loader),
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
        # A node's own @context first, whatever the key order: it governs the nested ones.
        for key, value in sorted(node.items(), key=lambda item: item[0] != "@context"):
            if key == "@context":
                entries = value if isinstance(value, list) else [value]
                for index, entry in enumerate(entries):
                    yield f"{path}/@context/{index}", entry
            else:
                yield from context_references(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from context_references(item, f"{path}/{index}")


def _terms_defined_in(node: Any) -> Iterator[str]:
    """Every term a context document defines, at any depth (type- and property-scoped too)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context":
                for entry in value if isinstance(value, list) else [value]:
                    if isinstance(entry, dict):
                        yield from (term for term in entry if not term.startswith("@"))
                        yield from _terms_defined_in(entry)
            else:
                yield from _terms_defined_in(value)
    elif isinstance(node, list):
        for item in node:
            yield from _terms_defined_in(item)


SHIPPED_TERMS: dict[str, frozenset[str]] = {
    url: frozenset(_terms_defined_in(context.document)) for url, context in CONTEXTS.items()
}


def _iris_named_by_shipped_contexts() -> dict[str, frozenset[str]]:
    """Every IRI a term of a shipped context stands for, scoped contexts included, as pyld
    resolves them (prefixes expanded), with the term names that stand for it."""
    processor = jsonld.JsonLdProcessor()
    options = {**_options(), "processingMode": "json-ld-1.1"}
    iris: dict[str, set[str]] = {}
    # A scoped context is walked once per set of prefixes (and @vocab) in scope, the only parts of
    # the active context its IRIs depend on: walking it again for every path to it (a type's
    # context inside a property's inside a type's...) multiplied the work by the nesting: 25,000
    # context processings, 5-15 s on the first request with an inline context, for the same IRIs.
    # (Again if met nearer the top, where the depth limit leaves more of it to walk.)
    walked: dict[tuple[str, Any, frozenset[tuple[str, Any]]], int] = {}

    def walk(active: dict[str, Any], context: Any, depth: int) -> None:
        processed = processor._process_context(active, context, options, override_protected=True)
        for term, definition in processed["mappings"].items():
            if not definition:
                continue
            iri = definition.get("@id")
            if isinstance(iri, str) and not iri.startswith("@"):
                iris.setdefault(iri, set()).add(term)
            if depth < 4 and "@context" in definition:
                prefixes = frozenset(
                    (name, mapping.get("@id"))
                    for name, mapping in processed["mappings"].items()
                    if mapping and mapping.get("_prefix")
                )
                key = (json.dumps(definition["@context"], sort_keys=True), processed.get("@vocab"), prefixes)
                if walked.get(key, 5) > depth + 1:
                    walked[key] = depth + 1
                    walk(processed, definition["@context"], depth + 1)

    initial = processor._get_initial_context(options)
    for url in CONTEXTS:
        walk(initial, url, 0)
    return {iri: frozenset(names) for iri, names in iris.items()}


# An inline context may only add plain term definitions: a term names an absolute IRI, optionally
# with a value type or a set/list container. Everything that changes how OTHER terms are read is
# refused: @vocab (it makes any typo "defined", or with null un-defines types), @base (relative
# IRIs), @import, @propagate, default @language/@direction, nested contexts, and redefining a term
# an earlier context defines (pyld keeps a protected definition silently instead of failing).
MAX_INLINE_TERMS = 64
_INLINE_KEYWORDS = frozenset({"@protected", "@version"})
_INLINE_TERM_KEYS = frozenset({"@id", "@type", "@container"})
_INLINE_VALUE_TYPES = frozenset({"@id", "@vocab", "@json"})
_INLINE_CONTAINERS = frozenset({"@set", "@list"})
_TERM = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _check_inline_context(entry: dict[str, Any], path: str, defined: set[str]) -> None:
    if len(entry) > MAX_INLINE_TERMS:
        raise JsonLdInvalid(f"An inline context may define at most {MAX_INLINE_TERMS} terms.", path=path)
    for term, definition in entry.items():
        where = f"{path}/{term}"
        if term.startswith("@"):
            if term not in _INLINE_KEYWORDS:
                raise JsonLdInvalid(
                    f"'{term}' is not accepted in an inline context: it changes how other terms are "
                    "read. Inline contexts may only define new terms as absolute IRIs.",
                    path=where,
                )
            continue
        if not _TERM.match(term):
            raise JsonLdInvalid(f"'{term}' is not a plain term name.", path=where)
        if term in defined:
            raise JsonLdInvalid(
                f"The inline context redefines '{term}', which an earlier context defines.", path=where
            )
        iri = definition.get("@id") if isinstance(definition, dict) else definition
        if isinstance(definition, dict):
            unknown = set(definition) - _INLINE_TERM_KEYS
            if unknown:
                raise JsonLdInvalid(
                    f"The definition of '{term}' uses {sorted(unknown)}; only @id, @type and "
                    "@container are accepted in an inline context.",
                    path=where,
                )
            value_type = definition.get("@type")
            if (
                value_type is not None
                and value_type not in _INLINE_VALUE_TYPES
                and not is_absolute_iri(value_type)
            ):
                raise JsonLdInvalid(
                    f"The value type of '{term}' must be @id, @vocab, @json or an IRI.", path=where
                )
            if definition.get("@container", "@set") not in _INLINE_CONTAINERS:
                raise JsonLdInvalid(f"The container of '{term}' must be @set or @list.", path=where)
        if not isinstance(iri, str) or not is_absolute_iri(iri) or iri.startswith("_:"):
            raise JsonLdInvalid(f"The term '{term}' must be defined as an absolute IRI.", path=where)
        if term not in shipped_iris().get(iri, {term}):
            # Another name for a term the shipped contexts define (validUntil, credentialStatus,
            # expires, ...): the same statements would be signed, but a reader of the JSON, our
            # own checks included, would look for them under the usual name and not find them.
            raise JsonLdInvalid(
                f"The inline term '{term}' would be another name for {iri}, which a shipped "
                "context already names; use that context's term.",
                path=where,
            )
        defined.add(term)


@functools.cache
def shipped_iris() -> dict[str, frozenset[str]]:
    """The IRIs the shipped contexts give names to, with those names (computed once)."""
    return _iris_named_by_shipped_contexts()


# JSON-LD 1.1 §9.1: a key of the form @ + letters that is not a keyword is ignored, so not signed.
_KEYWORD_FORM = re.compile(r"^@[A-Za-z]+$")


def _pointer_part(key: str | int) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


def check_property_names(node: Any, path: str = "") -> None:
    """Every property is written as a term of the document's contexts, never as an IRI, nor
    spelt like a keyword that JSON-LD does not have.

    ``https://www.w3.org/2018/credentials#credentialStatus`` (or ``cred:credentialStatus``) as a
    key makes the same RDF, so an RDFC signature covers it, but whoever reads the JSON, our own
    status, validity and expiry checks included, looks for ``credentialStatus`` and finds
    nothing. ``@honours`` is ignored by JSON-LD altogether. Raises JsonLdInvalid or UndefinedTerm
    with the path. Raw JSON values (@json) are not looked into.
    """
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context" or key in _RAW_JSON_TERMS:
                continue
            if _KEYWORD_FORM.match(key) and key not in jsonld.KEYWORDS:
                where = f"{path}/{_pointer_part(key)}"
                raise UndefinedTerm(
                    f"The property '{key}' (at {where}) is spelt like a JSON-LD keyword but is not "
                    "one, so JSON-LD ignores it and it would not be signed; use a term your contexts "
                    "define.",
                    path=where,
                )
            if ":" in key:
                raise JsonLdInvalid(
                    f"'{key}' is an IRI used as a property name; write the term your contexts "
                    "define for it (e.g. credentialStatus).",
                    path=f"{path}/{key}",
                )
            check_property_names(value, f"{path}/{key}")
    elif isinstance(node, list):
        for index, item in enumerate(node):
            check_property_names(item, f"{path}/{index}")


def check_contexts(document: Any) -> None:
    """Every @context entry, at any depth, is a shipped context's URL or a safe inline context.

    Raises UnknownContext or JsonLdInvalid, with the path.
    """
    defined: set[str] = set()
    for path, entry in context_references(document):
        if isinstance(entry, dict) and "@context" in entry:
            # The wrapped form {"@context": {...}}, which JSON-LD processors unwrap.
            if set(entry) != {"@context"} or not isinstance(entry["@context"], dict):
                raise JsonLdInvalid(
                    'A wrapped inline context must be exactly {"@context": {term definitions}}.',
                    path=path,
                )
            _check_inline_context(entry["@context"], f"{path}/@context", defined)
        elif isinstance(entry, dict):
            _check_inline_context(entry, path, defined)
        elif not isinstance(entry, str):
            raise JsonLdInvalid("A context must be a URL or an object of term definitions.", path=path)
        elif entry not in CONTEXTS:
            raise UnknownContext(
                f"The context {entry} is not one this service knows.",
                path=path,
                knownContexts=sorted(CONTEXTS),
            )
        else:
            defined |= SHIPPED_TERMS[entry]


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


# Every list item is held by an anonymous list node (rdf:first / rdf:rest), which canonicalization
# must tell apart; a transcript of a few hundred graded modules is fine, thousands are not.
MAX_LIST_ITEMS = 1024


def _count_list_items(node: Any) -> int:
    if isinstance(node, list):
        return sum(_count_list_items(item) for item in node)
    if not isinstance(node, dict) or "@value" in node:
        return 0
    own = len(node["@list"]) if isinstance(node.get("@list"), list) else 0
    return own + sum(_count_list_items(value) for key, value in node.items() if key != "@id")


def _check_absolute(node: Any) -> None:
    """Refuse what expansion keeps but RDF conversion skips, so it would not be signed:
    relative or malformed IRIs, blank-node properties and ``@index``; and
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
        elif key == "@index":
            raise UndefinedTerm(f"'{key}' is not part of the signed data; it is not accepted.")
        elif key == "@direction":
            if value not in ("ltr", "rtl"):
                raise JsonLdInvalid(f"'{value}' is not a base direction; use 'ltr' or 'rtl'.")
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


def _paths_of_property(node: Any, name: str, path: str = "") -> Iterator[str]:
    """The JSON pointer of every property called ``name`` (outside contexts and raw JSON)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == "@context" or key in _RAW_JSON_TERMS:
                continue
            where = f"{path}/{_pointer_part(key)}"
            if key == name:
                yield where
            yield from _paths_of_property(value, name, where)
    elif isinstance(node, list):
        for index, item in enumerate(node):
            yield from _paths_of_property(item, name, f"{path}/{index}")


# Where an undefined property is reported: enough places to find it, not a document's worth.
MAX_REPORTED_PATHS = 3


def _dropped_property_refuser(document: dict[str, Any]) -> Any:
    """pyld's on_property_dropped handler: refuse, naming the property and where it occurs.

    pyld passes the property as it expanded it: for an undefined term, the term itself."""

    def refuse(term: str | None) -> None:
        if not isinstance(term, str):
            raise UndefinedTerm("A property is not defined by the document's contexts.")
        paths = list(itertools.islice(_paths_of_property(document, term), MAX_REPORTED_PATHS))
        if not paths:
            raise UndefinedTerm(f"The property '{term}' is not defined by the document's contexts.")
        raise UndefinedTerm(
            f"The property '{term}' (at {', '.join(paths)}) is not defined by the document's contexts.",
            path=paths[0],
        )

    return refuse


def expand_strict(document: dict[str, Any]) -> list[Any]:
    """Expand a JSON-LD document; raise instead of dropping anything.

    Raises UnknownContext, UndefinedTerm or JsonLdInvalid, each with a reason.
    """
    if not isinstance(document, dict):
        raise JsonLdInvalid("A JSON-LD document must be a JSON object.")
    check_contexts(document)
    check_property_names(document)
    _check_no_empty_values(document)
    processor = _Processor(on_property_dropped=_dropped_property_refuser(document))
    try:
        expanded = processor.expand(document, _options())
    except RecursionError as exc:
        raise JsonLdInvalid("The document is nested too deeply to be processed.") from exc
    except jsonld.JsonLdError as exc:
        cause = _root_cause(exc)
        if isinstance(cause, ContextNotShipped):
            raise UnknownContext(str(cause.message)) from exc
        raise JsonLdInvalid(f"JSON-LD expansion failed: {getattr(cause, 'message', cause)}") from exc
    _check_absolute(expanded)
    if _count_list_items(expanded) > MAX_LIST_ITEMS:
        raise JsonLdInvalid(f"The document's lists hold more than {MAX_LIST_ITEMS} items in all.")
    if _count_blank_nodes(expanded) > MAX_BLANK_NODES:
        raise JsonLdInvalid(
            f"The document has more than {MAX_BLANK_NODES} nodes without an id; give them ids or split it."
        )
    return expanded


class _CanonicalizationTooCostly(Exception):
    pass


# Hash N-Degree Quads (RDFC-1.0 §4.8) is what makes canonicalization expensive: it runs only for
# blank nodes that look alike, tries every permutation of each group of related look-alikes, and
# recurses. pyld puts no bound on it (the rdf-canon "poison" graph, test074, never finishes).
# We bound it two ways, both deterministic: the size of a group whose permutations are tried
# (6! = 720 orders) and the number of Hash N-Degree Quads runs per document. Graphs within the
# bounds get exactly RDFC-1.0's output; the others are refused.
MAX_PERMUTED_GROUP = 6
MAX_N_DEGREE_RUNS = 512


# RDFC-1.0's hash function is a parameter (RDFC-1.0 §4.3; SHA-256 by default). VC DI ECDSA asks
# for one matching the curve: its P-384 vectors are canonicalized with SHA-384, which changes the
# blank node labels of any document with more than one blank node.
RDFC_HASH_ALGORITHMS = frozenset({"sha256", "sha384"})


class _URDNA2015(URDNA2015):
    """pyld's RDFC-1.0 with the hash function as a parameter (pyld fixes SHA-256)."""

    def __init__(self, hash_algorithm: str = "sha256") -> None:
        super().__init__()
        if hash_algorithm not in RDFC_HASH_ALGORITHMS:
            raise ValueError(f"RDFC-1.0 with {hash_algorithm!r} is not supported.")
        self._hash_algorithm = hash_algorithm

    def create_hash(self):
        return hashlib.new(self._hash_algorithm)


class _BoundedURDNA2015(_URDNA2015):
    """RDFC-1.0 with a work budget for Hash N-Degree Quads; raises when it runs out."""

    def __init__(self, hash_algorithm: str = "sha256") -> None:
        super().__init__(hash_algorithm)
        self._n_degree_runs = 0

    def create_hash_to_related(self, id_, issuer):
        hash_to_related = super().create_hash_to_related(id_, issuer)
        if any(len(group) > MAX_PERMUTED_GROUP for group in hash_to_related.values()):
            raise _CanonicalizationTooCostly
        return hash_to_related

    def hash_n_degree_quads(self, id_, issuer):
        self._n_degree_runs += 1
        if self._n_degree_runs > MAX_N_DEGREE_RUNS:
            raise _CanonicalizationTooCostly
        return super().hash_n_degree_quads(id_, issuer)


# Quads a document may produce: a diploma makes about 20, a presentation of several credentials a
# few hundred, a status list credential about 15 (its list is one literal).
MAX_QUADS = 4096

# How a base direction (@direction) reaches the signed bytes. Without this option JSON-LD drops it
# when it makes RDF, so "rtl" could be changed to "ltr" under a valid signature; with it the
# literal's datatype carries it (https://www.w3.org/ns/i18n#en-ltr, JSON-LD 1.1 §8.6).
RDF_DIRECTION = "i18n-datatype"


class _RdfFromExpanded(jsonld.JsonLdProcessor):
    """pyld's to_rdf for a document that is already expanded: it would expand it a second time,
    which costs about as much as the first expansion and, expansion being idempotent on expanded
    JSON-LD, changes nothing."""

    def expand(self, input_, options):
        return input_


# The canonical N-Quads of documents that canonicalized, by the SHA-256 of their exact JSON (and
# RDFC-1.0's hash function): a pod's presentation is the same document until its credentials
# change, and a credential verified again is the same document, so neither is expanded and
# canonicalized again. Sound because the output depends on the JSON alone: the contexts are the
# shipped, pinned files and nothing is fetched. The key is the JSON as Python holds it, not its
# RFC 8785 bytes, which print 1 and 1.0 alike (pyld reads them alike today; the memo does not
# rest on it); keys keep their order, and only plain JSON values (exactly dict, list, str, int,
# float, bool, None) are remembered. Only successes are kept, so a refused document is expanded,
# and refused, every time. Bounded by the characters held, not by the entries; a canonical form
# of over a 64th of that is not kept.
CANONICAL_MEMO_CHARACTERS = 16 * 1024 * 1024
_CANONICAL: LRUCache = LRUCache(maxsize=CANONICAL_MEMO_CHARACTERS, getsizeof=len)
_CANONICAL_LOCK = threading.Lock()
_EXACT_JSON = json.JSONEncoder(ensure_ascii=True, separators=(",", ":"), allow_nan=False)
_JSON_SCALARS = frozenset({str, int, float, bool, type(None)})


def _is_plain_json(value: Any) -> bool:
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _JSON_SCALARS:
            continue
        if kind is dict:
            if not all(type(key) is str for key in item):
                return False
            stack.extend(item.values())
        elif kind is list:
            stack.extend(item)
        else:
            return False
    return True


def _memo_key(document: Any, hash_algorithm: str) -> bytes | None:
    """The SHA-256 of the document's exact JSON (Python's number types kept apart, keys in their
    order, every non-ASCII character escaped) and the hash function; None for what is not plain
    JSON (a tuple, a subclass of str, NaN), which is never remembered."""
    if not _is_plain_json(document):
        return None
    try:
        text = _EXACT_JSON.encode(document)
    except (ValueError, TypeError, RecursionError):
        return None
    return hashlib.sha256(f"{hash_algorithm}\n{text}".encode("ascii")).digest()


def canonicalize(document: dict[str, Any], *, hash_algorithm: str = "sha256") -> str:
    """RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) to N-Quads, after strict expansion.

    ``hash_algorithm`` is RDFC-1.0's hash function ("sha256", or "sha384" for ECDSA P-384).
    Raises the strict-expansion errors, and JsonLdInvalid for a document over MAX_QUADS statements
    or whose anonymous nodes are too alike to be told apart within the work budget. The result
    for a document that canonicalized before (the same JSON) is remembered (_CANONICAL).
    """
    key = _memo_key(document, hash_algorithm)
    if key is not None:
        with _CANONICAL_LOCK:
            remembered = _CANONICAL.get(key)
        if remembered is not None:
            return remembered
    canonical = canonicalize_expanded(expand_strict(document), bounded=True, hash_algorithm=hash_algorithm)
    if key is not None and len(canonical) <= CANONICAL_MEMO_CHARACTERS // 64:
        with _CANONICAL_LOCK:
            _CANONICAL[key] = canonical
    return canonical


def canonicalize_expanded(
    expanded: list[Any], *, bounded: bool = True, hash_algorithm: str = "sha256"
) -> str:
    """RDFC-1.0 of an already expanded (and checked) document.

    ``bounded=False`` runs the full algorithm, Hash N-Degree Quads included: only for trusted
    input (the W3C rdf-canon suite in our tests), never for a request's.
    """
    algorithm = _BoundedURDNA2015 if bounded else _URDNA2015
    try:
        dataset = _RdfFromExpanded().to_rdf(
            expanded, _options(produceGeneralizedRdf=False, rdfDirection=RDF_DIRECTION)
        )
        if bounded:
            quads = sum(len(graph) for graph in dataset.values())
            if quads > MAX_QUADS:
                raise JsonLdInvalid(
                    f"The document makes {quads} RDF statements; at most {MAX_QUADS} are accepted."
                )
        return algorithm(hash_algorithm).main(dataset, {"format": "application/n-quads"})
    except RecursionError as exc:
        raise JsonLdInvalid(
            "The document's anonymous nodes are chained too deeply to be canonicalized."
        ) from exc
    except _CanonicalizationTooCostly as exc:
        raise JsonLdInvalid(
            "The document holds anonymous nodes (objects without an id, or list items) so alike "
            "and so many that telling them apart would take more work than this service allows; "
            "give them ids or make them differ."
        ) from exc
    except jsonld.JsonLdError as exc:
        raise JsonLdInvalid(f"RDF canonicalization failed: {_root_cause(exc)}") from exc
