"""A Verifiable Credentials library with no Django in it.

The VC Data Model rules (datamodel), strict JSON-LD with its shipped contexts (jsonld), JCS
(jcs), the Data Integrity suites with proof sets and chains (dataintegrity), Multikey (multikey),
DID documents and did:key resolution (diddocument, dids), presentations (presentations), the
Bitstring Status List (statuslist) and the pinned JSON Schemas (schemas). What it needs from the
application, a key resolver for did:web, a status-list source, the time, comes in as arguments;
its errors (errors) carry what an RFC 9457 problem document needs.
"""
