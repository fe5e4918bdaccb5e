"""A real OpenID Provider for the tests: django-oauth-toolkit's OIDC provider in its own process.

tests/oidc_op/serve.py starts it on 127.0.0.1 (a port the system picks, printed on its first
line); tests/oidc_fixtures.py starts and stops it. It stands in for the federal login (FAS/CSAM
behind Mijn Burgerprofiel): a login page, the authorization code flow with PKCE required, RS256
ID tokens signed by a key generated at start, a userinfo endpoint, RP-initiated logout, and a
national register number in the ``egovNRN`` claim (scope ``egovnrn``), as FAS names it.
"""
