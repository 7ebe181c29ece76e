"""The form fuzz's parts: which POST routes the web UI has (from app.url_map),
which fields each one's form sends (read from the pages that render it), and
the hostile values posted into them.

Nothing here lists a form: a new POST route is fuzzed as soon as it exists,
with the fields of whatever page renders a form for it, plus generic ones.
"""

from __future__ import annotations

import io
import re
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from html.parser import HTMLParser
from urllib.parse import quote_from_bytes, urlsplit

from flask import Flask
from flask.testing import FlaskClient
from hypothesis import strategies as st
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import HTTPException
from werkzeug.routing import Rule

from tests.support.isolation import kind_of, path_for, routes
from tests.support.world import PASSWORD

CSRF_REFUSED = "This form has expired or was not sent from Baton"
# Sent to every route besides its own form's fields: what the isolation
# harness's generic body sends, so a route without a rendered form is reached too.
GENERIC_FIELDS = ("name", "title", "email", "password", "role", "note", "reason", "comment")
SKIPPED_PREFIXES = ("/api/", "/static", "/dev/")


@dataclass
class Form:
    """The fields one POST endpoint's forms send, with the values the pages offer."""

    fields: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    multipart: bool = False


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[str, str, Form]] = []  # (action, method, form)
        self._open: Form | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self._open = Form(multipart="multipart" in a.get("enctype", ""))
            self.forms.append((a.get("action", ""), a.get("method", "get").lower(), self._open))
        elif self._open is not None and tag in ("input", "select", "textarea", "button"):
            name = a.get("name")
            if name and name != "csrf_token":
                values = self._open.fields[name]
                if a.get("value"):
                    values.add(a["value"])
                if a.get("type") == "file":
                    self._open.multipart = True
        elif self._open is not None and tag == "option" and a.get("value"):
            select = next(reversed(self._open.fields), None)
            if select is not None:
                self._open.fields[select].add(a["value"])

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._open = None


def post_routes(app: Flask) -> list[Rule]:
    """Every POST route of the web UI (the API has its own fuzz, schemathesis)."""
    return [
        r
        for r in routes(app)
        if "POST" in (r.methods or ()) and not r.rule.startswith(SKIPPED_PREFIXES)
    ]


def page_routes(app: Flask) -> list[Rule]:
    return [
        r
        for r in routes(app)
        if "GET" in (r.methods or ())
        and not r.rule.startswith(SKIPPED_PREFIXES)
        and kind_of(r) in ("plain", "id", "public")
    ]


def read_forms(app: Flask, browsers: list[FlaskClient], ids: dict[str, str]) -> dict[str, Form]:
    """The forms every page renders for each signed-in browser, by the endpoint
    they post to."""
    adapter = app.url_map.bind("localhost")
    found: dict[str, Form] = defaultdict(Form)
    for rule in page_routes(app):
        path = path_for(rule, ids)
        for browser in browsers:
            page = browser.get(path)
            if page.status_code != 200 or "html" not in (page.content_type or ""):
                continue
            reader = _FormReader()
            reader.feed(page.get_data(as_text=True))
            for action, method, form in reader.forms:
                if method != "post":
                    continue
                target = urlsplit(action).path or path
                try:
                    endpoint, _args = adapter.match(target, method="POST")
                except HTTPException:
                    continue
                merged = found[endpoint]
                merged.multipart |= form.multipart
                for name, values in form.fields.items():
                    merged.fields[name] |= values
    return found


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True)
    match = re.search(r'<meta name="csrf-token" content="([^"]+)">', page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}: {page.status_code}"
    return match.group(1)


@dataclass
class Browser:
    """A browser of one person (or of nobody), with its current CSRF token.
    Signs in again after a fuzzed request signed it out or switched it into
    another organisation."""

    client: FlaskClient
    email: str | None
    org_id: uuid.UUID | None
    token: str = ""

    def sign_in(self) -> None:
        self.token = csrf_token(self.client, "/login")
        if self.email:
            response = self.client.post(
                "/login", data={"email": self.email, "password": PASSWORD, "csrf_token": self.token}
            )
            assert response.status_code == 302, f"{self.email} cannot sign in"
            self.token = csrf_token(self.client, "/")

    def keep_signed_in(self) -> None:
        with self.client.session_transaction() as s:
            signed_in, org = s.get("_user_id"), s.get("org_id")
        if not self.email and signed_in:
            # Nobody's browser signed in (an accepted invitation does that):
            # a fresh one, so the next request is anonymous again.
            fresh = self.client.application.test_client()
            fresh.environ_base.update(self.client.environ_base)
            self.client = fresh
            self.sign_in()
        elif self.email and (not signed_in or org != str(self.org_id)):
            self.sign_in()


# --- values ---------------------------------------------------------------------------------

_SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
_BREAKS = st.sampled_from(["\x00", "\r\n", "\r", "\n", "\u2028", "\t", "\x1b", "\ufeff"])
SPECIALS = [
    "",
    " ",
    "0",
    "-5",
    "1e999999999",
    "-1e999999999",
    "NaN",
    "Infinity",
    "12,50",
    "1.000,50",
    "99999999999999999999",
    "2020-02-30",
    "0000-00-00",
    "9999-12-31",
    "31/12/2026",
    "true",
    "on",
    "<script>alert(1)</script>",
    "=1+1",
    "'; DROP TABLE users; --",
    "%s%n",
    "../../etc/passwd",
    str(uuid.UUID(int=0)),
]


def values(real_ids: list[str], offered: set[str]) -> st.SearchStrategy[str]:
    """Hostile text for one field: control characters and lone surrogates,
    100,000 characters, numbers and dates of every shape, and now and then a
    value the page itself offers or an id that exists, so the handler gets
    past its first check."""
    choices = [
        st.text(max_size=30),
        st.lists(st.one_of(_BREAKS, _SURROGATE, st.text(max_size=4)), max_size=6).map("".join),
        st.sampled_from(SPECIALS),
        st.tuples(
            st.sampled_from(["a", "é", "\x00", "9", "\n", "€"]), st.sampled_from([256, 100_000])
        ).map(lambda t: t[0] * t[1]),
        st.integers(min_value=-(10**30), max_value=10**30).map(str),
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.floats().map(repr),
        st.dates(min_value=date(1, 1, 1)).map(date.isoformat),
        st.datetimes(min_value=datetime(1, 1, 1)).map(datetime.isoformat),
        st.sampled_from(real_ids),
    ]
    if offered:
        choices += [st.sampled_from(sorted(offered))] * 3
    return st.one_of(choices)


# Plausible values by field name, for forms whose page shows none (a new
# supplier, a new requirement): a valid baseline lets one hostile field reach
# the service behind the form's own checks.
PLAUSIBLE = {
    "name": "Fuzz Supplier",
    "title": "Fuzz title",
    "code": "FUZZ-1",
    "client_reference": "FUZZ-REF-1",
    "email": "fuzz@example.com",
    "contact_email": "fuzz@example.com",
    "currency": "EUR",
    "country": "DE",
    "kind": "specification",
    "role": "viewer",
    "qualification_status": "qualified",
    "priority": "normal",
    "incoterms": "DAP",
    "line_count": "1",
    "lines-0-item_code": "BR-100",
    "lines-0-description": "Bracket",
    "lines-0-quantity": "10",
    "lines-0-unit": "each",
    "lines-0-unit_price": "2.50",
    "lines-0-need_by": "2099-01-31",
    "quote_valid_until": "2099-01-31",
    "qualified_until": "2099-01-31",
    "password": "Fuzz-password-long-enough-1",
    "confirm": "Fuzz-password-long-enough-1",
}


def _baseline(form: Form, real_ids: dict[str, str]) -> dict[str, str]:
    base = {name: v for name, v in PLAUSIBLE.items() if name in form.fields}
    for name, offered in form.fields.items():
        if name in real_ids:
            base[name] = real_ids[name]
        elif offered and name not in base:
            base[name] = sorted(offered)[0]
    return base


def bodies(form: Form, real_ids: dict[str, str]) -> st.SearchStrategy[list[tuple[str, str]]]:
    """Either a valid-looking form with one to three fields made hostile, or
    any of the form's fields (and the generic ones) each with a hostile value,
    sometimes a field twice or a name no form has."""
    ids = sorted(set(real_ids.values()))
    names = sorted(set(form.fields) | set(GENERIC_FIELDS))
    per_field = {
        name: values(
            ids + ([real_ids[name]] if name in real_ids else []), form.fields.get(name, set())
        )
        for name in names
    }
    pairs = st.one_of([st.tuples(st.just(n), s) for n, s in per_field.items()])
    stray = st.tuples(st.text(min_size=1, max_size=12), values(ids, set()))
    anything = st.lists(st.one_of(pairs, pairs, pairs, stray), max_size=len(names) + 3)
    base = _baseline(form, real_ids)
    if not base:
        return anything
    hostile = st.dictionaries(st.sampled_from(names), st.just(""), min_size=1, max_size=3).flatmap(
        lambda picked: st.fixed_dictionaries({n: per_field[n] for n in picked})
    )
    mutated = hostile.map(lambda bad: list((base | bad).items()))
    return st.one_of(mutated, anything)


PDF = b"%PDF-1.7\n1 0 obj <<>> endobj\n%%EOF\n"
FILES = st.tuples(
    st.one_of(
        st.binary(max_size=2000),
        st.text(max_size=500).map(lambda t: t.encode("utf-8", "surrogatepass")),
        st.just(PDF),
        st.just(b""),
    ),
    st.sampled_from(["spec.pdf", "rows.csv", "rows.xlsx", "", "../../x.pdf", "a" * 300 + ".csv"]),
)


def encode_form(pairs: list[tuple[str, str]], token: str) -> bytes:
    """application/x-www-form-urlencoded, by hand: a lone surrogate is sent as
    the bytes a broken client would send (UTF-8 of the surrogate), which the
    test client's own encoder refuses to produce."""
    items = [*pairs, ("csrf_token", token)]
    return "&".join(
        f"{quote_from_bytes(k.encode('utf-8', 'surrogatepass'))}="
        f"{quote_from_bytes(v.encode('utf-8', 'surrogatepass'))}"
        for k, v in items
    ).encode()


def multipart_data(
    pairs: list[tuple[str, str]], token: str, upload: tuple[bytes, str] | None
) -> MultiDict:
    """A multipart body; lone surrogates cannot be encoded there and are replaced."""
    data = MultiDict(
        (k.encode("utf-8", "replace").decode(), v.encode("utf-8", "replace").decode())
        for k, v in pairs
    )
    data["csrf_token"] = token
    if upload is not None:
        content, filename = upload
        data.add("file", (io.BytesIO(content), filename))
    return data
