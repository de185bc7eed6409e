"""Hostile and random input to the public pages: never a 5xx, never a half-saved request.

Hypothesis posts random and hostile data to /request/, /refer/ and /status/, and sends hostile
query strings and tokens to the pages a patient opens. The CSRF check is on, as in production,
so Django's middleware parses each hostile body before the view does. Each example runs in a
savepoint rolled back at its end: every example starts from the rows its test started with.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from django.db import models, transaction
from django.http import HttpResponse
from django.test import Client
from hypothesis import HealthCheck, assume, event, example, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from requests.models import (
    AuditEvent,
    Document,
    Notification,
    RecordItem,
    ReferringProvider,
    SecondOpinionRequest,
    StatusChange,
    StatusLink,
    SupportTask,
)
from requests.views import STATUS_SESSION_KEY
from tests import files
from tests.factories import form_data, lookup_data, make_request, referral_data

pytestmark = pytest.mark.django_db

ALLOWED_STATUSES = {200, 302, 400, 403, 405, 410, 413, 429}
TRACKED_MODELS = (
    SecondOpinionRequest,
    ReferringProvider,
    Notification,
    Document,
    StatusChange,
    RecordItem,
    SupportTask,
    StatusLink,
    AuditEvent,
)
CSRF_SECRET = "Hostile0Hostile1Hostile2Hostile3"  # 32 letters and digits, as Django makes them
CLIENT_ADDRESS = "198.51.100.23"
BOUNDARY = b"HostileBoundary7MA4YWxkTrZu0gW"
ONE_MEGABYTE = 1024 * 1024
SAFE_DOCUMENT_NAME = re.compile(r"[A-Za-z0-9 ._()-]{1,100}\.(pdf|jpg|png)")
STORED_DOCUMENT_NAME = re.compile(r"documents/[0-9a-f]{32}(_[A-Za-z0-9]{7})?")

REQUEST_FREE_TEXT = {
    "first_name": 100,
    "last_name": 100,
    "city": 100,
    "current_oncologist": 150,
    "current_facility": 150,
    "questions": 2000,
    "insurance_carrier": 100,
    "insurance_member_id": 40,
}
REQUIRED_FREE_TEXT = {"first_name", "last_name", "city"}


@dataclass(frozen=True)
class IntakePage:
    path: str
    thanks: str
    valid_post: Callable[..., dict[str, Any]]
    referral: bool


REQUEST_PAGE = IntakePage("/request/", "/request/thanks/", form_data, referral=False)
REFERRAL_PAGE = IntakePage("/refer/", "/refer/thanks/", referral_data, referral=True)


def examples(count: int) -> hypothesis_settings:
    """Return the settings of one property: `count` examples, the same ones on every run."""
    return hypothesis_settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


@pytest.fixture(autouse=True)
def _no_rate_limits(settings: Any) -> None:
    """Let every example through: the per-address counts outlive each example's rollback."""
    settings.PUBLIC_POSTS_PER_HOUR = 10**9
    settings.STATUS_LOOKUPS_PER_HOUR = 10**9


# --- Strategies ---------------------------------------------------------------------------

# Text that breaks naive handling: direction marks and overrides, zero-width characters, a
# byte-order mark, astral characters (never lone surrogates, which no browser can send),
# combining marks, line separators, NUL, and strings that look like code or templates.
AWKWARD = [
    "\u200e",
    "\u200f",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200c",
    "\u200d",
    "\u2060",
    "\ufeff",
    "\U0001f600",
    "\U0001f469\u200d\u2695\ufe0f",
    "\U0001d7d8",
    "\U00020000",
    "\U0010fffd",
    "\u0301",
    "\u2028",
    "\x85",
    "\x00",
    "\r\n",
    "\t",
    "\ufffd",
    "'",
    '"',
    "<script>alert(1)</script>",
    "%00",
    "{{ 7|add:7 }}",
    "${7*7}",
    "' OR 1=1 --",
]
JSON_LOOKING = [
    '{"first_name": "Maria"}',
    "[1, 2, 3]",
    '["surgery", "chemotherapy"]',
    "null",
    "true",
    "false",
    "{}",
    "[]",
    '{"$gt": ""}',
    "1e309",
    "NaN",
    "-0",
    "0x1F",
]
DATE_LOOKING = [
    "1961-02-30",
    "0000-01-01",
    "0001-01-01",
    "9999-12-31",
    "99999-01-01",
    "-1961-03-28",
    "1961-03-28T00:00:00",
    "28/03/1961",
    "03/28/61",
    "\u0660\u0663/\u0662\u0668/\u0661\u0669\u0666\u0661",
    "1961-03-28\x00",
]
EMAIL_LOOKING = [
    "a@b",
    "@example.com",
    "maria@",
    "maria@@example.com",
    "maria@例え.jp",
    "maría@example.com",
    "Maria <maria@example.com>",
    "maria@example.com, eve@example.com",
    "maria@example.com\r\nBcc: eve@example.com",
    "maria@[127.0.0.1]",
]

characters = st.characters(codec="utf-8")  # every code point but the surrogates
plain_text = st.text(characters, max_size=40)
awkward_text = st.lists(
    st.sampled_from(AWKWARD) | st.text(characters, max_size=4), min_size=1, max_size=8
).map("".join)
number_text = st.integers(-(10**30), 10**30).map(str) | st.floats().map(repr)
# 1 MB of one character: over DATA_UPLOAD_MAX_MEMORY_SIZE, far under MAX_REQUEST_BYTES.
megabyte_text = st.sampled_from(["x", "\U0001f600", "\x00", "é", "\u202e"]).map(
    lambda char: char * (ONE_MEGABYTE // len(char.encode()))
)
# Longer than every column, yet small enough to reach the form.
over_long_text = st.sampled_from(["x", "\U0001f600", "9"]).map(lambda char: char * 2500)
# Addresses the validators accept, up to 254 characters, the length of the email columns.
# (Longer provider addresses are a known bug: see the provider email test at the end.)
valid_emails = st.builds(
    lambda local, labels: "m" * local + "@" + ".".join(["d" * 60] * labels) + ".org",
    st.sampled_from([1, 20, 64]),
    st.integers(1, 3),
).filter(lambda address: len(address) <= 254)
short_hostile_values = st.one_of(
    plain_text,
    awkward_text,
    st.sampled_from(JSON_LOOKING + DATE_LOOKING + EMAIL_LOOKING),
    number_text,
    valid_emails,
)
hostile_values = short_hostile_values | over_long_text | megabyte_text
field_names = st.sampled_from(["", "x", "a[]", "__proto__", "first_name[0]", "\U0001f600"]) | (
    plain_text
)


@st.composite
def hostile_posts(draw: st.DrawFn, base: dict[str, Any]) -> list[tuple[str, str]]:
    """Return a post made from a valid one with some values replaced, dropped, repeated or
    given as several, plus unknown fields."""
    data = {
        key: [str(item) for item in value] if isinstance(value, list) else [str(value)]
        for key, value in base.items()
    }
    names = sorted({*data, "website", "attachments"})
    for _edit in range(draw(st.integers(0, 4))):
        name = draw(st.sampled_from(names))
        action = draw(st.sampled_from(["replace", "replace", "drop", "repeat", "several"]))
        if action == "replace":
            data[name] = [draw(hostile_values)]
        elif action == "drop":
            data.pop(name, None)
        elif action == "repeat":
            data[name] = data.get(name, []) * draw(st.integers(2, 4)) or [""]
        else:
            data[name] = [*data.get(name, []), *draw(st.lists(hostile_values, max_size=3))]
    pairs = [(key, value) for key, values in data.items() for value in values]
    pairs += draw(st.lists(st.tuples(field_names, hostile_values), max_size=3))
    return draw(st.permutations(pairs)) if draw(st.booleans()) else pairs


# --- Sending ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart body, its headers written byte by byte."""

    field: bytes
    filename_parameter: bytes
    content: bytes
    content_type: bytes | None = None
    transfer_encoding: bytes | None = None


def multipart_body(pairs: list[tuple[str, str]], uploads: tuple[Upload, ...] = ()) -> bytes:
    """Return a multipart/form-data body of the fields and files, exactly as given."""
    body = b""
    for name, value in pairs:
        body += b"--" + BOUNDARY + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + name.encode() + b'"\r\n\r\n'
        body += value.encode() + b"\r\n"
    for upload in uploads:
        body += b"--" + BOUNDARY + b"\r\n"
        body += b'Content-Disposition: form-data; name="' + upload.field + b'"'
        body += upload.filename_parameter + b"\r\n"
        if upload.content_type is not None:
            body += b"Content-Type: " + upload.content_type + b"\r\n"
        if upload.transfer_encoding is not None:
            body += b"Content-Transfer-Encoding: " + upload.transfer_encoding + b"\r\n"
        body += b"\r\n" + upload.content + b"\r\n"
    return body + b"--" + BOUNDARY + b"--\r\n"


MULTIPART = "multipart/form-data; boundary=" + BOUNDARY.decode()
URLENCODED = "application/x-www-form-urlencoded"


def browser() -> Client:
    """Return a fresh client holding a CSRF cookie, as a browser that loaded the form does."""
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR=CLIENT_ADDRESS)
    client.cookies[django_settings.CSRF_COOKIE_NAME] = CSRF_SECRET
    return client


def encode(
    pairs: list[tuple[str, str]], encoding: str, uploads: tuple[Upload, ...] = ()
) -> tuple[bytes, str]:
    """Return the body and content type of a form post, with the CSRF token last."""
    pairs = [*pairs, ("csrfmiddlewaretoken", CSRF_SECRET)]
    if encoding == "urlencoded" and not uploads:
        return urlencode(pairs).encode(), URLENCODED
    return multipart_body(pairs, uploads), MULTIPART


def send(
    path: str,
    pairs: list[tuple[str, str]],
    encoding: str = "multipart",
    uploads: tuple[Upload, ...] = (),
) -> HttpResponse:
    """Post the fields (and files) to `path` from a fresh browser."""
    body, content_type = encode(pairs, encoding, uploads)
    return browser().generic("POST", path, body, content_type=content_type)


def pairs_of(data: dict[str, Any]) -> list[tuple[str, str]]:
    """Return a post's fields as (name, value) pairs, a list value as repeated names."""
    return [
        (key, str(item))
        for key, value in data.items()
        for item in (value if isinstance(value, list) else [value])
    ]


# --- What every example must show ---------------------------------------------------------


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run one example in a savepoint undone at its end, so the next one starts alike."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def row_counts() -> dict[str, int]:
    """Return how many rows each model a public post may write holds."""
    return {model.__name__: model.objects.count() for model in TRACKED_MODELS}


def added_since(before: dict[str, int]) -> dict[str, int]:
    """Return how many rows each model gained since `before`."""
    return {name: count - before[name] for name, count in row_counts().items()}


def assert_storable(row: models.Model) -> None:
    """Assert PostgreSQL would store the row as SQLite did: no NUL, nothing over-long.

    SQLite keeps both silently, so on SQLite this is the only sign of a 500 on PostgreSQL.
    """
    for field in row._meta.concrete_fields:
        value = field.value_from_object(row)
        where = f"{type(row).__name__}.{field.name}"
        if isinstance(field, models.JSONField):
            assert "\\u0000" not in json.dumps(value), f"{where} holds a NUL"
            continue
        if isinstance(field, models.FileField):
            value = value.name
        if not isinstance(value, str):
            continue
        assert "\x00" not in value, f"{where} holds a NUL"
        if isinstance(field, models.CharField | models.FileField) and field.max_length:
            assert len(value) <= field.max_length, f"{where}: {len(value)} > {field.max_length}"


def saved_rows(case: SecondOpinionRequest) -> list[models.Model]:
    """Return the request and every row its submission saved."""
    provider = [case.referring_provider] if case.referring_provider else []
    return [
        case,
        *provider,
        *case.notifications.all(),
        *case.documents.all(),
        *case.record_items.all(),
        *case.support_tasks.all(),
        *case.status_changes.all(),
    ]


def assert_all_or_nothing(
    response: HttpResponse, before: dict[str, int], page: IntakePage
) -> SecondOpinionRequest | None:
    """Assert no 5xx; a redirect to the thanks page saved one whole request, else nothing."""
    assert response.status_code in ALLOWED_STATUSES, response.status_code
    event(f"answered {response.status_code}")
    added = added_since(before)
    if response.status_code != 302 or response["Location"] != page.thanks:
        assert added == dict.fromkeys(added, 0), f"{response.status_code} but saved {added}"
        return None
    assert added["SecondOpinionRequest"] == 1, added
    assert added["StatusChange"] == 1, added
    case = SecondOpinionRequest.objects.order_by("-pk").first()
    owed = sorted(case.notifications.values_list("kind", flat=True))
    if page.referral:
        expected = ["referral_provider"] + (["referral_patient"] if case.email else [])
        assert case.referring_provider is not None
        assert added["ReferringProvider"] <= 1
    else:
        expected = ["confirmation"]
        assert case.notifications.get().recipient == case.contact_email
    assert owed == sorted(expected)
    assert added["Notification"] == len(expected), added
    assert added["AuditEvent"] == 0, added
    # Whatever was typed, numbers are saved in one shape: E.164 phones, a 10-digit NPI.
    phones = [case.phone, case.requester_phone]
    if case.referring_provider:
        provider = case.referring_provider
        phones += [provider.phone, provider.fax]
        assert re.fullmatch(r"[0-9]{10}", provider.npi), provider.npi
    for phone in filter(None, phones):
        assert re.fullmatch(r"\+[1-9][0-9]{6,14}", phone), phone
    for row in saved_rows(case):
        assert_storable(row)
    for document in case.documents.all():
        assert SAFE_DOCUMENT_NAME.fullmatch(document.original_name), document.original_name
        assert STORED_DOCUMENT_NAME.fullmatch(document.file.name), document.file.name
    return case


# --- The intake forms ---------------------------------------------------------------------


@st.composite
def intake_posts(draw: st.DrawFn, page: IntakePage) -> list[tuple[str, str]]:
    """Return a hostile post made from a fresh valid post of the page."""
    return draw(hostile_posts(page.valid_post()))


@examples(160)
@given(pairs=intake_posts(REQUEST_PAGE), encoding=st.sampled_from(["multipart", "urlencoded"]))
@example(pairs=[], encoding="multipart")
@example(pairs=pairs_of(form_data(questions="x" * ONE_MEGABYTE)), encoding="urlencoded")
@example(pairs=pairs_of(form_data(first_name="Ma\x00ria")), encoding="multipart")
@example(
    pairs=pairs_of(form_data(treatments='["surgery"]', state=["MA", "NY"])), encoding="multipart"
)
def test_the_request_form_survives_hostile_values(pairs, encoding) -> None:
    """Any mix of valid and hostile values gets an answer, and a whole request or nothing."""
    with rolled_back():
        before = row_counts()
        assert_all_or_nothing(send("/request/", pairs, encoding), before, REQUEST_PAGE)


@examples(100)
@given(pairs=intake_posts(REFERRAL_PAGE), encoding=st.sampled_from(["multipart", "urlencoded"]))
@example(pairs=[], encoding="urlencoded")
@example(pairs=pairs_of(referral_data(npi=["1234567893", "1234567894"])), encoding="multipart")
def test_the_referral_form_survives_hostile_values(pairs, encoding) -> None:
    """Any mix of valid and hostile values gets an answer, and a whole referral or nothing."""
    with rolled_back():
        before = row_counts()
        assert_all_or_nothing(send("/refer/", pairs, encoding), before, REFERRAL_PAGE)


@examples(60)
@given(
    field=st.sampled_from(sorted(REQUEST_FREE_TEXT)),
    text=st.text(characters, min_size=1, max_size=40) | awkward_text,
    encoding=st.sampled_from(["multipart", "urlencoded"]),
)
def test_any_text_in_a_free_text_answer_is_kept_as_typed(field, text, encoding) -> None:
    """Names and answers in any script, with marks and emoji, are saved exactly, trimmed."""
    text = text[: REQUEST_FREE_TEXT[field]]
    with rolled_back():
        before = row_counts()
        response = send("/request/", pairs_of(form_data(**{field: text})), encoding)
        case = assert_all_or_nothing(response, before, REQUEST_PAGE)
        if "\x00" in text or (field in REQUIRED_FREE_TEXT and not text.strip()):
            assert case is None
        else:
            assert case is not None, response.content.decode()[:2000]
            assert getattr(case, field) == text.strip()


CAREGIVER = {
    "requester_type": "caregiver",
    "requester_first_name": "Ana",
    "requester_last_name": "Lopez",
    "requester_relationship": "daughter",
    "requester_email": "ana.lopez@example.com",
    "requester_phone": "617-555-0199",
}
EMAIL_ANSWERS = [
    (REQUEST_PAGE, "email", {}),
    (REQUEST_PAGE, "requester_email", CAREGIVER),
    (REFERRAL_PAGE, "email", {}),
    (REFERRAL_PAGE, "provider_email", {}),
]


def email_of_length(length: int) -> str:
    """Return a well-formed address of exactly `length` characters (at least 7)."""
    local = min(64, length - 6)
    room = length - local - len("@") - len(".org")
    labels = []
    while room > 0:
        size = min(63, room)
        if room - size == 1:  # no room for a dot and a label after this one
            size -= 1
        labels.append("d" * size)
        room -= size + 1
    return "m" * local + "@" + ".".join(labels) + ".org"


# Every length from 7 to past 320 (the validator's limit), and the edges of the columns.
any_length_emails = (st.integers(7, 330) | st.sampled_from([253, 254, 255, 320, 321])).map(
    email_of_length
)


@examples(60)
@given(answer=st.sampled_from(EMAIL_ANSWERS), address=any_length_emails)
def test_an_email_the_form_accepts_fits_its_column(answer, address) -> None:
    """A well-formed address is saved if it fits the 254-character columns, else refused."""
    page, field, context = answer
    # The provider's address between 255 and 320 characters is saved over-long: that bug is
    # test_a_provider_email_longer_than_its_columns_is_never_saved_over_long, below.
    assume(field != "provider_email" or len(address) <= 254)
    with rolled_back():
        before = row_counts()
        response = send(page.path, pairs_of(page.valid_post(**{**context, field: address})))
        case = assert_all_or_nothing(response, before, page)
        assert (case is not None) == (len(address) <= 254), len(address)


# --- Files --------------------------------------------------------------------------------

PDF, PNG, JPEG = files.PDF, files.PNG, files.JPEG  # Whole files, as uploads are read.
ODD_FILE_NAMES = [
    "../../../etc/passwd",
    "..\\..\\windows\\win.ini",
    "C:\\fakepath\\scan.pdf",
    "/etc/passwd",
    "",
    " ",
    ".",
    "..",
    ".pdf",
    ".htaccess",
    "scan.pdf.exe",
    "scan.exe.pdf",
    "\u202efdp.exe",
    "検査結果.pdf",
    "résumé.pdf",
    "\U0001f600.png",
    "CON",
    "NUL.pdf",
    "a\x00.pdf",
    "%00.pdf",
    "%2e%2e%2fpasswd",
    "&#47;etc&#47;passwd",
    'quote".pdf',
    "semi;colon.pdf",
    "back\\slash.pdf",
    "line\r\nbreak.pdf",
    "tab\t.pdf",
    "a" * 300 + ".pdf",
    "x" * 5000,
    "<script>.pdf",
    "{{ x }}.pdf",
]
file_names = st.sampled_from(ODD_FILE_NAMES) | st.text(characters, max_size=30)


def filename_parameters(name: str) -> st.SearchStrategy[bytes]:
    """Return the ways a browser, or a hand-written client, can name the file in its header."""
    raw = name.encode()
    return st.sampled_from(
        [
            b'; filename="' + raw + b'"',
            b"; filename=" + raw,
            b"; filename*=UTF-8''" + quote(name).encode(),
            b"; filename=\"scan.pdf\"; filename*=UTF-8''" + quote(name).encode(),
            b'; filename="' + name.encode("latin-1", "replace") + b'"',
            b'; filename="\xff\xfe' + raw + b'"',
        ]
    )


@st.composite
def uploads(draw: st.DrawFn) -> Upload:
    """Return a file part with an odd name, header or content, or an ordinary one."""
    name = draw(file_names)
    content = draw(
        st.sampled_from([PDF, PNG, JPEG, b"", b"<html><script>alert(1)</script>", b"MZ\x90\x00"])
        | st.binary(max_size=64)
        | st.binary(max_size=64).map(lambda tail: PDF + tail)
    )
    return Upload(
        field=draw(st.sampled_from([b"attachments"] * 4 + [b"first_name", b"website", b"x"])),
        filename_parameter=draw(filename_parameters(name)),
        content=content,
        content_type=draw(
            st.sampled_from(
                [None, b"application/pdf", b"text/html", b"image/png; charset=utf-8", b""]
            )
        ),
        transfer_encoding=draw(st.sampled_from([None, None, None, b"base64", b"8bit"])),
    )


@examples(80)
@given(
    page=st.sampled_from([REQUEST_PAGE, REFERRAL_PAGE]),
    files=st.lists(uploads(), min_size=1, max_size=4),
)
def test_files_with_odd_names_are_saved_whole_under_safe_names_or_refused(page, files) -> None:
    """Odd file names and contents never fail: the request is saved with safe names, or not."""
    with rolled_back():
        before = row_counts()
        response = send(page.path, pairs_of(page.valid_post()), uploads=tuple(files))
        case = assert_all_or_nothing(response, before, page)
        if case is not None:
            assert case.documents.count() <= len(files)
            event(f"saved {case.documents.count()} of {len(files)} files")


@examples(30)
@given(
    page=st.sampled_from([REQUEST_PAGE, REFERRAL_PAGE]),
    count=st.integers(django_settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1, 1500),
    same_name=st.booleans(),
    encoding=st.sampled_from(["multipart", "urlencoded"]),
)
def test_more_fields_than_allowed_are_refused(page, count, same_name, encoding) -> None:
    """A valid post padded past DATA_UPLOAD_MAX_NUMBER_FIELDS is a 400 that saves nothing."""
    padding = [("questions" if same_name else f"extra{index}", "1") for index in range(count)]
    with rolled_back():
        before = row_counts()
        response = send(page.path, pairs_of(page.valid_post()) + padding, encoding)
        assert response.status_code == 400
        assert_all_or_nothing(response, before, page)


@examples(10)
@given(page=st.sampled_from([REQUEST_PAGE, REFERRAL_PAGE]), count=st.integers(101, 200))
def test_more_files_than_allowed_are_refused(page, count) -> None:
    """More file parts than DATA_UPLOAD_MAX_NUMBER_FILES is a 400 that saves nothing."""
    files = tuple(Upload(b"attachments", b'; filename="a.pdf"', PDF) for _ in range(count))
    with rolled_back():
        before = row_counts()
        response = send(page.path, pairs_of(page.valid_post()), uploads=files)
        assert response.status_code == 400
        assert_all_or_nothing(response, before, page)


# --- Hostile bodies and headers -----------------------------------------------------------

# Charsets Python knows but cannot decode bytes to text with (base64, hex, rot13, idna ...)
# make Django's multipart parser raise: see the charset test at the end.
TEXT_CHARSETS = ["utf-8", "UTF-8", "latin-1", "ascii", "utf-16", "utf-32", "utf-7", "x-bogus"]
content_types = st.one_of(
    st.just(MULTIPART),
    st.just(URLENCODED),
    st.sampled_from(TEXT_CHARSETS).map(lambda charset: f"{MULTIPART}; charset={charset}"),
    st.sampled_from(TEXT_CHARSETS).map(lambda charset: f"{URLENCODED}; charset={charset}"),
    st.sampled_from(
        [
            "multipart/form-data",
            "multipart/form-data; boundary=",
            "multipart/form-data; boundary=" + "b" * 200,
            'multipart/form-data; boundary="' + BOUNDARY.decode() + '"',
            "multipart/form-data; boundary=other",
            "multipart/mixed; boundary=" + BOUNDARY.decode(),
            "application/json",
            "text/plain",
            "",
            "*/*",
            ";;;",
        ]
    ),
)


@st.composite
def lengths(draw: st.DrawFn, body: bytes) -> str | None:
    """Return a Content-Length header: true, too small, over the limit, or not a number."""
    return draw(
        st.one_of(
            st.none(),
            st.integers(0, len(body)).map(str),
            st.integers(-(10**6), -1).map(str),
            st.integers(django_settings.MAX_REQUEST_BYTES + 1, 10**15).map(str),
            st.sampled_from(["abc", "1e9", "0x10", "1.5", "NaN", "-", "\u0661" * 20]),
        )
    )


@st.composite
def hostile_bodies(draw: st.DrawFn) -> tuple[IntakePage | None, str, str, bytes, str, str | None]:
    """Return a page, a method, a body, a content type and a Content-Length to send."""
    path_page = draw(
        st.sampled_from(
            [(REQUEST_PAGE.path, REQUEST_PAGE), (REFERRAL_PAGE.path, REFERRAL_PAGE)]
            + [(path, None) for path in ("/status/", "/", "/status/open/", "/request/thanks/")]
        )
    )
    path, page = path_page
    pairs = pairs_of(page.valid_post()) if page else [("reference", "ABCD-2345")]
    pairs = [*pairs, ("csrfmiddlewaretoken", CSRF_SECRET)]
    body = draw(
        st.sampled_from(
            [
                multipart_body(pairs),
                urlencode(pairs).encode(),
                json.dumps(dict(pairs)).encode(),
                b"",
            ]
        )
        | st.binary(max_size=200)
    )
    method = draw(st.sampled_from(["POST", "POST", "POST", "PUT", "PATCH", "DELETE", "GET"]))
    return page, path, method, body, draw(content_types), draw(lengths(body))


@examples(120)
@given(case=hostile_bodies(), token_in_header=st.booleans())
def test_hostile_bodies_and_lengths_are_refused_or_read_safely(case, token_in_header) -> None:
    """Lying lengths, odd content types and junk bodies never fail and never half-save."""
    page, path, method, body, content_type, length = case
    extra = {} if length is None else {"CONTENT_LENGTH": length}
    if token_in_header:
        # The CSRF check then passes whatever the body is, so the view reads it too.
        extra["HTTP_X_CSRFTOKEN"] = CSRF_SECRET
    with rolled_back():
        before = row_counts()
        response = browser().generic(method, path, body, content_type=content_type, **extra)
        try:
            announced = int(length) if length is not None else len(body)
        except ValueError:
            announced = None
        if announced is None or announced > django_settings.MAX_REQUEST_BYTES:
            assert response.status_code == 413
        assert_all_or_nothing(response, before, page or REQUEST_PAGE)


# --- The status lookup --------------------------------------------------------------------


@pytest.fixture
def known_case() -> SecondOpinionRequest:
    """A request to look up; it outlives the examples, which roll back only their own rows."""
    return make_request()


@st.composite
def status_posts(draw: st.DrawFn, reference: str) -> list[tuple[str, str]]:
    """Return a hostile lookup made from the right answers for `reference`."""
    base = lookup_data(reference)
    return draw(hostile_posts(base))


@examples(150)
@given(data=st.data(), encoding=st.sampled_from(["multipart", "urlencoded"]))
def test_the_status_lookup_survives_hostile_values(known_case, data, encoding) -> None:
    """Any lookup gets an answer; at most one link is saved and owed, and nothing else."""
    pairs = data.draw(status_posts(known_case.reference))
    with rolled_back():
        before = row_counts()
        response = send("/status/", pairs, encoding)
        assert response.status_code in ALLOWED_STATUSES
        event(f"answered {response.status_code}")
        added = added_since(before)
        links = added.pop("StatusLink")
        assert links <= 1
        assert added.pop("Notification") == links
        assert added == dict.fromkeys(added, 0), added
        if links:
            event("a link was owed")
            assert response.status_code == 200
            link = StatusLink.objects.get()
            assert link.case == known_case
            owed = Notification.objects.get(kind=Notification.Kind.STATUS_LINK)
            assert owed.recipient.lower() == known_case.email.lower()
            assert_storable(owed)


# --- The pages a patient opens ------------------------------------------------------------

tokens = st.one_of(
    st.text(st.characters(codec="utf-8", exclude_characters="/"), min_size=1, max_size=60),
    st.from_regex(r"[A-Za-z0-9_:.\-]{1,300}", fullmatch=True),
    st.sampled_from(["..", ".", "%", "\x00", "null", "eyJpZCI6MSwicyI6IngifQ:1abcde:" + "x" * 43]),
)
query_strings = st.one_of(
    st.lists(st.tuples(field_names, short_hostile_values), max_size=6).map(urlencode),
    st.sampled_from(
        [
            "%",
            "%zz",
            "&&&",
            "=",
            "a=%ff%fe%00",
            "a[]=1&a[]=2",
            "__proto__[x]=1",
            "next=//evil.example",
            "a=" + "%E2%80%AE" * 50,
            "&".join(f"k{index}=v" for index in range(1500)),
            "x=" + "a" * 100_000,
        ]
    ),
    st.text(st.characters(codec="utf-8", exclude_characters="#"), max_size=40).map(quote),
)
accept_languages = (
    st.none()
    | st.sampled_from(
        ["*", "es", "zz-ZZ", "en;q=nan", "es;q=1e309", "en;q=-1", ";;;,,,", "x" * 10_000]
    )
    | st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=60)
)

# Each page answers a stranger the same way, whatever the query string says.
PAGES = {
    "/": (200, None),
    "/request/": (200, None),
    "/refer/": (200, None),
    "/status/": (200, None),
    "/request/thanks/": (302, "/request/"),
    "/refer/thanks/": (302, "/refer/"),
    "/status/view/": (410, None),
    "/status/withdraw/": (410, None),
}


@examples(150)
@given(
    page=st.sampled_from([*PAGES, "/status/open/"]),
    token=tokens,
    method=st.sampled_from(["GET", "POST"]),
    query=query_strings,
    language=accept_languages,
)
def test_hostile_query_strings_change_no_page(page, token, method, query, language) -> None:
    """A query string, a made-up link or a strange language header changes no answer."""
    headers = {} if language is None else {"HTTP_ACCEPT_LANGUAGE": language}
    client = browser()
    with rolled_back():
        before = row_counts()
        if page == "/status/open/":
            path = f"/status/open/?t={quote(token, safe='')}&{query}"
            if method == "GET":
                response = client.get(path, **headers)
                expected = (200, None)
            else:
                body = urlencode({"csrfmiddlewaretoken": CSRF_SECRET, "t": token})
                response = client.post(path, body, content_type=URLENCODED, **headers)
                expected = (410, None)
            assert STATUS_SESSION_KEY not in client.session
        else:
            response = client.get(f"{page}?{query}", **headers)
            expected = PAGES[page]
        assert response.status_code == expected[0]
        if expected[1]:
            assert response["Location"] == expected[1]
        assert added_since(before) == dict.fromkeys(before, 0)


# --- Regressions --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "saved_as"),
    [
        ("../../etc/passwd", "passwd.pdf"),
        ("C:\\fakepath\\scan.pdf", "scan.pdf"),
        ("&#47;etc&#47;passwd", "passwd.pdf"),
        ("\u202efdp.exe", "fdp.pdf"),
        ("résumé.pdf", "resume.pdf"),
        ("検査結果.pdf", "document.pdf"),
        ("a\x00b.pdf", "ab.pdf"),
        ('q".pdf', "q.pdf"),
        ("x" * 300, "x" * 100 + ".pdf"),
    ],
)
def test_an_odd_file_name_is_saved_as_a_safe_name(name, saved_as) -> None:
    """A path, an RTL override, a NUL or an endless name becomes a plain name with our suffix."""
    upload = Upload(b"attachments", b'; filename="' + name.encode() + b'"', PDF)
    response = send("/request/", pairs_of(form_data()), uploads=(upload,))
    assert response.status_code == 302
    assert Document.objects.get().original_name == saved_as


MULTIPART_FIELD = (
    b"--" + BOUNDARY + b'\r\nContent-Disposition: form-data; name="first_name"\r\n\r\n'
    b"Maria\r\n--" + BOUNDARY + b"--\r\n"
)


@pytest.mark.parametrize("charset", ["base64", "hex", "rot13", "zlib", "idna", "undefined"])
def test_a_multipart_charset_that_decodes_no_text_is_refused(charset) -> None:
    """A multipart post naming a charset that cannot decode text is refused, not a 500."""
    client = Client(raise_request_exception=False)
    response = client.generic(
        "POST", "/request/", MULTIPART_FIELD, content_type=f"{MULTIPART}; charset={charset}"
    )
    assert response.status_code in ALLOWED_STATUSES
    assert SecondOpinionRequest.objects.count() == 0


LONG_VALID_EMAIL = "m" * 64 + "@" + ".".join(["d" * 63] * 3) + ".org"  # 260 characters


def test_a_provider_email_longer_than_its_columns_is_never_saved_over_long() -> None:
    """A 255-320 character office address is refused, or saved where it fits."""
    assert len(LONG_VALID_EMAIL) == 260
    response = send("/refer/", pairs_of(referral_data(provider_email=LONG_VALID_EMAIL)))
    assert response.status_code in {302, 400}
    case = SecondOpinionRequest.objects.first()
    for row in saved_rows(case) if case else []:
        assert_storable(row)


@pytest.mark.parametrize(
    "zip_code", ["\uff10\uff12\uff11\uff11\uff15", "\u0660\u0662\u0661\u0661\u0665"]
)
def test_a_zip_code_in_look_alike_digits_is_never_saved_as_typed(zip_code) -> None:
    """A ZIP code in other scripts' digits is refused, or saved in ASCII digits."""
    response = send("/request/", pairs_of(form_data(zip_code=zip_code)))
    assert response.status_code in {302, 400}
    case = SecondOpinionRequest.objects.first()
    assert case is None or case.zip_code == "02115"
