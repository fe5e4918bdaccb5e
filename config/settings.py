"""Citizen Vault settings: one module, every knob from the environment.

The quick start needs nothing set: with DEBUG=1 it runs on SQLite with eager Celery and a
local-memory cache, using clearly-labelled development keys. With DEBUG off (the default),
SECRET_KEY, KEY_ENCRYPTION_KEYS and LOOKUP_HASH_KEY must come from the environment.
Set DATABASE_URL for PostgreSQL and REDIS_URL for the Celery broker, the cache and rate limits.
"""

import hashlib
import os
import zoneinfo
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in env(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", False)


def _secret(name: str, dev_value: str) -> str:
    value = env(name)
    if value:
        return value
    if DEBUG:
        return dev_value
    raise ImproperlyConfigured(f"{name} must be set in the environment when DEBUG is off.")


# Development values are derived from a public string on purpose: anyone can recompute them,
# so they protect nothing and must never be used outside a laptop. Production refuses them.
_DEV_SEED = "citizen-vault insecure development key, do not use in production"
_DEV_KEK = hashlib.sha256(_DEV_SEED.encode()).hexdigest()

SECRET_KEY = _secret(
    "SECRET_KEY", "dev-insecure-" + hashlib.sha256(b"secret:" + _DEV_SEED.encode()).hexdigest()
)

# Versioned key ring for the key-encryption keys (KEKs) that wrap every pod's data key and
# every issuer's private key: "kid:hex-or-base64url-32-bytes[,kid:…]". The first entry, or
# KEY_ENCRYPTION_KEY_ID, wraps new keys; the others stay available to unwrap old ones.
KEY_ENCRYPTION_KEYS = _secret("KEY_ENCRYPTION_KEYS", f"dev-insecure:{_DEV_KEK}")
KEY_ENCRYPTION_KEY_ID = env("KEY_ENCRYPTION_KEY_ID")
# Another implementation of core.keyring.KeyEncryptionRing (dotted path to a class with a
# from_settings() constructor), e.g. a KMS-backed ring; empty: the environment ring above.
KEY_RING_CLASS = env("KEY_RING_CLASS")

# Keyed hash (HMAC-SHA256) used to find a citizen by national identifier without storing it.
# National identifiers are few enough to enumerate, so this key is all that protects them.
# A versioned ring like the KEK's: LOOKUP_HASH_KEYS="version:secret[,version:secret…]", the
# first entry (or LOOKUP_HASH_KEY_VERSION) hashes, the others still find citizens hashed before
# (`manage.py rehash_national_ids` moves them). A single LOOKUP_HASH_KEY is version "1".
LOOKUP_HASH_KEYS = env("LOOKUP_HASH_KEYS") or "1:" + _secret(
    "LOOKUP_HASH_KEY", "dev-insecure-lookup-" + _DEV_KEK
)
LOOKUP_HASH_KEY_VERSION = env("LOOKUP_HASH_KEY_VERSION")
# Version → secret, parsed from LOOKUP_HASH_KEYS (accounts.identity hashes and looks up with it).
LOOKUP_HASH_KEY_RING: dict[str, str] = {}
for _entry in filter(None, (part.strip() for part in LOOKUP_HASH_KEYS.split(","))):
    _version, _sep, _secret_text = _entry.partition(":")
    if not _sep or not _version or len(_version) > 16 or _version in LOOKUP_HASH_KEY_RING:
        raise ImproperlyConfigured(
            "LOOKUP_HASH_KEYS entries look like 'version:secret', each version once, at most 16 characters."
        )
    if len(_secret_text) < 32:
        raise ImproperlyConfigured(
            f"Lookup hash key {_version!r} must be at least 32 characters of random data (e.g. 64 hex)."
        )
    LOOKUP_HASH_KEY_RING[_version] = _secret_text
if not LOOKUP_HASH_KEY_RING:
    raise ImproperlyConfigured("LOOKUP_HASH_KEYS holds no key.")
LOOKUP_HASH_KEY_VERSION = LOOKUP_HASH_KEY_VERSION or next(iter(LOOKUP_HASH_KEY_RING))
if LOOKUP_HASH_KEY_VERSION not in LOOKUP_HASH_KEY_RING:
    raise ImproperlyConfigured(
        f"LOOKUP_HASH_KEY_VERSION {LOOKUP_HASH_KEY_VERSION!r} is not in LOOKUP_HASH_KEYS."
    )
# The current version's secret (also keys the batch-upload digests).
LOOKUP_HASH_KEY = LOOKUP_HASH_KEY_RING[LOOKUP_HASH_KEY_VERSION]

if not DEBUG and ("dev-insecure" in KEY_ENCRYPTION_KEYS or "dev-insecure" in LOOKUP_HASH_KEYS):
    raise ImproperlyConfigured("Development keys are refused when DEBUG is off.")

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1],testserver" if DEBUG else "")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The public base URL of this service, used in links printed to users and in e-mails. The
# quick start's default follows PORT (`PORT=8110 make demo`), and so do the two below.
SITE_URL = env("SITE_URL", f"http://127.0.0.1:{env('PORT', '8000')}").rstrip("/")
# The base of URLs written into what we sign (status list URLs in credentials): they must stay
# stable for as long as the credentials live, so set it once, to the public https origin.
PUBLIC_BASE_URL = env("PUBLIC_BASE_URL", SITE_URL).rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",  # intcomma: counts grouped as each language writes them (1.234 / 1,234)
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "csp",
    "oauth2_provider",  # the OAuth 2.0 authorization server (client credentials): accounts.oauth_provider
    "accounts",
    "credentials",
    "vault",
    "consent",
    "inbox",  # the citizen's notifications (portal inbox and e-mail)
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # /static/ without a separate web server (gunicorn alone serves the portal, admin and API docs).
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Content-Security-Policy on every response (CONTENT_SECURITY_POLICY below).
    "csp.middleware.CSPMiddleware",
    # API paths answer 404 with a problem document, also under DEBUG (its 404 page lists every URL).
    "core.notfound.ApiNotFoundMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The portal's language: the switcher's cookie, else the browser's Accept-Language, else English.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # Idle and absolute session limits (SESSION_IDLE_SECONDS, SESSION_ABSOLUTE_SECONDS).
    "accounts.sessions.SessionExpiryMiddleware",
    # A signed-in person's portal language, noted for the e-mails written to them.
    "accounts.language.PortalLanguageMiddleware",
    # A page asked for with a method it does not take (a button's address reloaded): a page that
    # says so in the person's language instead of an empty 405.
    "accounts.methods.MethodNotAllowedPageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # config/templates first: our Swagger UI page, without drf-spectacular's inline style.
        "DIRS": [BASE_DIR / "config" / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASE_URL = env("DATABASE_URL")
DATABASES = {
    "default": dj_database_url.parse(DATABASE_URL, conn_max_age=60, conn_health_checks=True)
    if DATABASE_URL
    else {"ENGINE": "django.db.backends.sqlite3", "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3"))}
}
# PostgreSQL through Django's backend with a health check of kept connections that asks the
# operating system, not the server (core.postgresql: no SELECT 1 round trip per request).
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.postgresql":
        _database["ENGINE"] = "core.postgresql"
# PostgreSQL binds parameters on the server and psycopg prepares a statement once a connection has
# run it DATABASE_PREPARE_THRESHOLD times: a request's statements are the same on every request
# (the token, the grant, the log), and parsing and planning them anew every time was over half of
# PostgreSQL's CPU per consented read (docs/benchmarks.md, issue 18). Behind a connection pooler
# in transaction mode that cannot keep prepared statements (PgBouncer before 1.21, or without
# max_prepared_statements), set it to 0: Django's default, parameters bound by psycopg in the
# statement's text, nothing prepared (docs/operations.md).
DATABASE_PREPARE_THRESHOLD = int(env("DATABASE_PREPARE_THRESHOLD", "5"))
if DATABASE_PREPARE_THRESHOLD < 0:
    raise ImproperlyConfigured("DATABASE_PREPARE_THRESHOLD is a number of executions, 0 for none.")
for _database in DATABASES.values():
    if _database["ENGINE"] == "core.postgresql" and DATABASE_PREPARE_THRESHOLD:
        _database["OPTIONS"] = {
            "server_side_binding": True,
            "prepare_threshold": DATABASE_PREPARE_THRESHOLD,
            **_database.get("OPTIONS", {}),
        }
# SQLite (the quick start) under a threaded server: WAL lets readers run beside the one writer;
# IMMEDIATE makes every transaction take the write lock when it begins, so a transaction that
# reads and then writes (every read under a grant logs it) never fails at once with "database is
# locked" trying to upgrade its lock; and a writer waits up to SQLITE_TIMEOUT seconds for the lock.
# Writers are serialised, which also orders each read after any revocation that committed first.
for _database in DATABASES.values():
    if _database["ENGINE"] == "django.db.backends.sqlite3":
        _database["OPTIONS"] = {
            "transaction_mode": "IMMEDIATE",
            "timeout": float(env("SQLITE_TIMEOUT", "20")),
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
            **_database.get("OPTIONS", {}),
        }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "portal:login"
# Password logins (portal and admin): refused for a while after repeated failures.
LOGIN_MAX_FAILURES = int(env("LOGIN_MAX_FAILURES", "5"))
LOGIN_FAILURE_WINDOW_SECONDS = int(env("LOGIN_FAILURE_WINDOW_SECONDS", "900"))
LOGIN_REDIRECT_URL = "portal:home"
LOGOUT_REDIRECT_URL = "portal:login"
# Portal sessions end after SESSION_IDLE_SECONDS without a request, and SESSION_ABSOLUTE_SECONDS
# after sign-in whatever happens (accounts.sessions.SessionExpiryMiddleware); the cookie lives no
# longer than the absolute limit.
SESSION_IDLE_SECONDS = int(env("SESSION_IDLE_SECONDS", "1800"))
SESSION_ABSOLUTE_SECONDS = int(env("SESSION_ABSOLUTE_SECONDS", "28800"))
if not 0 < SESSION_IDLE_SECONDS <= SESSION_ABSOLUTE_SECONDS:
    raise ImproperlyConfigured("Need 0 < SESSION_IDLE_SECONDS <= SESSION_ABSOLUTE_SECONDS.")
SESSION_COOKIE_AGE = SESSION_ABSOLUTE_SECONDS
# Sign-in with OpenID Connect (accounts.oidc): the citizen's federal login (FAS/CSAM) or any
# OpenID Provider. Off unless OIDC_ISSUER, OIDC_CLIENT_ID and OIDC_CLIENT_SECRET are all set;
# then the login page offers it beside the password form. docs/operations.md explains each.
OIDC_ISSUER = env("OIDC_ISSUER").strip()
OIDC_DISCOVERY_URL = env(
    "OIDC_DISCOVERY_URL"
).strip()  # default: OIDC_ISSUER/.well-known/openid-configuration
OIDC_CLIENT_ID = env("OIDC_CLIENT_ID").strip()
OIDC_CLIENT_SECRET = env("OIDC_CLIENT_SECRET")
OIDC_SCOPES = env("OIDC_SCOPES", "openid")
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", "CSAM")  # the button: "Sign in with CSAM"
OIDC_NATIONAL_ID_CLAIM = env("OIDC_NATIONAL_ID_CLAIM", "egovNRN")
OIDC_NATIONAL_ID_COUNTRY = env("OIDC_NATIONAL_ID_COUNTRY", "BE")  # prefixed to a claim without one
OIDC_EMAIL_CLAIM = env("OIDC_EMAIL_CLAIM", "email")
OIDC_ID_TOKEN_ALGORITHMS = env_list("OIDC_ID_TOKEN_ALGORITHMS", "RS256,PS256,ES256")
OIDC_REDIRECT_URI = env("OIDC_REDIRECT_URI").strip()  # default: the request's origin + /portal/oidc/callback/
OIDC_POST_LOGOUT_REDIRECT_URI = env("OIDC_POST_LOGOUT_REDIRECT_URI").strip()
# The levels of assurance (the ID token's acr) a sign-in must have, comma-separated, e.g.
# FAS's urn:be:fedict:iam:fas:Level500 (eID) and ...:Level450 (itsme). Empty: any level.
OIDC_REQUIRED_ACR = env_list("OIDC_REQUIRED_ACR")
if {alg for alg in OIDC_ID_TOKEN_ALGORITHMS if not alg.startswith(("RS", "PS", "ES", "Ed"))}:
    raise ImproperlyConfigured("OIDC_ID_TOKEN_ALGORITHMS: only asymmetric algorithms (RS*, PS*, ES*, EdDSA).")
# OAuth 2.0 client credentials (POST /oauth2/token): lifetime of an access token, and the
# issuer named in /.well-known/oauth-authorization-server (our public origin). Failed client
# authentications share the login budget above.
OAUTH_ACCESS_TOKEN_SECONDS = int(env("OAUTH_ACCESS_TOKEN_SECONDS", "600"))
if OAUTH_ACCESS_TOKEN_SECONDS <= 0:
    raise ImproperlyConfigured("OAUTH_ACCESS_TOKEN_SECONDS must be a positive number of seconds.")
# At most this many live access tokens per client: issuing one more deletes the oldest.
OAUTH_MAX_LIVE_TOKENS_PER_CLIENT = int(env("OAUTH_MAX_LIVE_TOKENS_PER_CLIENT", "20"))
if OAUTH_MAX_LIVE_TOKENS_PER_CLIENT <= 0:
    raise ImproperlyConfigured("OAUTH_MAX_LIVE_TOKENS_PER_CLIENT must be a positive number.")
OAUTH_ISSUER = env("OAUTH_ISSUER", SITE_URL).rstrip("/")
# django-oauth-toolkit serves /oauth2/token, /oauth2/revoke and /oauth2/introspect, wired to our
# clients (one per organisation, client credentials only) in accounts.oauth_provider.
OAUTH2_PROVIDER_APPLICATION_MODEL = "accounts.OAuthClient"
OAUTH2_PROVIDER = {
    "OAUTH2_SERVER_CLASS": "accounts.oauth_provider.ClientCredentialsServer",
    "OAUTH2_VALIDATOR_CLASS": "accounts.oauth_provider.Validator",
    "OAUTH2_BACKEND_CLASS": "accounts.oauth_provider.OAuthLibCore",
    "SCOPES_BACKEND_CLASS": "accounts.oauth_provider.ClientScopes",
    "CLIENT_ID_GENERATOR_CLASS": "accounts.oauth.ClientIdGenerator",
    "CLIENT_SECRET_GENERATOR_CLASS": "accounts.oauth.ClientSecretGenerator",
    "ACCESS_TOKEN_GENERATOR": "accounts.oauth.generate_access_token",
    "APPLICATION_ADMIN_CLASS": "accounts.admin.OAuthClientAdmin",
    # RFC 9700 (the OAuth security BCP) throughout: access tokens kept only as their SHA-256, and
    # the flows we never offer (implicit, password, PKCE plain, tokens in URLs) refused outright.
    **{
        f"COMPLIANT_BCP_RFC9700_{gate}": True
        for gate in (
            "TOKEN_STORAGE",
            "IMPLICIT_GRANT",
            "PASSWORD_GRANT",
            "PKCE_METHOD",
            "ACCESS_TOKEN_TRANSPORT",
            "AUTHZ_RESPONSE_ISS",
            "REFRESH_TOKEN",
            "REDIRECT_URI_SCHEME",
            "REDIRECT_URI_MATCHING",
            "PKCE_REQUIRED",
        )
    },
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
}

# The portal speaks Belgium's three official languages and English (the fallback, and the
# language of the API's problem details). Catalogues: locale/<lang>/LC_MESSAGES/django.po, compiled
# to .mo and committed (docs/operations.md, "Translations"). nl-BE, fr-BE, de-BE in Accept-Language
# select nl, fr, de; dates and numbers follow the chosen language's formats.
LANGUAGE_CODE = "en"
LANGUAGES = [("nl", _("Dutch")), ("fr", _("French")), ("de", _("German")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"  # stored and exchanged (API, downloads, logs) in UTC
# The portal and the console show times in this zone and name it ("Brussels time"), and read the
# dates typed into their forms (a grant's last day, the log's period) as days in it.
PORTAL_TIME_ZONE = env("PORTAL_TIME_ZONE", "Europe/Brussels").strip()
try:
    zoneinfo.ZoneInfo(PORTAL_TIME_ZONE)
except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
    raise ImproperlyConfigured(f"PORTAL_TIME_ZONE: no time zone named {PORTAL_TIME_ZONE!r}.") from exc
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "config" / "static"]
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
# With DEBUG off, WhiteNoise serves STATIC_ROOT, which `manage.py collectstatic` fills with
# compressed copies under content-hashed names (cached for ever by browsers). Under DEBUG, files
# are served from the apps as they are: the quick start and the tests need no collectstatic.
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = WHITENOISE_AUTOREFRESH = DEBUG  # by DEBUG as configured, not as tests flip it

REDIS_URL = env("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            # An unreachable Redis fails fast (rate limits then fail open: core.throttling)
            # instead of holding every request until the kernel gives up on the connection.
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: a real broker with REDIS_URL, otherwise tasks run eagerly in the caller's process.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend",
)
EMAIL_HOST = env("EMAIL_HOST", "localhost")
EMAIL_PORT = int(env("EMAIL_PORT", "25"))
EMAIL_HOST_USER = env("EMAIL_HOST_USER")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)  # STARTTLS, usually on port 587
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # TLS from the first byte, usually on port 465
if EMAIL_USE_TLS and EMAIL_USE_SSL:
    raise ImproperlyConfigured("Set EMAIL_USE_TLS (STARTTLS) or EMAIL_USE_SSL (implicit TLS), not both.")
# Seconds an SMTP server may keep a sender waiting (Django's default is for ever).
EMAIL_TIMEOUT = float(env("EMAIL_TIMEOUT", "10"))
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Citizen Vault <no-reply@localhost>")

# Largest request body the API reads; anything larger is a 413 before it is parsed.
API_MAX_BODY_BYTES = int(env("API_MAX_BODY_BYTES", str(256 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = API_MAX_BODY_BYTES

# Batch issuance (POST /api/v1/issuer/batches): the largest CSV upload, and the most rows in it.
BATCH_MAX_BYTES = int(env("BATCH_MAX_BYTES", str(4 * 1024 * 1024)))
BATCH_MAX_ROWS = int(env("BATCH_MAX_ROWS", "10000"))

# Personal documents (vault.documents): the largest document, the room all of a pod's documents
# may take, and the size of the chunks each is sealed in. Exports (vault.podexport) stay
# downloadable POD_EXPORT_HOURS; an erasure the citizen asks for is carried out after
# POD_ERASURE_GRACE_DAYS, until when it can be cancelled (vault.erasure).
DOCUMENT_MAX_BYTES = int(env("DOCUMENT_MAX_BYTES", str(10 * 1024 * 1024)))
POD_DOCUMENT_QUOTA_BYTES = int(env("POD_DOCUMENT_QUOTA_BYTES", str(50 * 1024 * 1024)))
DOCUMENT_CHUNK_BYTES = int(env("DOCUMENT_CHUNK_BYTES", str(64 * 1024)))
POD_EXPORT_HOURS = int(env("POD_EXPORT_HOURS", "24"))
POD_ERASURE_GRACE_DAYS = int(env("POD_ERASURE_GRACE_DAYS", "7"))
POD_IMPORT_MAX_BYTES = int(env("POD_IMPORT_MAX_BYTES", str(POD_DOCUMENT_QUOTA_BYTES + 16 * 1024 * 1024)))
if min(DOCUMENT_MAX_BYTES, POD_DOCUMENT_QUOTA_BYTES, DOCUMENT_CHUNK_BYTES, POD_EXPORT_HOURS) <= 0:
    raise ImproperlyConfigured("DOCUMENT_*, POD_DOCUMENT_QUOTA_BYTES and POD_EXPORT_HOURS must be positive.")
# A build still unfinished this long after it was asked for is sent again (its worker died).
POD_EXPORT_STALL_SECONDS = int(env("POD_EXPORT_STALL_SECONDS", "900"))
POD_LIFE_SWEEP_SECONDS = int(env("POD_LIFE_SWEEP_SECONDS", "300"))
if min(POD_EXPORT_STALL_SECONDS, POD_LIFE_SWEEP_SECONDS) <= 0:
    raise ImproperlyConfigured("POD_EXPORT_STALL_SECONDS and POD_LIFE_SWEEP_SECONDS must be positive.")
# Uploaded files (a document from the portal, a batch CSV) stay in memory, never in a temporary
# file on disk: they are plaintext of pod data. Large enough for the largest either may be.
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.MemoryFileUploadHandler"]
FILE_UPLOAD_MAX_MEMORY_SIZE = max(DOCUMENT_MAX_BYTES, BATCH_MAX_BYTES) + 64 * 1024
if POD_ERASURE_GRACE_DAYS < 0:
    raise ImproperlyConfigured("POD_ERASURE_GRACE_DAYS cannot be negative.")

# VC API (/credentials/issue): sign credentials using the W3C examples context
# (https://www.w3.org/ns/credentials/examples/v2). Off by default: its @vocab makes every
# undefined term "defined", so a misspelt claim would be signed without meaning. The W3C
# conformance suites issue such credentials, so turn it on only for a conformance run.
VC_API_ALLOW_EXAMPLES_CONTEXT = env_bool("VC_API_ALLOW_EXAMPLES_CONTEXT", False)

# How many reverse proxies sit in front of us: rate limits and login throttling key on the
# client address they report. 0 (the default) trusts no X-Forwarded-For at all.
NUM_PROXIES = int(env("NUM_PROXIES", "0"))

# Remote documents (did:web DID documents, remote status lists) go through credentials.remote:
# HTTPS only, no redirects, public addresses only, a hard size cap and a deadline.
REMOTE_FETCH_TIMEOUT_SECONDS = float(env("REMOTE_FETCH_TIMEOUT_SECONDS", "5"))
REMOTE_FETCH_MAX_BYTES = int(env("REMOTE_FETCH_MAX_BYTES", str(1024 * 1024)))
# Networks (CIDR) that may be fetched from although private, e.g. an intranet issuer.
REMOTE_FETCH_ALLOWED_NETWORKS = env_list("REMOTE_FETCH_ALLOWED_NETWORKS")
# Tests only: plain http and loopback addresses for localhost / 127.0.0.1 / ::1.
REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST = env_bool("REMOTE_FETCH_ALLOW_INSECURE_LOCALHOST", False)
# A PEM bundle of CAs to trust instead of the system's (a private PKI); empty: the system's.
REMOTE_FETCH_CA_BUNDLE = env("REMOTE_FETCH_CA_BUNDLE")
# did:web: documents are small; resolved ones are cached this long. DID_WEB_NETWORK=0 resolves
# only pinned documents (air-gapped deployments); pinned documents always win over the network.
DID_WEB_MAX_BYTES = int(env("DID_WEB_MAX_BYTES", str(100 * 1024)))
DID_WEB_CACHE_SECONDS = int(env("DID_WEB_CACHE_SECONDS", "300"))
DID_WEB_NETWORK = env_bool("DID_WEB_NETWORK", True)
PINNED_DID_DOCUMENTS_DIR = env("PINNED_DID_DOCUMENTS_DIR")

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "core.parsers.BoundedJSONParser",
        "core.parsers.BoundedJSONLDParser",
    ],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "core.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_THROTTLE_CLASSES": [
        # DRF's throttles, failing open (logged) when the cache is unreachable: core.throttling.
        "core.throttling.AnonRateThrottle",
        "core.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env("THROTTLE_ANON", "60/minute"),
        "user": env("THROTTLE_USER", "6000/minute"),
        "access-requests": env("THROTTLE_ACCESS_REQUESTS", "200/hour"),
        # The public VC API verify endpoints (POST /credentials/verify, /presentations/verify).
        "vc-api-verify": env("THROTTLE_VC_API_VERIFY", "120/minute"),
    },
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "NUM_PROXIES": NUM_PROXIES,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Citizen Vault API",
    "DESCRIPTION": (
        "Citizen-controlled personal data pods: issuers put W3C Verifiable Credentials in, "
        "requesters ask for them, the citizen decides, and every access is logged."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Several resources have a "status"; name each choice set after its resource.
    "ENUM_NAME_OVERRIDES": {"BatchStatusEnum": "vault.models.Batch.Status"},
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "config.openapi.add_problem_responses",
    ],
    "APPEND_COMPONENTS": {
        "securitySchemes": {
            "ApiToken": {
                "type": "http",
                "scheme": "bearer",
                "description": "An API token: `Authorization: Bearer cvt_…`",
            }
        }
    },
    "AUTHENTICATION_WHITELIST": [
        "accounts.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
}

# Content-Security-Policy (django-csp), on every page, the portal, the admin and the API docs alike:
# scripts, styles, images and fonts only from our own origin (what WhiteNoise serves), no inline
# script or style, no framing, forms posting only to us. A cross-site script that slipped into a
# page (a requester's text, say) would not run.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'none'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "manifest-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'none'"],
    },
}

# Production hardening: on unless DEBUG, each overridable from the environment.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SESSION_COOKIE_SECURE = env_bool("SESSION_COOKIE_SECURE", not DEBUG)
CSRF_COOKIE_SECURE = env_bool("CSRF_COOKIE_SECURE", not DEBUG)
SECURE_HSTS_SECONDS = int(env("SECURE_HSTS_SECONDS", "0" if DEBUG else "31536000"))
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
if env_bool("BEHIND_TLS_PROXY", False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Hosted did:web DIDs for issuers whose keys we keep: the host name (optionally host:port) at
# which this service is reachable over HTTPS, e.g. vault.example.be. An issuer hosted with
# `manage.py host_issuer_did <slug>` then signs as did:web:<host>:issuers:<slug>, whose document
# this service serves at https://<host>/issuers/<slug>/did.json. Empty (the default): hosting off.
# did:web names a domain, never an IP address; the full grammar is checked by credentials.hosted.
ISSUER_DID_WEB_HOST = env("ISSUER_DID_WEB_HOST").strip().lower()
_did_web_host_name = ISSUER_DID_WEB_HOST.partition(":")[0]
if "/" in ISSUER_DID_WEB_HOST or _did_web_host_name.replace(".", "").isdigit() or "[" in ISSUER_DID_WEB_HOST:
    raise ImproperlyConfigured(
        "ISSUER_DID_WEB_HOST must be a host name, optionally with a port (vault.example.be:8443), "
        f"not a URL or an IP address: {ISSUER_DID_WEB_HOST!r}."
    )

# The service signs its own credentials (access grants: credentials.service_identity) as an issuer
# organisation of its own, made on first use with this name; with ISSUER_DID_WEB_HOST set, as
# did:web:<host>, whose document is served at https://<host>/.well-known/did.json.
SERVICE_ORGANISATION_NAME = env("SERVICE_ORGANISATION_NAME", "Citizen Vault")

# Batch issuance, robustness: a task stopped by a database or broker failure is retried with
# exponential backoff (BATCH_RETRY_BACKOFF_SECONDS, doubling, at most …_MAX_SECONDS) up to
# BATCH_MAX_ATTEMPTS runs, then the batch fails with a reason. Celery beat runs the sweeper
# every BATCH_SWEEP_SECONDS: it resends the task of a batch left queued, or running past its
# lease, for BATCH_STALL_SECONDS (`manage.py resume_batches` does the same by hand).
# GET /issuer/batches/{id} shows the first BATCH_ERRORS_SHOWN errors; /errors pages them all.
BATCH_MAX_ATTEMPTS = int(env("BATCH_MAX_ATTEMPTS", "6"))
BATCH_RETRY_BACKOFF_SECONDS = int(env("BATCH_RETRY_BACKOFF_SECONDS", "15"))
BATCH_RETRY_BACKOFF_MAX_SECONDS = int(env("BATCH_RETRY_BACKOFF_MAX_SECONDS", "600"))
BATCH_STALL_SECONDS = int(env("BATCH_STALL_SECONDS", "300"))
BATCH_SWEEP_SECONDS = int(env("BATCH_SWEEP_SECONDS", "60"))
BATCH_ERRORS_SHOWN = int(env("BATCH_ERRORS_SHOWN", "100"))
if min(BATCH_MAX_ATTEMPTS, BATCH_STALL_SECONDS, BATCH_SWEEP_SECONDS, BATCH_ERRORS_SHOWN) <= 0:
    raise ImproperlyConfigured("The BATCH_* attempts, seconds and counts must be positive.")
CELERY_BEAT_SCHEDULE = {
    "resume-stalled-batches": {
        "task": "vault.tasks.resume_stalled_batches",
        "schedule": float(BATCH_SWEEP_SECONDS),
    },
}

# The access log (vault.accesslog, docs/operations.md "The access log"). ACCESS_LOG_NAME names the
# service's checkpoint-signing key and prefixes each pod's checkpoint origin (<name>/<pod id>): a
# host name and path, no scheme, no spaces or '+'. Entries older than ACCESS_LOG_RETENTION_DAYS
# lose their detail (who, why, which credential) but keep their Merkle leaf; the default, five
# years, is argued in docs/operations.md. Every ACCESS_LOG_DIGEST_DAYS the citizen is e-mailed the
# latest signed checkpoint of a log that grew. Celery beat runs both.
ACCESS_LOG_NAME = env("ACCESS_LOG_NAME", PUBLIC_BASE_URL.partition("://")[2].rstrip("/") + "/access-log")
ACCESS_LOG_RETENTION_DAYS = int(env("ACCESS_LOG_RETENTION_DAYS", "1826"))
ACCESS_LOG_DIGEST_DAYS = int(env("ACCESS_LOG_DIGEST_DAYS", "7"))
if min(ACCESS_LOG_RETENTION_DAYS, ACCESS_LOG_DIGEST_DAYS) <= 0:
    raise ImproperlyConfigured("ACCESS_LOG_RETENTION_DAYS and ACCESS_LOG_DIGEST_DAYS must be positive.")
if not ACCESS_LOG_NAME or any(ch.isspace() or ch == "+" for ch in ACCESS_LOG_NAME):
    raise ImproperlyConfigured(f"ACCESS_LOG_NAME holds no spaces or '+': {ACCESS_LOG_NAME!r}.")
CELERY_BEAT_SCHEDULE["sweep-pod-exports"] = {
    "task": "vault.tasks.sweep_pod_exports",
    "schedule": float(POD_LIFE_SWEEP_SECONDS),
}
CELERY_BEAT_SCHEDULE["perform-due-erasures"] = {
    "task": "vault.tasks.perform_due_erasures",
    "schedule": float(POD_LIFE_SWEEP_SECONDS),
}
# Consent's lifecycle (consent.services, docs/operations.md "Consent lifecycle"): a request names
# an answer-by date, by default ACCESS_REQUEST_ANSWER_DAYS after filing (never past the access it
# asks for); every CONSENT_SWEEP_SECONDS beat expires what the clock ended (reads check the clock
# themselves) and tells citizens once of grants ending within GRANT_EXPIRY_NOTICE_DAYS.
ACCESS_REQUEST_ANSWER_DAYS = int(env("ACCESS_REQUEST_ANSWER_DAYS", "14"))
GRANT_EXPIRY_NOTICE_DAYS = int(env("GRANT_EXPIRY_NOTICE_DAYS", "3"))
CONSENT_SWEEP_SECONDS = int(env("CONSENT_SWEEP_SECONDS", "300"))
if min(ACCESS_REQUEST_ANSWER_DAYS, GRANT_EXPIRY_NOTICE_DAYS, CONSENT_SWEEP_SECONDS) <= 0:
    raise ImproperlyConfigured(
        "ACCESS_REQUEST_ANSWER_DAYS, GRANT_EXPIRY_NOTICE_DAYS and CONSENT_SWEEP_SECONDS must be positive."
    )
CELERY_BEAT_SCHEDULE["consent-lifecycle-sweep"] = {
    "task": "consent.tasks.sweep_lifecycle",
    "schedule": float(CONSENT_SWEEP_SECONDS),
}
# Sealed log entries (legal reads under a mandate with a disclosure delay, vault.sealing) open on
# their date: every SEALED_ENTRY_SWEEP_SECONDS beat opens what is due and tells the citizen (a
# reader of a log opens its own pod's due entries first in any case).
SEALED_ENTRY_SWEEP_SECONDS = int(env("SEALED_ENTRY_SWEEP_SECONDS", "600"))
if SEALED_ENTRY_SWEEP_SECONDS <= 0:
    raise ImproperlyConfigured("SEALED_ENTRY_SWEEP_SECONDS must be positive.")
CELERY_BEAT_SCHEDULE["open-sealed-entries"] = {
    "task": "vault.tasks.open_sealed_entries",
    "schedule": float(SEALED_ENTRY_SWEEP_SECONDS),
}
CELERY_BEAT_SCHEDULE["prune-access-logs"] = {"task": "vault.tasks.prune_access_logs", "schedule": 86400.0}
CELERY_BEAT_SCHEDULE["send-log-digests"] = {
    "task": "vault.tasks.send_log_digests",
    "schedule": ACCESS_LOG_DIGEST_DAYS * 86400.0,
}
# Signed access requests (consent.signing, docs/api.md "Signed access requests"): with
# ACCESS_REQUESTS_REQUIRE_SIGNATURE (on unless DEBUG) an API request without a proof by a key the
# organisation registered is refused; off (the quick start, the test suite), unsigned API requests
# are filed without evidence. A request filed from the web console is signed by the organisation's
# custodial key either way. A proof's `created` may be at most ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS
# old; its nonce is accepted once per organisation, for ever.
ACCESS_REQUESTS_REQUIRE_SIGNATURE = env_bool("ACCESS_REQUESTS_REQUIRE_SIGNATURE", not DEBUG)
# A filing is answered no sooner than this many seconds after it arrived (consent.timing), so that
# how long the answer takes does not tell whether the number has a pod here: a held request (no
# pod) does less work than one delivered into a pod (no log entry, no inbox). Above the slowest
# delivered filing you see; 0 (the default with DEBUG) answers at once.
ACCESS_REQUEST_ANSWER_FLOOR_SECONDS = float(
    env("ACCESS_REQUEST_ANSWER_FLOOR_SECONDS", "0" if DEBUG else "0.25")
)
if not 0 <= ACCESS_REQUEST_ANSWER_FLOOR_SECONDS <= 5:
    raise ImproperlyConfigured("ACCESS_REQUEST_ANSWER_FLOOR_SECONDS must be from 0 to 5.")
ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS = int(env("ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS", "300"))
if ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS <= 0:
    raise ImproperlyConfigured("ACCESS_REQUEST_SIGNATURE_WINDOW_SECONDS must be positive.")
